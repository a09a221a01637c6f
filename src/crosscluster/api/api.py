"""The one NinjaAPI behind /api/v1/: public reads of the directory and token-authenticated writes.

Shaped like Wagtail's API v3: a router per resource, separate input and output schemas, explicit operation
ids, `{count, items}` lists and RFC 7807 problem objects for every error (see errors.py and docs/api.md).
"""

from typing import Any

from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from crosscluster.core.problems import PROBLEM_CONTENT_TYPE, TITLES

from . import (
    contacts,
    cooperation,
    events,
    hsds,
    notices,
    offers,
    organizations,
    regions,
    routing,
    search,
    topics,
    videos,
)
from .errors import api_view, not_found, register_exception_handlers

DESCRIPTION = """\
The directory of the cross-cluster initiative: regions, topics, organisations with their offers, contacts
and videos; the public events of the Netzwerktimer, also as an iCalendar file; and the current notices of
the networks and the coordination office.

Reading is public and shows published organisations only. Writing needs a personal API token
(`Authorization: Bearer <key>`) of someone who manages the organisation, or of the coordination office.
Lists answer `{"count": N, "items": [...]}` and take `limit` (1 to 100, default 20) and `offset`.
Every error is an RFC 7807 problem object (`application/problem+json`).
"""


class CrossclusterAPI(NinjaAPI):
    """NinjaAPI whose every answer outside the operations, too, is a problem object."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        """ninja's URLs, with 405 and the API root as problems, and a last pattern answering 404 for every
        method."""
        patterns, app_name, namespace = super().urls
        # Every URL exempt from Django's CSRF check, like ninja's operations: the API authenticates by
        # bearer token only, never by cookie. Otherwise a POST to the API root or an unknown path got the
        # site's HTML 403 page about a missing CSRF cookie instead of a 404 or 405 problem.
        wrapped: list[URLResolver | URLPattern] = [
            URLPattern(p.pattern, csrf_exempt(api_view(p.callback)), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        wrapped.append(re_path(r"", csrf_exempt(api_view(not_found)), name="not-found"))
        return wrapped, app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        """Document error answers with the content type they are really served with.

        Descriptions come from our own table: ninja takes them from `http.client`, whose wording differs
        between Python versions, and the snapshot test would then depend on the interpreter.
        """
        schema = super().get_openapi_schema(**kwargs)
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                for status, response in operation["responses"].items():
                    response["description"] = TITLES[int(status)]
                    if int(status) >= 400 and "content" in response:
                        response["content"] = {PROBLEM_CONTENT_TYPE: response["content"].popitem()[1]}
        return schema


api = CrossclusterAPI(title="Crosscluster API", version="1", description=DESCRIPTION, urls_namespace="api")
register_exception_handlers(api)

ROUTERS = (
    regions,
    topics,
    organizations,
    offers,
    contacts,
    videos,
    routing,
    events,
    notices,
    search,
    hsds,
    cooperation,
)
for module in ROUTERS:
    api.add_router("", module.router)
