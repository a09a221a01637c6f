"""Notices inside other apps' pages: the urgent banner on the home page, an organisation's current notices."""

from django import template

from crosscluster.directory.models import Organization

from .. import queries

register = template.Library()

ORGANIZATION_NOTICES = 5


@register.simple_tag
def urgent_notices() -> list:
    """Pinned notices until they expire (see `access.pinned_notices`)."""
    return queries.home_notices()


@register.simple_tag
def current_notices_of(organization: Organization) -> list:
    return queries.current_notices(organization=organization, limit=ORGANIZATION_NOTICES)
