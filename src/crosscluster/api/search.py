"""One search over organisations, offers, events and notices: the site's `/suche/` as JSON.

The same service answers both (`search.services.search`), so the groups, counts, order and the "did you
mean" are those of the page. Links point to the pages in the site's default language (German, no prefix).
"""

import datetime as dt
import html
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import strip_tags
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from crosscluster.events.export import plain_description
from crosscluster.search import services
from crosscluster.search.query import QUERY_MAX_LENGTH
from crosscluster.search.views import inquiry_url, kind_url

from .schemas import ClientSchema, problems

router = Router(tags=["Search"])

SearchKind = Literal[*services.KINDS]  # type: ignore[valid-type]


class SearchParams(ClientSchema):
    q: str = Field(
        ...,
        min_length=1,
        max_length=QUERY_MAX_LENGTH,
        description="What to look for: words in any German word form, parts of compounds, typos forgiven.",
    )
    kind: SearchKind | None = Field(None, description="Only this kind of result (then page with `offset`).")
    limit: int = Field(services.PER_GROUP, ge=1, le=services.PER_GROUP_MAX, description="Items per group.")
    offset: int = Field(0, ge=0, le=100_000, description="Items of each group to skip.")
    past: bool = Field(False, description="Include past events (after the upcoming ones).")


class SearchItemOut(Schema):
    id: int
    title: str
    url: str = Field(..., description="Absolute URL of the public page (an offer's is its organisation's).")
    summary: str = Field(..., description="Plain text, shortened to 30 words.")
    organization: str | None = Field(None, description="Name of the organisation (offers, notices, events).")
    start: dt.datetime | None = Field(None, description="Events only.")
    end: dt.datetime | None = Field(None, description="Events only.")
    valid_from: dt.datetime | None = Field(None, description="Notices only.")
    pinned: bool | None = Field(None, description="Notices only: urgent.")


class SearchGroupOut(Schema):
    kind: SearchKind
    label: str
    count: int = Field(..., description="All matches of this kind; `items` holds `limit` of them.")
    more_url: str = Field(..., description="Absolute URL of the search page listing all of this kind.")
    items: list[SearchItemOut]


class CorrectionOut(Schema):
    typed: str
    known: str


class SearchOut(Schema):
    query: str
    suggestion: str | None = Field(
        ..., description='The query with mistyped words replaced by known ones ("did you mean"), if any.'
    )
    corrections: list[CorrectionOut] = Field(..., description="Words matched by their nearest spelling.")
    need: bool = Field(..., description="The query reads like a need: offer to send it as an inquiry.")
    inquiry_url: str | None = Field(..., description="The inquiry form prefilled with the query, for a need.")
    groups: list[SearchGroupOut]


def _shorten(text: str, words: int = 30) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _item(request: HttpRequest, kind: str, row: Any) -> dict[str, Any]:
    if kind == services.ORGANIZATION:
        item = {"title": row.name, "url": row.get_absolute_url(), "summary": row.summary}
    elif kind == services.OFFER:
        item = {
            "title": row.title,
            "url": row.organization.get_absolute_url(),
            "summary": row.description,
            "organization": row.organization.name,
        }
    elif kind == services.EVENT:
        item = {"title": row.title, "url": row.get_absolute_url(), "summary": plain_description(row)}
        item.update(start=row.start, end=row.end)
    elif kind == services.COOPERATION:
        item = {"title": row.title, "url": row.get_absolute_url(), "summary": row.text}
    else:
        item = {
            "title": row.title,
            "url": row.get_absolute_url(),
            "summary": html.unescape(strip_tags(row.body_html)),
            "organization": row.organization.name if row.organization else None,
            "valid_from": row.valid_from,
            "pinned": row.pinned,
        }
    item["url"] = request.build_absolute_uri(item["url"])
    item["summary"] = _shorten(item["summary"])
    return {"id": row.pk, **item}


@router.get(
    "/search",
    response={200: SearchOut, **problems(422)},
    operation_id="search",
    summary="Search everything",
    description=(
        "Organisations, offers, upcoming events (with `past`, past ones too) and current notices, grouped by "
        "kind in this order, each with its count and the best `limit` items. Only published content."
    ),
)
def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    try:
        result = services.search(
            params.q,
            kinds=[params.kind] if params.kind else services.KINDS,
            per_group=params.limit,
            offset=params.offset,
            past=params.past,
        )
    except services.SearchError as error:
        raise ValidationError([{"loc": ("query", "q"), "msg": str(error), "type": "too_long"}]) from None
    with translation.override(settings.LANGUAGE_CODE):
        groups = [
            {
                "kind": group.kind,
                "label": group.label,
                "count": group.count,
                "more_url": request.build_absolute_uri(kind_url(result.query, group.kind, result.past)),
                "items": [_item(request, group.kind, row) for row in group.items],
            }
            for group in result.groups
        ]
        link = request.build_absolute_uri(inquiry_url(result.query)) if result.need else None
    return {
        "query": result.query,
        "suggestion": result.suggestion or None,
        "corrections": [{"typed": typed, "known": known} for typed, known in result.corrections],
        "need": result.need,
        "inquiry_url": link,
        "groups": groups,
    }
