"""Request middleware that belongs to no single domain."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def display_time_zone(get_response: Callable[[HttpRequest], HttpResponse]):
    """Show every time in the region's zone (stored values stay UTC)."""
    zone = zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)

    def middleware(request: HttpRequest) -> HttpResponse:
        with timezone.override(zone):
            return get_response(request)

    return middleware
