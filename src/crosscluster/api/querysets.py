"""What the API reads, with the joins and prefetches its schemas need, and the lookups its writes share.

Reads are public and show only published organisations and their offers (`directory.queries`, the one
choke point). Writes address any organisation by
slug, published or not; the directory services then decide whether the token's user may change it.
"""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crosscluster.directory.models import Contact, Offer, Organization, Topic, Video
from crosscluster.directory.queries import published_offers

from .errors import invalid_body


def organization_summaries(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    """Ordered by name, then id, so that pages never overlap."""
    return queryset.select_related("region").prefetch_related("topics").order_by("name", "pk")


def organization_details(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    return queryset.select_related("region").prefetch_related(
        "topics",
        Prefetch("offers", queryset=Offer.objects.prefetch_related("topics")),
        "contacts",
        "videos",
    )


def public_offers() -> QuerySet[Offer]:
    """Grouped by organisation in name order, then in each organisation's own order."""
    return (
        published_offers()
        .select_related("organization")
        .prefetch_related("topics")
        .order_by("organization__name", "organization_id", "position", "pk")
    )


def get_organization(slug: str, queryset: QuerySet[Organization] | None = None) -> Organization:
    queryset = queryset if queryset is not None else Organization.objects.all()
    organization = queryset.filter(slug=slug).first()
    if organization is None:
        raise Http404(_("There is no organisation “%(slug)s”.") % {"slug": slug})
    return organization


def get_offer(offer_id: int, queryset: QuerySet[Offer] | None = None) -> Offer:
    queryset = queryset if queryset is not None else Offer.objects.select_related("organization")
    offer = queryset.filter(pk=offer_id).first()
    if offer is None:
        raise Http404(_("There is no offer %(id)s.") % {"id": offer_id})
    return offer


def get_contact(organization: Organization, contact_id: int) -> Contact:
    contact = Contact.objects.filter(organization=organization, pk=contact_id).first()
    if contact is None:
        raise Http404(_("The organisation has no contact %(id)s.") % {"id": contact_id})
    contact.organization = organization
    return contact


def get_video(organization: Organization, video_id: int) -> Video:
    video = Video.objects.filter(organization=organization, pk=video_id).first()
    if video is None:
        raise Http404(_("The organisation has no video %(id)s.") % {"id": video_id})
    video.organization = organization
    return video


def topics_by_slug(slugs: Iterable[str] | None) -> list[Topic] | None:
    """The topics in the order given; an unknown slug is a validation error naming its index."""
    if slugs is None:
        return None
    slugs = list(slugs)
    found = {topic.slug: topic for topic in Topic.objects.filter(slug__in=slugs)}
    for index, slug in enumerate(slugs):
        if slug not in found:
            raise invalid_body(
                ("topics", index), _("There is no topic “%(slug)s”.") % {"slug": slug}, "unknown_topic"
            )
    return [found[slug] for slug in dict.fromkeys(slugs)]
