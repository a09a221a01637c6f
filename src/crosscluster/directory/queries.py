"""What the public site may show, and the querysets its pages read.

`published_organizations()` is the one choke point for public reads: every public page starts from it (or from
the offers of its organisations), so an unpublished organisation never leaks through a topic, a search or a
vCard. Prefetches live here, next to the queries, so that the views stay free of N+1 queries.
"""

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Offer, Organization, Region, Topic, Video
from .search import filter_by_text


def organization_is_published(path: str = "") -> Q:
    """The one definition of "the public may see this organisation", as a condition.

    For another model's queryset, `path` leads to the organisation, e.g.
    `organization_is_published("organization__")` on offers, notices or the organisers of events. Everything
    else starts from the querysets below.
    """
    return Q(**{f"{path}published": True})


def published_organizations() -> QuerySet[Organization]:
    return Organization.objects.filter(organization_is_published())


def published_offers() -> QuerySet[Offer]:
    return Offer.objects.filter(organization_is_published("organization__"))


def default_region() -> Region | None:
    return Region.objects.filter(slug=settings.DEFAULT_REGION).first()


def member_organizations(region: Region | None) -> QuerySet[Organization]:
    """The members shown on the home page: the region's, or everyone's when the region is not set up."""
    organizations = published_organizations()
    if region is not None:
        organizations = organizations.filter(region=region)
    return organizations.order_by("name")


def topics_with_counts() -> QuerySet[Topic]:
    """Topics annotated with how many published organisations and offers they have.

    The explicit order matters: Django drops Meta.ordering from queries that aggregate.
    """
    return Topic.objects.annotate(
        organization_count=Count(
            "organizations", filter=organization_is_published("organizations__"), distinct=True
        ),
        offer_count=Count(
            "offers", filter=organization_is_published("offers__organization__"), distinct=True
        ),
    ).order_by("position", "name")


def filter_organizations(
    *, topic: Topic | None = None, kind: str = "", city: str = "", text: str = ""
) -> QuerySet[Organization]:
    """The directory list: published organisations narrowed by each filter that is set."""
    organizations = published_organizations()
    if topic is not None:
        organizations = organizations.filter(topics=topic)
    if kind:
        organizations = organizations.filter(kind=kind)
    if city:
        organizations = organizations.filter(city=city)
    if text:
        organizations = filter_by_text(organizations, text)
    return organizations.order_by("name").prefetch_related("topics")


def published_cities() -> list[str]:
    return list(
        published_organizations().exclude(city="").order_by("city").values_list("city", flat=True).distinct()
    )


def organization_for_page(slug: str) -> Organization | None:
    """One published organisation with everything its page shows, in a fixed number of queries."""
    return (
        published_organizations()
        .select_related("region")
        .prefetch_related(
            "topics",
            Prefetch("offers", queryset=Offer.objects.prefetch_related("topics")),
            "contacts",
            "videos",
        )
        .filter(slug=slug)
        .first()
    )


def topic_organizations(topic: Topic) -> QuerySet[Organization]:
    return published_organizations().filter(topics=topic).order_by("name")


def topic_offers(topic: Topic) -> QuerySet[Offer]:
    return (
        published_offers()
        .filter(topics=topic)
        .select_related("organization")
        .order_by("organization__name", "position", "id")
    )


def gallery_videos() -> QuerySet[Video]:
    """The videos of published organisations for the gallery, organisation by organisation."""
    return (
        Video.objects.filter(organization_is_published("organization__"))
        .select_related("organization")
        .order_by("organization__name", "position", "pk")
    )


def member_cities(organizations: QuerySet[Organization] | None = None) -> dict[str, int]:
    """How many published organisations sit in each city (those without a city are left out)."""
    organizations = published_organizations() if organizations is None else organizations
    rows = organizations.exclude(city="").order_by().values("city").annotate(count=Count("pk"))
    return dict(rows.values_list("city", "count"))
