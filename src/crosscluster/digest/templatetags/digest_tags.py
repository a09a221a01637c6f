"""Digest settings for templates that other apps render (the privacy page)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def digest_settings() -> dict[str, object]:
    """`{% digest_settings as rules %}`: consent version and the days an unconfirmed request is kept."""
    return {
        "consent_version": settings.DIGEST_CONSENT_VERSION,
        "unconfirmed_days": settings.DIGEST_UNCONFIRMED_DAYS,
    }
