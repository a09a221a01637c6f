"""The querysets of the public notice pages, all starting from `access.public_notices()`.

Prefetches live here, next to the queries, so that views, feeds and the API stay free of N+1 queries.
"""

import datetime as dt

from django.db.models import Prefetch, QuerySet

from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.queries import published_organizations
from crosscluster.directory.search import filter_by_text

from .access import notices_editable_by, pinned_notices, public_notices
from .models import Notice


def with_relations(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    return notices.select_related("organization").prefetch_related("topics")


def filter_notices(
    *,
    topic: Topic | None = None,
    organization: Organization | None = None,
    office_only: bool = False,
    text: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Notice]:
    """Public notices narrowed by each filter that is set, newest first."""
    notices = public_notices(now)
    if topic is not None:
        notices = notices.filter(topics=topic)
    if organization is not None:
        notices = notices.filter(organization=organization)
    elif office_only:
        notices = notices.filter(organization__isnull=True)
    if text:
        notices = filter_by_text(notices, text, kind="notice")
    return with_relations(notices.order_by("-pinned", "-valid_from", "-pk"))


def notice_for_page(slug: str) -> Notice | None:
    return (
        with_relations(public_notices())
        .select_related("region")
        .prefetch_related(Prefetch("attachments"))
        .filter(slug=slug)
        .first()
    )


def notice_for_editor(user, slug: str) -> Notice | None:
    """A notice that is not public (yet), for the people who may edit it to check before it goes out."""
    return (
        with_relations(notices_editable_by(user))
        .select_related("region")
        .prefetch_related("attachments")
        .filter(slug=slug)
        .first()
    )


def home_notices(limit: int = 5) -> list[Notice]:
    """The urgent notices for the home page banner, newest first."""
    return list(pinned_notices().select_related("organization").order_by("-valid_from", "-pk")[:limit])


def current_notices(*, topic: Topic | None = None, organization: Organization | None = None, limit: int = 5):
    """The newest public notices of a topic or an organisation, for their pages."""
    return list(filter_notices(topic=topic, organization=organization)[:limit])


def publishing_organizations() -> QuerySet[Organization]:
    """Published organisations with at least one public notice: the choices of the organisation filter."""
    return published_organizations().filter(notices__in=public_notices()).distinct().order_by("name")
