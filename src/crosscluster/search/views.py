"""The search page: every kind grouped (or one kind, paged), and for a need the way into an inquiry.

`?q=` the query, `?kind=` one kind with pages (`?page=`), `?past=1` past events too (after the upcoming
ones). A request with the `HX-Request` header (htmx, or
search.js) gets only the `_results.html` fragment that the full page includes. The routing engine's
suggestions come from their own URL, so a keyword search never waits for the query embedding.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from crosscluster.directory import queries as directory_queries
from crosscluster.directory.models import Organization
from crosscluster.routing.services import Suggestion, suggest

from . import services
from .query import QUERY_MAX_LENGTH

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
SUGGESTIONS_COUNT = 3


def _is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _query(request: HttpRequest) -> str:
    return " ".join(request.GET.get("q", "").split())


def inquiry_url(text: str) -> str:
    """The inquiry form with the query as the start of its text (see inquiries.views)."""
    return f"{reverse('inquiries:create')}?{urlencode({'text': text})}"


def kind_url(query: str, kind: str, past: bool = False) -> str:
    params = {"q": query, "kind": kind, **({"past": "1"} if past else {})}
    return f"{reverse('search:results')}?{urlencode(params)}"


def past_url(query: str, kind: str, past: bool) -> str:
    """The same search with past events included (or left out again)."""
    params = {"q": query, **({"kind": kind} if kind else {}), **({"past": "1"} if past else {})}
    return f"{reverse('search:results')}?{urlencode(params)}"


def results(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    kind = request.GET.get("kind", "")
    if kind not in services.KINDS:
        kind = ""
    past = request.GET.get("past") == "1"
    context: dict[str, Any] = {
        "query": query,
        "kind": kind,
        "max_length": QUERY_MAX_LENGTH,
        "now": timezone.now(),
    }
    status = 200
    if query:
        try:
            if kind:
                page_number = request.GET.get("page", "1")
                page_number = int(page_number) if page_number.isdigit() else 1
                offset = (max(1, page_number) - 1) * PAGE_SIZE
                result = services.search(query, kinds=[kind], per_group=PAGE_SIZE, offset=offset, past=past)
                group = result.groups[0]
                if group.count and offset >= group.count:  # a page past the end: the last one
                    page_number = (group.count - 1) // PAGE_SIZE + 1
                    offset = (page_number - 1) * PAGE_SIZE
                    result = services.search(
                        query, kinds=[kind], per_group=PAGE_SIZE, offset=offset, past=past
                    )
                # The paginator only counts; the rows of the page come from the search.
                context["page"] = Paginator(range(result.groups[0].count), PAGE_SIZE).get_page(page_number)
            else:
                result = services.search(query, past=past)
        except services.SearchError as error:
            context["error"] = str(error)
            status = 400
        else:
            for group in result.groups:
                group.more_url = kind_url(query, group.kind, past)
            context["result"] = result
            if not kind or kind == services.EVENT:
                context["past_url"] = past_url(query, kind, not past)
            if result.suggestion:
                context["suggestion_url"] = (
                    f"{reverse('search:results')}?{urlencode({'q': result.suggestion})}"
                )
            if result.need and not kind:
                context["inquiry_url"] = inquiry_url(query)
                context["suggestions_url"] = f"{reverse('search:suggestions')}?{urlencode({'q': query})}"
    template = "search/_results.html" if _is_fragment(request) else "search/results.html"
    return render(request, template, context, status=status)


def suggestions(request: HttpRequest) -> HttpResponse:
    """Organisations the routing engine suggests for the query as a need (about 80 ms: the query is
    embedded). A failing engine shows nothing rather than an error: the inquiry link still works."""
    query = _query(request)[:QUERY_MAX_LENGTH]
    region = directory_queries.default_region()
    items: list[Suggestion] = []
    if query and region is not None:
        try:
            found = suggest(query, region=region, top=SUGGESTIONS_COUNT + 1).results
        except Exception:
            logger.exception("routing failed; the search shows no suggestions")
            found = []
        # The engine's index may be a moment old: shown are published organisations only, the office is
        # not one of them (the inquiry form offers it anyway).
        published = set(
            directory_queries.published_organizations()
            .filter(pk__in=[item.organization.pk for item in found])
            .values_list("pk", flat=True)
        )
        items = [
            item
            for item in found
            if item.organization.pk in published and item.organization.kind != Organization.Kind.COORDINATION
        ][:SUGGESTIONS_COUNT]
    context = {"query": query, "suggestions": items, "inquiry_url": inquiry_url(query) if query else ""}
    template = "search/_suggestions.html" if _is_fragment(request) else "search/suggestions.html"
    return render(request, template, context)
