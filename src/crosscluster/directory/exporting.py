"""Export a region's directory in the `crosscluster-directory/1` format that `importing` reads.

The German texts are written under their plain names (`name`), the English ones beside them (`name_en`), and
only where there is one. Empty optional texts are left out and the four lists of an organisation are always
written, exactly as in the shipped demo file, so that importing an export changes nothing and exporting an
import gives the file back.
"""

from typing import Any

from django.db.models import Prefetch

from .importing import FORMAT
from .models import Organization, Region, Topic, Video
from .queries import organization_is_published


def _compact(**values: str | None) -> dict[str, str]:
    """Keep required fields and non-empty optional ones, in the order given."""
    return {key: value for key, value in values.items() if value}


def _topic(topic: Topic) -> dict[str, Any]:
    """Synonyms and the introduction only when there are any, like the other optional keys."""
    data: dict[str, Any] = {"slug": topic.slug, "name": topic.name_de}
    if topic.name_en:
        data["name_en"] = topic.name_en
    if synonyms := topic.synonym_list():
        data["synonyms"] = synonyms
    if topic.introduction_de:
        data["introduction"] = topic.introduction_de
    if topic.introduction_en:
        data["introduction_en"] = topic.introduction_en
    return data


def export_directory(region: Region, *, include_unpublished: bool = False) -> dict[str, Any]:
    """The region, the whole shared topic taxonomy and the region's organisations (ordered by slug).

    Unpublished organisations are left out unless asked for: the format has no `published` flag, and an import
    creates organisations as published, so an exported draft would go public wherever the file is imported.
    Uploaded videos are left out too, because the format only describes external videos (`url`).
    """
    organizations = (
        region.organizations.order_by("slug")
        .prefetch_related(
            "offers",
            "contacts",
            Prefetch("videos", queryset=Video.objects.exclude(url=""), to_attr="external_videos"),
        )
        .only(*("pk", "region", "slug", "name", "kind", "city", "website", "summary", "description"))
    )
    if not include_unpublished:
        organizations = organizations.filter(organization_is_published())
    organizations = list(organizations)
    # The through rows' order is the order of the import file (see importing._topic_slugs).
    topic_slugs: dict[int, list[str]] = {organization.pk: [] for organization in organizations}
    rows = (
        Organization.topics.through.objects.filter(organization__in=list(topic_slugs))
        .order_by("pk")
        .values_list("organization_id", "topic__slug")
    )
    for organization_id, slug in rows:
        topic_slugs[organization_id].append(slug)

    return {
        "format": FORMAT,
        "region": {"slug": region.slug, "name": region.name},
        "topics": [_topic(topic) for topic in Topic.objects.order_by("position", "name", "slug")],
        "organizations": [
            {
                **_compact(
                    slug=organization.slug,
                    name=organization.name_de,
                    name_en=organization.name_en,
                    kind=organization.kind,
                    city=organization.city,
                    website=organization.website,
                    summary=organization.summary_de,
                    summary_en=organization.summary_en,
                    description=organization.description_de,
                    description_en=organization.description_en,
                ),
                "topics": topic_slugs[organization.pk],
                "offers": [
                    _compact(
                        title=offer.title_de,
                        title_en=offer.title_en,
                        description=offer.description_de,
                        description_en=offer.description_en,
                        kind=offer.kind,
                    )
                    for offer in organization.offers.all()
                ],
                "contacts": [
                    _compact(name=contact.name, role=contact.role, email=contact.email, phone=contact.phone)
                    for contact in organization.contacts.all()
                ],
                "videos": [
                    _compact(title=video.title, url=video.url) for video in organization.external_videos
                ],
            }
            for organization in organizations
        ],
    }
