"""Inquiry settings for templates that other apps render (the privacy page) and for mails."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def inquiry_settings() -> dict[str, object]:
    """`{% inquiry_settings as rules %}`: retention days, consent version, response time in working days."""
    return {
        "retention_days": settings.INQUIRY_RETENTION_DAYS,
        "consent_version": settings.INQUIRY_CONSENT_VERSION,
        "response_days": settings.INQUIRY_RESPONSE_WORKING_DAYS,
    }
