"""Who sees which page-view figures: the one choke point for reading `PageViewCount`."""

from django.apps import apps
from django.db.models import Q, QuerySet

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization
from crosscluster.events.models import Event

from .models import PageViewCount

Kind = PageViewCount.Kind


def pages_of(organizations: QuerySet[Organization]) -> Q:
    """The pages that belong to these organisations: their own pages, their events and their notices.

    An event counts for every organiser, and for the organisers of its merged duplicates too (their page
    views go to the canonical event). Notices of the coordination office belong to no organisation.
    """
    ids = organizations.values("pk")
    events = Event.objects.filter(organizers__in=ids).values("pk")
    merged = Event.objects.filter(duplicates__organizers__in=ids).values("pk")
    condition = (
        Q(kind=Kind.ORGANIZATION, object_id__in=ids)
        | Q(kind=Kind.EVENT, object_id__in=events)
        | Q(kind=Kind.EVENT, object_id__in=merged)
    )
    if apps.is_installed("crosscluster.news"):
        notices = apps.get_model("news", "Notice").objects.filter(organization__in=ids).values("pk")
        condition |= Q(kind=Kind.NOTICE, object_id__in=notices)
    return condition


def page_views_visible_to(user) -> QuerySet[PageViewCount]:
    """Everything for the coordination office; a manager's organisations' pages; nothing for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return PageViewCount.objects.none()
    if is_coordinator(user):
        return PageViewCount.objects.all()
    return PageViewCount.objects.filter(pages_of(organizations_managed_by(user)))


def can_see_statistics_of(user, organization: Organization) -> bool:
    """Managers see their own organisations' figures, the coordination office everyone's."""
    return organizations_managed_by(user).filter(pk=organization.pk).exists()
