"""Who may edit which notice, and what the public sees: the choke points for notice querysets."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.queries import organization_is_published

from .models import Notice


def public_notices(now: dt.datetime | None = None) -> QuerySet[Notice]:
    """Published notices inside their validity window, of a published organisation or the coordination office.

    Every public page, feed, API endpoint, the search and the digest read notices through this function only.
    """
    now = now or timezone.now()
    return Notice.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now),
        Q(organization__isnull=True) | organization_is_published("organization__"),
        published=True,
        valid_from__lte=now,
    )


def pinned_notices(now: dt.datetime | None = None) -> QuerySet[Notice]:
    """Urgent notices for the home page banner, newest first."""
    return public_notices(now).filter(pinned=True)


def notices_editable_by(user) -> QuerySet[Notice]:
    """All notices for the coordination office and admins; a manager's those of the organisations they manage.

    Notices of the coordination office itself (organisation null) are the office's alone.
    """
    if not user.is_authenticated or not user.is_active:
        return Notice.objects.none()
    if is_coordinator(user):
        return Notice.objects.all()
    return Notice.objects.filter(organization__in=organizations_managed_by(user))


def can_edit_notice(user, notice: Notice) -> bool:
    return notices_editable_by(user).filter(pk=notice.pk).exists()
