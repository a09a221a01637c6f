"""Whole responses for anonymous visitors, invalidated exactly, with conditional GET and compression.

On a crisis day every company looks for the same help at once, and every view of the Netzwerktimer widget on
a member's site is a request here: 20-30 ms of CPU per page, the same for every visitor. This middleware
keeps the finished response of each public page, feed, `.ics`, widget and API read, and answers the next
anonymous visitor from it.

**The version.** Cached responses are keyed by the version of the public data (`core.PageVersion`, one row
in the database every app server reads once per request). It gets a new value

- after the commit of every write to a table the public pages read (PAGE_CACHE_PUBLIC_APPS, less
  PAGE_CACHE_PRIVATE_MODELS):
  a statement wrapper on every connection sees `INSERT`, `UPDATE` and `DELETE` on those tables, whatever
  wrote them (services, bulk paths, imports, the admin, a shell), and schedules one bump for the commit;
- when a domain signal announces a change (`core.signals.texts_changed`; the receivers are together at the
  end of this module, the one place to add further domain signals);
- when time alone changes a page: a notice's validity starts or ends, a listed event starts or ends (the
  calendar lists an event until its end), a new day begins in the display time zone ("today", the month
  shown first) — PAGE_CACHE_TIME_FIELDS; the row keeps the next such moment (`valid_until`), and the first
  request after it bumps;
- at the latest after PAGE_CACHE_MAX_SECONDS, a safety net for anything time-dependent not named above.

A bump on commit, never inside the transaction: a page rendered from the old data is stored under the old
version, which nobody asks for any more; the version row is never locked by a long import.

**What is never cached**: requests with a session or messages cookie (logged in, or a message waiting), an
`Authorization` header (API tokens), anything but GET and HEAD, the paths in PAGE_CACHE_EXCLUDED_PATHS (the
manager area, the admin, accounts, the inquiry form and its status pages, the digest's token pages), and any
response that is not a plain 200, sets a cookie, used a CSRF token (every form), added a message, touched
the session, says `private`/`no-store`/`no-cache`, or varies on a request header the key does not hold.

**The key** holds everything that changes the bytes: the release (a hash of the code, templates and
translations and of the settings pages show), scheme, host, language, path and query string, and whether
htmx asked for a fragment (`HX-Request`). The widget's style sheet carries the CSP nonce of its response;
a cached copy gets a fresh nonce for every visitor.

**Conditional GET**: cached responses carry `ETag` (from the version and the key) and `Last-Modified` (the
time of the version), with `Cache-Control: no-cache`, so browsers and calendar clients ask again every time
and get `304 Not Modified` after one query (the version), without reading the cache or rendering.

**Compression**: cached responses are stored gzip- and brotli-compressed once and sent as the client
accepts. Other responses are compressed only when they carry no secret (BREACH): anonymous, no CSRF token.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import logging
import os
import re
import secrets
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import Value
from django.db.models.functions import Least
from django.db.models.signals import post_migrate, pre_migrate
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re
from django.utils.http import http_date, parse_http_date_safe

from .signals import texts_changed

logger = logging.getLogger(__name__)

try:  # optional: brotli is ~20% smaller than gzip for HTML; gzip alone works everywhere
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

# Response headers a cached response may vary on: the key holds them (language, htmx) or they are
# answered for every request (Accept-Encoding); Cookie: only requests without session cookie are served.
KNOWN_VARY = {"cookie", "accept-language", "accept-encoding", "hx-request"}
# Worth compressing; images and PDFs are compressed already.
COMPRESSIBLE = re.compile(r"^(text/|application/(json|problem\+json|xml|rss\+xml|atom\+xml|javascript))")
MIN_COMPRESS_BYTES = 200


# --- The version --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    value: str
    changed_at: dt.datetime


def _new_value() -> str:
    return secrets.token_hex(8)


def next_time_change(now: dt.datetime) -> dt.datetime:
    """The next moment after `now` when a public page changes with time alone (see the module's text):
    the next midnight in the display time zone, and the first future value of each field of
    PAGE_CACHE_TIME_FIELDS (models named by label: core is below the apps and imports none of them)."""
    zone = zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    moments = [midnight, now + dt.timedelta(seconds=settings.PAGE_CACHE_MAX_SECONDS)]
    for label, condition, fields in settings.PAGE_CACHE_TIME_FIELDS:
        rows = apps.get_model(label).objects.filter(**condition).order_by()
        for field in fields:
            first = rows.filter(**{f"{field}__gt": now}).order_by(field).values_list(field, flat=True).first()
            if first is not None:
                moments.append(first)
    return min(moments)


def _model():
    return apps.get_model("core", "PageVersion")


def bump_version() -> None:
    """Give the public pages a new version now (call it after the commit; see `bump_on_commit`)."""
    model = _model()
    now = timezone.now()
    until = next_time_change(now)
    # The earlier of the stored and the new moment: two bumps racing must not lose either's next change
    # (a moment that turns out too early only costs one more bump).
    if not model.objects.filter(pk=1).update(
        version=_new_value(), changed_at=now, valid_until=Least("valid_until", Value(until))
    ):
        try:
            with transaction.atomic():
                model.objects.create(pk=1, version=_new_value(), changed_at=now, valid_until=until)
        except IntegrityError:  # another process created it just now
            model.objects.filter(pk=1).update(version=_new_value(), changed_at=now)


_pending = threading.local()


def _bump_once_per_commit(token: object) -> None:
    if getattr(_pending, "token", None) is token:
        _pending.token = None
        bump_version()


def bump_on_commit(using: str = "default") -> None:
    """Bump the version once the current transaction commits (at once outside a transaction).

    Many writes in one transaction (an import) bump once: a callback is added only when none of ours is
    waiting; one undone by the rollback of a savepoint is added again by the next write.
    """
    connection = connections[using]
    token = getattr(_pending, "token", None)
    # Entries of run_on_commit: (savepoint ids, callback, robust).
    waiting = (getattr(entry[1], "page_cache_token", None) for entry in connection.run_on_commit)
    if token is not None and connection.in_atomic_block and any(mark is token for mark in waiting):
        return
    token = object()
    _pending.token = token

    def callback() -> None:
        _bump_once_per_commit(token)

    callback.page_cache_token = token  # type: ignore[attr-defined]
    # Robust: the change is committed; a failed bump is logged, the pages then follow at the next one.
    transaction.on_commit(callback, using=using, robust=True)


def _aware(value: Any) -> dt.datetime:
    """A datetime as the database returns it: aware from PostgreSQL, an ISO string in UTC from SQLite."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


@cache
def _version_sql() -> str:
    table = connections["default"].ops.quote_name(_model()._meta.db_table)
    return f"SELECT version, changed_at, valid_until FROM {table} WHERE id = 1"  # noqa: S608


def current_version() -> Version:
    """The version of the public data: one query; a bump first when its time has run out.

    Plain SQL: on a cached page the ORM's building of this query was a fifth of the time.
    """
    model = _model()
    now = timezone.now()
    with connections["default"].cursor() as cursor:
        cursor.execute(_version_sql())
        row = cursor.fetchone()
    if row is not None:
        row = (row[0], _aware(row[1]), _aware(row[2]))
        if row[2] > now:
            return Version(row[0], row[1])
    until = next_time_change(now)
    new = Version(_new_value(), now)
    if row is None:
        try:
            with transaction.atomic():
                model.objects.create(pk=1, version=new.value, changed_at=now, valid_until=until)
            return new
        except IntegrityError:
            return current_version()
    # Only the first of the requests that see the moment pass bumps; the others read its version.
    row_now = model.objects.filter(pk=1, version=row[0])
    if row_now.update(version=new.value, changed_at=now, valid_until=until):
        return new
    return current_version()


# --- Writes to public tables ----------------------------------------------------------------------------

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)', re.IGNORECASE)


@cache
def public_tables() -> frozenset[str]:
    """The tables of PAGE_CACHE_PUBLIC_APPS (with their many-to-many tables) less those of
    PAGE_CACHE_PRIVATE_MODELS."""
    private = {apps.get_model(label) for label in settings.PAGE_CACHE_PRIVATE_MODELS}
    tables = set()
    for label in settings.PAGE_CACHE_PUBLIC_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model not in private:
                tables.add(model._meta.db_table.lower())
    return frozenset(tables)


def watch_writes(execute: Callable, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """A statement wrapper (Django's database instrumentation): writes to public tables bump on commit."""
    result = execute(sql, params, many, context)
    # After the statement: outside a transaction the bump runs at once and must follow the write.
    match = _WRITE.match(sql)
    if match is not None and not _migrating.is_set() and match.group(1).lower() in public_tables():
        bump_on_commit(context["connection"].alias)
    return result


_migrating = threading.Event()


@receiver(pre_migrate, dispatch_uid="core.page_cache.pre_migrate")
def _pause_during_migrations(sender: Any, **kwargs: Any) -> None:
    """Migrations write public tables before all of them exist: one bump at their end instead."""
    _migrating.set()


@receiver(post_migrate, dispatch_uid="core.page_cache.post_migrate")
def _bump_after_migrations(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if _migrating.is_set():
        _migrating.clear()
        try:
            with transaction.atomic(using=using):
                bump_version()
        except DatabaseError:  # migrated backwards, before the version's table
            logger.warning("page cache: no version bumped after the migrations", exc_info=True)


@receiver(connection_created, dispatch_uid="core.page_cache.watch_writes")
def _install_watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


# --- The release -------------------------------------------------------------------------------------

# Settings that the bytes of pages depend on besides the data (a change needs a restart anyway).
RELEASE_SETTINGS = (
    "SITE_NAME",
    "SITE_URL",
    "SITE_IDENTITY",
    "DEFAULT_REGION",
    "DISPLAY_TIME_ZONE",
    "LANGUAGES",
    "STATIC_URL",
    "MEDIA_URL",
    "WIDGET_FRAME_ANCESTORS",
    "PAGE_CACHE_RELEASE",
)


@cache
def release() -> str:
    """A hash of the code, templates and translations and of RELEASE_SETTINGS: a deployment starts afresh.

    From the files' contents, not their times, so that every app server of one release agrees (about 50 ms,
    once per process). The manifest of hashed static file names is part of it.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".html", ".txt", ".xml", ".mo"} and "migrations" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    for name in RELEASE_SETTINGS:
        digest.update(repr(getattr(settings, name, None)).encode())
    return digest.hexdigest()[:16]


# --- The store --------------------------------------------------------------------------------------


@dataclass
class Entry:
    """A stored response: its status, headers and body, compressed once."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    gzipped: bytes | None = None
    brotli: bytes | None = None
    # The CSP nonce in the body, replaced by each response's own.
    nonce: str | None = None
    # The resolved URL (names, arguments), which the page-view counting reads after a response.
    match: dict[str, Any] | None = None


class Store:
    """The configured cache (shared by all app servers), with the most used entries in process memory.

    Keys hold the version, so a remembered entry is as current as the shared one: nothing to invalidate.
    """

    def __init__(self) -> None:
        self._local: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._local.get(key)
            if entry is not None:
                self._local.move_to_end(key)
                return entry
        try:
            entry = caches[settings.PAGE_CACHE_ALIAS].get(key)
        except Exception:  # a cache that is down (Redis, a missing table) costs the rendering, not the page
            logger.warning("page cache: reading %s failed", key, exc_info=True)
            return None
        if isinstance(entry, Entry):
            self._remember(key, entry)
            return entry
        return None

    def set(self, key: str, entry: Entry) -> None:
        try:
            caches[settings.PAGE_CACHE_ALIAS].set(key, entry, settings.PAGE_CACHE_MAX_SECONDS)
        except Exception:
            logger.warning("page cache: storing %s failed", key, exc_info=True)
        self._remember(key, entry)

    def _remember(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._local[key] = entry
            self._local.move_to_end(key)
            while len(self._local) > settings.PAGE_CACHE_LOCAL_ENTRIES:
                self._local.popitem(last=False)

    def clear_local(self) -> None:
        with self._lock:
            self._local.clear()


store = Store()


# --- Requests and responses -------------------------------------------------------------------------


def _path_without_language(path: str) -> str:
    for code, _name in settings.LANGUAGES:
        if path.startswith(f"/{code}/"):
            return path[len(code) + 1 :]
    return path


def is_cacheable_request(request: HttpRequest) -> bool:
    if not settings.PAGE_CACHE_ENABLED or request.method not in ("GET", "HEAD") or not _is_anonymous(request):
        return False
    path = _path_without_language(request.path_info)
    return not any(path.startswith(prefix) for prefix in settings.PAGE_CACHE_EXCLUDED_PATHS)


def _uses_secrets(request: HttpRequest) -> bool:
    """The response holds a CSRF token, or the request changed the session or added a message."""
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return True
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return True
    messages = getattr(request, "_messages", None)
    return bool(messages is not None and getattr(messages, "added_new", False))


def is_storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if _uses_secrets(request):
        return False
    control = {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")}
    if control & {"private", "no-store", "no-cache"}:
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    return vary <= KNOWN_VARY


def language(request: HttpRequest) -> str:
    """The language LocaleMiddleware activates: the path's prefix, else the default (i18n_patterns with
    prefix_default_language=False; outside them, too)."""
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def cache_key(request: HttpRequest) -> str:
    parts = (
        release(),
        request.scheme or "",
        request.get_host(),
        language(request),
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _accepted(request: HttpRequest) -> set[str]:
    accepted = set()
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _sep, params = part.strip().partition(";")
        if name and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(name.lower())
    return accepted


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


def _compressible(headers: Iterable[tuple[str, str]], body: bytes) -> bool:
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    return len(body) >= MIN_COMPRESS_BYTES and bool(COMPRESSIBLE.match(content_type))


def make_entry(request: HttpRequest, response: HttpResponse) -> Entry:
    skip = {"content-length", "content-encoding", "set-cookie", "etag", "last-modified", "date"}
    headers = [(k, v) for k, v in response.items() if k.lower() not in skip]
    body = response.content
    entry = Entry(status=response.status_code, headers=headers, body=body)
    match = getattr(request, "resolver_match", None)
    if match is not None:
        entry.match = {
            "args": match.args,
            "kwargs": match.kwargs,
            "url_name": match.url_name,
            "app_names": match.app_names,
            "namespaces": match.namespaces,
            "route": match.route,
        }
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str) and nonce.encode() in body:
        entry.nonce = nonce  # compressed per response, after the nonce is replaced
    elif _compressible(headers, body):
        entry.gzipped = _compress(body, "gzip")
        entry.brotli = _compress(body, "br") if brotli is not None else None
    return entry


def _add_vary(response: HttpResponse, header: str) -> None:
    vary = response.get("Vary", "")
    if header.lower() not in {v.strip().lower() for v in vary.split(",")}:
        response["Vary"] = f"{vary}, {header}" if vary else header


def _encode(request: HttpRequest, response: HttpResponse, body: bytes, compressed: dict[str, bytes | None]):
    accepted = _accepted(request)
    _add_vary(response, "Accept-Encoding")
    response.content = body
    for encoding in ("br", "gzip"):
        if encoding in accepted and compressed.get(encoding):
            response.content = compressed[encoding]
            response["Content-Encoding"] = encoding
            break
    response["Content-Length"] = str(len(response.content))


def respond_from(request: HttpRequest, entry: Entry, version: Version, etag: str) -> HttpResponse:
    response = HttpResponse(status=entry.status)
    for name, value in entry.headers:
        response[name] = value
    body, compressed = entry.body, {"br": entry.brotli, "gzip": entry.gzipped}
    if entry.nonce is not None:
        nonce = base64.b64encode(os.urandom(16)).decode("ascii")  # as django-csp makes them
        body = body.replace(entry.nonce.encode(), nonce.encode())
        for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
            if name in response:
                response[name] = response[name].replace(f"'nonce-{entry.nonce}'", f"'nonce-{nonce}'")
        if _compressible(entry.headers, body):
            gzip_accepted = "gzip" in _accepted(request)
            compressed = {"gzip": _compress(body, "gzip") if gzip_accepted else None}
    _encode(request, response, body, compressed)
    _validators(response, version, etag)
    return response


def _validators(response: HttpResponse, version: Version, etag: str) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(version.changed_at.timestamp())
    # Stored by browsers and calendar clients, but asked again every time: an edit shows on the next request.
    response["Cache-Control"] = "no-cache"


def _not_modified(request: HttpRequest, version: Version, etag: str) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(version.changed_at.timestamp()) <= since


def _is_anonymous(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def _compress_uncached(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Compress a response that is not cached, unless it may hold a secret (BREACH: a page that reflects
    the visitor's input next to a CSRF token or personal data must not be compressed)."""
    if (
        response.streaming
        or response.has_header("Content-Encoding")
        or not _is_anonymous(request)
        or _uses_secrets(request)
        or response.cookies
        or not _compressible(response.items(), response.content)
    ):
        return response
    accepted = _accepted(request)
    encoding = "br" if "br" in accepted and brotli is not None else "gzip" if "gzip" in accepted else None
    _add_vary(response, "Accept-Encoding")
    if encoding is not None:
        response.content = _compress(response.content, encoding)
        response["Content-Encoding"] = encoding
        if response.has_header("Content-Length"):  # set by CommonMiddleware for the uncompressed body
            response["Content-Length"] = str(len(response.content))
    return response


def _served_from_cache(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # pragma: no cover
    raise RuntimeError("a stand-in for the view of a cached page; never called")


def _count_hit(request: HttpRequest, entry: Entry | None) -> None:
    """The page-view statistics (analytics.counting) find the page by the resolved URL, as after a render:
    the stored one (resolving again cost a fifth of a cached page), or resolved now for a 304."""
    if entry is not None and entry.match is not None:
        request.resolver_match = ResolverMatch(_served_from_cache, **entry.match)
        return
    with contextlib.suppress(Resolver404):
        request.resolver_match = resolve(request.path_info)


def page_cache(get_response: Callable[[HttpRequest], HttpResponse]):
    """The middleware: outside all others but the security headers, static files and the page-view counting,
    so that a cached page costs no session, locale, CSRF or policy work; what those add to a response (the
    policy, X-Frame-Options, Vary, Content-Language) is stored with it. Inside the counting, which it tells
    the page of a cached response."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if not is_cacheable_request(request):
            return _compress_uncached(request, get_response(request))
        version = current_version()
        key = cache_key(request)
        etag = f'W/"{version.value}-{key[:16]}"'
        if _not_modified(request, version, etag):
            _count_hit(request, None)
            not_modified = HttpResponseNotModified()
            _validators(not_modified, version, etag)
            return not_modified
        full_key = f"page:{version.value}:{key}"
        entry = store.get(full_key)
        if entry is not None:
            _count_hit(request, entry)
            return respond_from(request, entry, version, etag)
        response = get_response(request)
        if not is_storable(request, response):
            return _compress_uncached(request, response)
        entry = make_entry(request, response)
        store.set(full_key, entry)
        return respond_from(request, entry, version, etag)

    return middleware


# --- Domain signals -----------------------------------------------------------------------------------
# The one place where announced changes reach the page cache. The write watch above catches every write
# to a public table already; the signals say it in the domain's words and cover what a table list cannot.


@receiver(texts_changed, dispatch_uid="core.page_cache.texts_changed")
def _on_texts_changed(sender: Any, **kwargs: Any) -> None:
    bump_on_commit()
