"""No URL of the site answers 5xx, whatever its path parts and query say (issue 12, point 4).

Property-based, with Hypothesis: every URL pattern of the site (the public pages anonymously, the manager
area and the admin as a coordinator who is also a superuser) and every operation of the API's OpenAPI
document. Each is requested first with explicit boundary examples (each path parameter beyond the
database's 2^63 - 1 and beyond a C int, NUL; every query name at once at year 1, year 9999, 2^63, -1, NUL,
3,000 characters, bytes that are no UTF-8; each API parameter and body field at the edges of its type),
then with a few generated paths, queries and bodies.

Derandomized (the same examples on every run, so it never flakes) and bounded per URL, so the whole module
runs in well under a minute; it runs on SQLite and PostgreSQL like the rest of the suite. A failure lists
every URL that failed, each with a failing request and the exception it raised.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from hypothesis import HealthCheck, Phase, example, find, given, settings
from hypothesis import strategies as st

from crosscluster.accounts.models import ApiToken
from crosscluster.api.api import api
from crosscluster.events.models import FeedSubscription
from tests.factories import (
    ContactFactory,
    EventFactory,
    InquiryFactory,
    MembershipFactory,
    NoticeAttachmentFactory,
    NoticeFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

# Random examples per URL pattern and per API operation, after the explicit boundary examples of each. The
# admin is Django's own: its pages get the boundary examples only.
PAGE_EXAMPLES = 2
API_EXAMPLES = 5

INT_MAX = 2**63 - 1  # PostgreSQL's bigint, SQLite's INTEGER
BOUNDARY_INTS = [0, 1, 2, 12, 13, 53, 54, 99, 2**31 - 1, 2**31, INT_MAX, INT_MAX + 1, 10**20, 10**30]
# Each page is requested once with every query name set to each of these (a form validates every field,
# so one request tries them all); "%ff" stands for bytes that are no UTF-8.
QUERY_BOUNDARIES = ["0001-01-01", "9999-12-31", str(INT_MAX + 1), "-1", "\x00", "x" * 3000, "%ff"]
ADMIN_QUERY_BOUNDARIES = [str(INT_MAX + 1), "\x00"]
# Path parameters: an integer beyond the database's range and one beyond C's; a text with NUL.
PATH_INT_BOUNDARIES = [str(INT_MAX + 1), "99999999999"]
PATH_TEXT_BOUNDARIES = ["\x00", f"{INT_MAX + 1}-{'a' * 40}"]
# Plausible values of path parameters while another one is at its boundary: these by name, the others
# the fixture's object of the kind that the path segment before them names.
PLAUSIBLE = {"year": "2026", "month": "3", "week": "10"}
OWNERS = {
    "veranstaltungen": "event",
    "duplikate": "event",
    "events": "event",
    "angebote": "offer",
    "offers": "offer",
    "kontakte": "contact",
    "contacts": "contact",
    "videos": "video",
    "hinweise": "notice",
    "notices": "notice",
    "anhaenge": "attachment",
    "anfragen": "inquiry",
    "api-tokens": "token",
    "feeds": "feed",
    "organisationen": "organization",
    "organizations": "organization",
    "themen": "topic",
    "topics": "topic",
    "regions": "region",
}
BOUNDARY_DATES = [
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "1970-01-01",
    "2026-02-29",
    "2028-02-29",
    "2200-12-31",
    "2201-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
]
BOUNDARY_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x0b",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "true",
    "on",
    "x" * 3000,
    "ä" * 300,
    "' OR 1=1 --",
    "%",
    "../..",
    "\U0001f600",
    "\ufffe",
    "9223372036854775808-abc",
    "1-" + "f" * 40,
]
# Names the pages and their forms read, besides generated ones.
QUERY_NAMES = [
    "q",
    "page",
    "topic",
    "organizer",
    "organization",
    "organisation",
    "region",
    "format",
    "city",
    "kind",
    "free",
    "date_from",
    "date_to",
    "from",
    "to",
    "limit",
    "offset",
    "state",
    "overdue",
    "tage",
    "text",
    "language",
    "done",
    "next",
    "publisher",
    "o",
    "p",
    "e",
    "all",
]


def _no_surrogates(**kwargs) -> st.SearchStrategy[str]:
    """Text a URL can carry (UTF-8 cannot encode lone surrogates)."""
    return st.text(st.characters(exclude_categories=["Cs"]), **kwargs)


def _numbers() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(BOUNDARY_INTS), st.integers(min_value=0, max_value=10**25))


def _values(samples: list[str]) -> st.SearchStrategy[str]:
    """A query or path value: a known one (ids, slugs, dates) or a boundary, sometimes anything."""
    return st.one_of(
        st.sampled_from(samples) if samples else st.nothing(),
        st.sampled_from(BOUNDARY_DATES + BOUNDARY_TEXTS),
        _numbers().map(str),
        st.integers(min_value=-(10**20), max_value=-1).map(str),
        _no_surrogates(max_size=30),
    )


def _query(samples: list[str]) -> st.SearchStrategy[str]:
    """A query string: known and generated names with values; sometimes bytes that are no UTF-8."""
    pairs = st.lists(
        st.tuples(st.one_of(st.sampled_from(QUERY_NAMES), _no_surrogates(max_size=8)), _values(samples)),
        max_size=5,
    )
    broken = st.sampled_from(["", "", "", "&q=%ff%fe", "&%c3=%00", "&date_from=%ff"])
    return st.tuples(pairs, broken).map(lambda parts: urlencode(parts[0]) + parts[1])


# --- The URL patterns ---

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Part:
    """A piece of a URL: literal text, a converter's parameter, a regular expression, the language prefix."""

    kind: str  # "text", "parameter", "regex" or "language"
    value: str = ""  # the text, the parameter's converter or the regular expression
    name: str = ""  # the parameter's name


@dataclass(frozen=True)
class Route:
    """A URL pattern of the site as the parts of its own and its resolvers' patterns."""

    name: str
    text: str
    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return self.text


def _parts(pattern) -> Iterator[Part]:
    if isinstance(pattern, LocalePrefixPattern):
        yield Part("language")
    elif isinstance(pattern, RoutePattern):
        route, position = str(pattern), 0
        for match in _PARAMETER.finditer(route):
            yield Part("text", route[position : match.start()])
            yield Part("parameter", match.group("converter") or "str", match.group("name"))
            position = match.end()
        yield Part("text", route[position:])
    else:
        assert isinstance(pattern, RegexPattern), pattern
        yield Part("regex", str(pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z"))


def _routes(patterns, chain=()) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, (*chain, pattern.pattern))
        elif isinstance(pattern, URLPattern):
            chain_ = (*chain, pattern.pattern)
            parts = tuple(part for item in chain_ for part in _parts(item))
            yield Route(pattern.name or "", "".join(str(item) for item in chain_), parts)


ALL_ROUTES = list(_routes(get_resolver().url_patterns))
# The API is tested operation by operation from its OpenAPI document below.
SITE_ROUTES = [route for route in ALL_ROUTES if not route.text.startswith("api/")]
MANAGER_ROUTES = [route for route in SITE_ROUTES if route.text.startswith("manage/")]
ADMIN_ROUTES = [route for route in SITE_ROUTES if route.text.startswith("admin/")]
PUBLIC_ROUTES = [route for route in SITE_ROUTES if route not in MANAGER_ROUTES + ADMIN_ROUTES]


def _regex_text(regex: str) -> st.SearchStrategy[str]:
    return st.from_regex(regex, fullmatch=True, alphabet=st.characters(codec="ascii"))


def _encoded(value: str, converter: str) -> str:
    return quote(value, safe="/" if converter == "path" else "")


@dataclass
class Samples:
    """Ids and slugs of the objects that exist, so that generated URLs also reach real pages."""

    ids: list[int]
    slugs: list[str]
    objects: dict[str, Any]

    def parameter(self, converter: str) -> st.SearchStrategy[str]:
        ids = st.sampled_from(self.ids).map(str)
        if converter == "int":
            return st.one_of(ids, _numbers().map(str))
        if converter == "slug":
            return st.one_of(
                st.sampled_from(self.slugs), st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True)
            )
        # str and path: anything (without slashes for str), percent-encoded.
        text = st.one_of(ids, _values(self.slugs), _numbers().map(lambda n: f"{n}-{'a' * 40}"))
        return text.filter(lambda value: value and (converter == "path" or "/" not in value)).map(
            lambda value: _encoded(value, converter)
        )

    def plausible(self, part: Part, before: str) -> str:
        """A value of the parameter that leads past the URL's own checks: the object that the path segment
        before it names (`veranstaltungen/<int:pk>` an event), where the fixture has one."""
        if part.name in PLAUSIBLE:
            return PLAUSIBLE[part.name]
        segment = before.rstrip("/").rsplit("/", 1)[-1]
        obj = self.objects.get(OWNERS.get(segment, ""))
        if obj is not None:
            return str(obj.pk) if part.value == "int" or part.name.endswith("_id") else obj.slug
        return str(self.ids[0]) if part.value == "int" else self.slugs[0]

    def as_text(self) -> list[str]:
        return [str(pk) for pk in self.ids] + self.slugs

    def path(self, route: Route) -> st.SearchStrategy[str]:
        def strategy(part: Part) -> st.SearchStrategy[str]:
            if part.kind == "text":
                return st.just(part.value)
            if part.kind == "language":
                return st.sampled_from(["", "en/"])
            if part.kind == "regex":
                return _regex_text(part.value).map(lambda text: quote(text, safe="/"))
            return self.parameter(part.value)

        return st.tuples(*map(strategy, route.parts)).map(lambda parts: "/" + "".join(parts))

    def boundary_paths(self, route: Route) -> list[str]:
        """The path with plausible values, then with each parameter in turn at each of its boundaries."""

        def path(boundary_at: int = -1, boundary: str = "") -> str:
            parts: list[str] = []
            for index, part in enumerate(route.parts):
                if part.kind == "text":
                    parts.append(part.value)
                elif part.kind == "regex":
                    parts.append(quote(find(_regex_text(part.value), bool, settings=HYPOTHESIS), safe="/"))
                elif part.kind == "parameter":
                    value = boundary if index == boundary_at else self.plausible(part, "".join(parts))
                    parts.append(_encoded(value, part.value))
            return "/" + "".join(parts)

        paths = [path()]
        for index, part in enumerate(route.parts):
            if part.kind == "parameter":
                boundaries = PATH_INT_BOUNDARIES if part.value == "int" else PATH_TEXT_BOUNDARIES
                paths += [path(index, boundary) for boundary in boundaries if part.value != "slug"]
        return paths


def _boundary_queries(values: list[str]) -> list[str]:
    """Every query name at once with each boundary value."""
    queries = []
    for value in values:
        if value == "%ff":
            queries.append("&".join(f"{name}=%ff" for name in QUERY_NAMES))
        else:
            queries.append(urlencode([(name, value) for name in QUERY_NAMES]))
    return queries


@pytest.fixture
def site(organization, topic, region, coordinator):
    """One of everything that has a page, and a coordinator who may see all of it (and the admin)."""
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    manager = UserFactory()
    MembershipFactory(user=manager, organization=organization)
    offer = organization.offers.get()
    contact = ContactFactory(organization=organization)
    video = VideoFactory(organization=organization)
    event = EventFactory(organizers=[organization], topics=[topic])
    notice = NoticeFactory(organization=organization, topics=[topic])
    attachment = NoticeAttachmentFactory(notice=notice, file=ContentFile(b"%PDF-1.4\n", name="a.pdf"))
    inquiry = InquiryFactory(region=region)
    feed = FeedSubscription.objects.create(organization=organization, url="https://example.org/cal.ics")
    token, key = ApiToken.issue(coordinator, "test")
    objects = {
        "organization": organization,
        "topic": topic,
        "region": region,
        "offer": offer,
        "contact": contact,
        "video": video,
        "event": event,
        "notice": notice,
        "attachment": attachment,
        "inquiry": inquiry,
        "feed": feed,
        "token": token,
    }
    ids = sorted({obj.pk for obj in (*objects.values(), coordinator, manager)})
    slugs = [organization.slug, topic.slug, notice.slug, region.slug]
    return Samples(ids=ids, slugs=slugs, objects=objects), coordinator, key


def _request(client: Client, method: str, path: str, **kwargs) -> tuple[int, str]:
    """The status, or the exception a view raised; each request rolls back what it wrote, so that every
    example sees the same data (and a failed query on PostgreSQL spoils no later example)."""
    with transaction.atomic():
        try:
            response = client.generic(method, path, **kwargs)
        except Exception as exc:  # the test client re-raises what the view raised
            return 500, f"{type(exc).__name__}: {exc}"[:300]
        finally:
            transaction.set_rollback(True)
    return response.status_code, ""


HYPOTHESIS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def _check_all(items: list, check: Callable) -> list[str]:
    """Run `check(item)`, a Hypothesis test, for each item; the failures of all, not just the first."""
    failures = []
    for item in items:
        try:
            check(item)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    return failures


def _page_check(
    client: Client, samples: Samples, examples: int, queries: list[str]
) -> Callable[[Route], None]:
    """Each route's boundary paths and queries as explicit examples, then `examples` generated ones."""
    phases = [Phase.explicit, Phase.generate, Phase.shrink] if examples else [Phase.explicit]

    def check(route: Route) -> None:
        @settings(HYPOTHESIS, max_examples=max(examples, 1), phases=phases)
        @given(path=samples.path(route), query=_query(samples.as_text()))
        def request(path: str, query: str) -> None:
            url = path + (f"?{query}" if query else "")
            status, error = _request(client, "GET", url)
            assert status < 500, f"GET {url[:300]} -> {status} {error}"

        paths = samples.boundary_paths(route)
        for path in paths:
            request = example(path=path, query="")(request)
        for query in _boundary_queries(queries):
            request = example(path=paths[0], query=query)(request)
        request()

    return check


def test_every_public_page_answers_below_500(client, site):
    samples, _coordinator, _key = site

    failures = _check_all(PUBLIC_ROUTES, _page_check(client, samples, PAGE_EXAMPLES, QUERY_BOUNDARIES))

    assert not failures, "\n".join(failures)


def test_every_manager_page_answers_below_500(client, site):
    samples, coordinator, _key = site
    client.force_login(coordinator)

    failures = _check_all(MANAGER_ROUTES, _page_check(client, samples, PAGE_EXAMPLES, QUERY_BOUNDARIES))

    assert not failures, "\n".join(failures)


def test_every_admin_page_answers_below_500(client, site):
    samples, coordinator, _key = site
    client.force_login(coordinator)

    failures = _check_all(ADMIN_ROUTES, _page_check(client, samples, 0, ADMIN_QUERY_BOUNDARIES))

    assert not failures, "\n".join(failures)


def test_the_routes_cover_the_site():
    """Guard against an enumeration that silently lost its patterns."""
    names = {route.name for route in PUBLIC_ROUTES + MANAGER_ROUTES}

    assert {"home", "list", "month", "detail", "rss", "create", "status", "dashboard", "event-edit"} <= names
    assert all(len(routes) > 40 for routes in (PUBLIC_ROUTES, MANAGER_ROUTES, ADMIN_ROUTES))


# --- The API, operation by operation ---

SCHEMA = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _options(schema: dict) -> list[dict]:
    schema = _resolve(schema)
    return [schema] + [option for choice in schema.get("anyOf", []) for option in _options(choice)]


def _enum_values(schema: dict) -> list[str]:
    return [str(value) for option in _options(schema) for value in option.get("enum", [])]


def _parameter_boundaries(schema: dict) -> list[str]:
    """Values at and beyond what the parameter's type allows."""
    types = {(option.get("type"), option.get("format")) for option in _options(schema)}
    if any(kind == "integer" for kind, _format in types):
        return ["-1", "0", str(INT_MAX), str(INT_MAX + 1), str(10**30)]
    if ("string", "date") in types:
        return ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31", "2026-02-30"]
    return ["\x00", "x" * 3000, str(INT_MAX + 1), "-1"]


def _json_values(samples: Samples) -> st.SearchStrategy:
    """Anything JSON can say, leaning on the boundaries."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        _numbers(),
        st.integers(),
        st.floats(allow_nan=False),
        st.sampled_from(samples.slugs + BOUNDARY_TEXTS + BOUNDARY_DATES),
        st.text(max_size=30),  # lone surrogates included: JSON's \ud800 escapes make them
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


# Bodies of every write operation: broken JSON, and each field at each of these values.
BROKEN_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b"\xff\xfe",
    b'{"x": ' + b"9" * 5000 + b"}",
    b"[" * 5000 + b"]" * 5000,
]
FIELD_BOUNDARIES = [
    "\x00",
    "\ud800",
    "\x0b",
    "x" * 100_000,
    INT_MAX + 1,
    -1,
    10**30,
    ["\x00"],
    [INT_MAX + 1],
    None,
]


def _body_schema(operation: dict) -> dict:
    return _resolve(operation["requestBody"]["content"]["application/json"]["schema"])


def _body(operation: dict, samples: Samples) -> st.SearchStrategy[bytes]:
    properties = _body_schema(operation).get("properties", {})
    fields = st.fixed_dictionaries({}, optional={name: _json_values(samples) for name in properties})
    return st.one_of(fields.map(lambda value: json.dumps(value).encode()), st.sampled_from(BROKEN_BODIES))


def _boundary_bodies(operation: dict) -> list[bytes]:
    properties = _body_schema(operation).get("properties", {})
    bodies = list(BROKEN_BODIES)
    for name in properties:
        bodies += [json.dumps({name: value}).encode() for value in FIELD_BOUNDARIES]
    return bodies


def _api_check(client: Client, samples: Samples, key: str, examples: int) -> Callable[[tuple], None]:
    def check(entry: tuple) -> None:
        method, path, operation = entry
        parameters = {(p["in"], p["name"]): p["schema"] for p in operation.get("parameters", [])}
        plausible = {
            name: samples.plausible(Part("parameter", "str", name), path.split(f"{{{name}}}")[0])
            for where, name in parameters
            if where == "path"
        }

        def strategy(schema: dict) -> st.SearchStrategy[str]:
            known = _enum_values(schema)
            values = st.one_of(_values(samples.as_text()), st.sampled_from(_parameter_boundaries(schema)))
            return st.one_of(st.sampled_from(known), values) if known else values

        chosen = st.fixed_dictionaries(
            {
                where_name: strategy(schema)
                for where_name, schema in parameters.items()
                if where_name[0] == "path"
            },
            optional={
                where_name: strategy(schema)
                for where_name, schema in parameters.items()
                if where_name[0] != "path"
            },
        )
        body = _body(operation, samples) if "requestBody" in operation else st.just(b"")

        @settings(HYPOTHESIS, max_examples=examples)
        @given(values=chosen, body=body)
        def request(values: dict, body: bytes) -> None:
            url, query = path, []
            for (where, name), value in values.items():
                if where == "path":
                    url = url.replace(f"{{{name}}}", quote(value, safe="") or "x")
                else:
                    query.append((name, value))
            url += f"?{urlencode(query)}" if query else ""
            status, error = _request(
                client,
                method,
                url,
                data=body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {key}"},
            )
            assert status < 500, f"{method} {url[:300]} {body[:100]!r} -> {status} {error}"

        base = {("path", name): value for name, value in plausible.items()}
        request = example(values=base, body=b"{}")(request)
        for where_name, schema in parameters.items():
            for value in _parameter_boundaries(schema):
                request = example(values={**base, where_name: value}, body=b"{}")(request)
        if "requestBody" in operation:
            for boundary_body in _boundary_bodies(operation):
                request = example(values=base, body=boundary_body)(request)
        request()

    return check


def test_every_api_operation_answers_below_500(site):
    samples, _coordinator, key = site
    client = Client(headers={"Accept-Language": "en"})

    failures = _check_all(OPERATIONS, _api_check(client, samples, key, API_EXAMPLES))

    assert not failures, "\n".join(failures)


@settings(HYPOTHESIS, max_examples=40)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    path=_no_surrogates(max_size=30).map(lambda text: quote(text, safe="/")),
)
def test_any_api_path_and_method_answers_below_500(client, site, method, path):
    status, error = _request(client, method, f"/api/v1/{path}", data=b"{}", content_type="application/json")

    assert status < 500, f"{method} /api/v1/{path} -> {status} {error}"
