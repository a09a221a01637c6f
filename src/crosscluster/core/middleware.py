"""Request middleware that belongs to no single domain."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .problems import problem

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def display_time_zone(get_response: Callable[[HttpRequest], HttpResponse]):
    """Show every time in the region's zone (stored values stay UTC)."""
    zone = zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)

    def middleware(request: HttpRequest) -> HttpResponse:
        with timezone.override(zone):
            return get_response(request)

    return middleware


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _refuse(request: HttpRequest, status: int, detail: Callable[[], str]) -> HttpResponse:
    """A problem object on the API (like every API error, in the client's Accept-Language), the site's
    error page elsewhere (in the language of the path, which LocaleMiddleware has activated)."""
    if _is_api(request):
        with translation.override(translation.get_language_from_request(request)):
            return problem(request, status, detail())
    template = {400: "core/400.html", 413: "core/413.html"}[status]
    return render(request, template, {"detail": detail()}, status=status)


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


def _too_large(request: HttpRequest) -> HttpResponse:
    def detail() -> str:
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return _("The request is larger than the %(size)s this address accepts.") % {"size": limit}

    return _refuse(request, 413, detail)


def _nul(request: HttpRequest) -> HttpResponse:
    def detail() -> str:
        return _("The request contains a NUL character, which no address of this site accepts.")

    return _refuse(request, 400, detail)


def refuse_unreadable_requests(get_response: Callable[[HttpRequest], HttpResponse]):
    """Answer 400 for NUL bytes in a page's path or parameters, 413 for a body over the limit.

    NUL is never text a person typed, and PostgreSQL refuses it in any query: a `?organisation=%00` reached
    a lookup and answered 500. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (uploaded files do not count) made
    Django raise wherever a form or the API first read it: a 500 on the API, a bare 400 elsewhere. Both are
    decided here, before the CSRF check or any view reads the request; the API gets problem objects.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            # The API takes JSON only, read whole: its length is known before anything is read. NUL in
            # its parameters and bodies is refused field by field (api.schemas.ClientSchema, 422).
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _refuse(request, 400, lambda: _("The Content-Length header is not a number."))
            if limit is not None and length > limit:
                return _too_large(request)
            return get_response(request)
        if "\x00" in request.path_info or _has_nul(request.GET):
            return _nul(request)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                form_data = request.POST
            except RequestDataTooBig:
                return _too_large(request)
            except (SuspiciousOperation, MultiPartParserError):  # too many fields, a broken multipart body
                return _refuse(request, 400, lambda: _("The form data cannot be read."))
            if _has_nul(form_data):
                return _nul(request)
        return get_response(request)

    return middleware
