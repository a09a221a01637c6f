"""Error pages in the site's design, the favicons of the installation's identity, and the health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import identity as site_identity

# Browsers ask for favicons on every page; a day's caching keeps that off the server.
FAVICON_MAX_AGE = 24 * 60 * 60


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


@require_safe
@cache_control(public=True, max_age=FAVICON_MAX_AGE)
def favicon_svg(request: HttpRequest) -> HttpResponse:
    identity = site_identity.current_identity()
    if identity.favicon_url:
        return redirect(identity.favicon_url)
    return HttpResponse(site_identity.favicon_svg(identity), content_type="image/svg+xml")


@require_safe
@cache_control(public=True, max_age=FAVICON_MAX_AGE)
def favicon_ico(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico`, which browsers and feed readers request without looking at the page."""
    icon = site_identity.favicon_ico(site_identity.current_identity())
    return HttpResponse(icon, content_type="image/x-icon")


@require_safe
@cache_control(public=True, max_age=FAVICON_MAX_AGE)
def touch_icon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(site_identity.favicon_png(site_identity.current_identity()), content_type="image/png")


@require_safe
@cache_control(public=True, max_age=FAVICON_MAX_AGE)
def identity_css(request: HttpRequest) -> HttpResponse:
    """The installation's colours as custom properties over KERN's tokens (the URL carries a version)."""
    return HttpResponse(site_identity.identity_css(site_identity.current_identity()), content_type="text/css")
