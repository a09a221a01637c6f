"""The published directory as Open Referral HSDS 3.0 organisations, for systems that do not read our format.

Each organisation nests its services (our offers), contacts (with their phone numbers), one location (the
city) and attributes linking it to taxonomy terms (our topics, and its kind). The objects validate against
HSDS's `compiled/organization.json` (tests/directory/hsds-3.0/): optional fields without a value are left out,
never `null`, because the schema types them as plain strings.

**Ids are stable.** Every id is a UUID 5 from `NAMESPACE` and the object's natural key, so the same object
gets the same id in every export, on every installation that holds the same data, without storing anything:

| object | natural key |
|---|---|
| organisation | `organization/<region slug>/<slug>` (slugs may become unique per initiative only) |
| service (offer) | `<organisation key>/service/<German title>` |
| contact | `<organisation key>/contact/<name>`; its phone `<contact key>/phone` |
| location | `<organisation key>/location/<city>` |
| taxonomy term | `topic/<slug>`, `organization-kind/<kind>`, `offer-kind/<kind>` |
| attribute | `<key of the linked object>/attribute/<key of the term>` |

A second offer (or contact) of the same organisation with the same title (or name) gets `#2` appended, and so
on in their order. An id therefore changes when a slug, title, name or city changes: for a consumer that is a
removal and an addition, which is what a renamed offer is to a reader. Ids of offers and contacts survive
reordering, edits of every other field and a re-import of the same file (which recreates the rows).

Only published organisations and what their public page shows are exported; texts are the German ones (the
language of record), an English name goes to `alternate_name`. Absolute URLs start with `SITE_URL`.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import translation

from ..geography import PLACES
from ..models import Offer, Organization, Topic
from ..queries import organization_is_published

# Fixed forever: changing it changes every id of every export.
NAMESPACE = uuid.UUID("ecdb67a7-57b4-406d-a60b-a2d473bafc1b")

HSDS_VERSION = "3.0"
TOPICS_TAXONOMY = "topic"
ORGANIZATION_KINDS_TAXONOMY = "organization-kind"
OFFER_KINDS_TAXONOMY = "offer-kind"

# Names and descriptions of our three taxonomies, in German like the rest of the export.
TAXONOMIES = {
    TOPICS_TAXONOMY: (
        "Crosscluster: Themen",
        "Die Themen (Branchen und Technologiefelder), an denen die Mitgliedsorganisationen arbeiten.",
    ),
    ORGANIZATION_KINDS_TAXONOMY: (
        "Crosscluster: Arten von Organisationen",
        "Was für eine Organisation ein Mitglied ist: Netzwerk, Cluster, Kompetenzzentrum, Agentur, Kammer …",
    ),
    OFFER_KINDS_TAXONOMY: (
        "Crosscluster: Arten von Angeboten",
        "Was für eine Leistung ein Angebot ist: Beratung, Förderung, Vernetzung, Weiterbildung …",
    ),
}


def hsds_id(key: str) -> str:
    """The UUID 5 of a natural key (see the module's table)."""
    return str(uuid.uuid5(NAMESPACE, key))


def organization_key(organization: Organization) -> str:
    return f"organization/{organization.region.slug}/{organization.slug}"  # see find_published_organization


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _numbered(keys: Iterable[str]) -> list[str]:
    """The keys, a repeated one with `#2`, `#3` … in order, so that two equal titles get two ids."""
    seen: dict[str, int] = {}
    result = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        result.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return result


def _compact(values: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """Leave out empty optional values: HSDS types them as plain strings, so `null` would not validate."""
    keep = set(required)
    return {key: value for key, value in values.items() if key in keep or value not in (None, "", [])}


def _term(taxonomy: str, code: str, name: str, description: str, uri: str = "") -> dict[str, Any]:
    taxonomy_name, taxonomy_description = TAXONOMIES[taxonomy]
    taxonomy_id = hsds_id(f"taxonomy/{taxonomy}")
    return _compact(
        {
            "id": hsds_id(f"{taxonomy}/{code}"),
            "code": code,
            "name": name,
            "description": description,
            "taxonomy": taxonomy_name,
            "taxonomy_id": taxonomy_id,
            "taxonomy_detail": {
                "id": taxonomy_id,
                "name": taxonomy_name,
                "description": taxonomy_description,
            },
            "language": "de",
            "term_uri": uri,
        },
        required=["description"],
    )


def _attribute(link_key: str, link_entity: str, taxonomy: str, term: dict[str, Any]) -> dict[str, Any]:
    link_id = hsds_id(link_key)
    return {
        "id": hsds_id(f"{link_key}/attribute/{taxonomy}/{term['code']}"),
        "link_id": link_id,
        "link_type": taxonomy,
        "link_entity": link_entity,
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


def _topic_term(topic: Topic) -> dict[str, Any]:
    return _term(
        TOPICS_TAXONOMY,
        topic.slug,
        topic.name_de,
        topic.introduction_de or "",
        _absolute(reverse("portal:topic", kwargs={"slug": topic.slug})),
    )


def _kind_term(taxonomy: str, kind: Any) -> dict[str, Any]:
    """A kind's German label (the export is in German), its code as the term's code."""
    with translation.override("de"):
        return _term(taxonomy, kind.value, str(kind.label), "")


def _service(offer: Offer, key: str, organization_id: str) -> dict[str, Any]:
    attributes = [
        _attribute(key, "service", TOPICS_TAXONOMY, _topic_term(topic)) for topic in offer.topics.all()
    ]
    kind = _kind_term(OFFER_KINDS_TAXONOMY, Offer.Kind(offer.kind))
    attributes.append(_attribute(key, "service", OFFER_KINDS_TAXONOMY, kind))
    return _compact(
        {
            "id": hsds_id(key),
            "organization_id": organization_id,
            "name": offer.title_de,
            "alternate_name": offer.title_en if offer.title_en and offer.title_en != offer.title_de else "",
            "description": offer.description_de,
            "status": "active",
            "attributes": attributes,
        }
    )


def _contacts(organization: Organization, key: str, organization_id: str) -> list[dict[str, Any]]:
    contacts = list(organization.contacts.all())
    keys = _numbered(f"{key}/contact/{contact.name}" for contact in contacts)
    result = []
    for contact, contact_key in zip(contacts, keys, strict=True):
        contact_id = hsds_id(contact_key)
        phones = (
            [{"id": hsds_id(f"{contact_key}/phone"), "contact_id": contact_id, "number": contact.phone}]
            if contact.phone
            else []
        )
        result.append(
            _compact(
                {
                    "id": contact_id,
                    "organization_id": organization_id,
                    "name": contact.name,
                    "title": contact.role,
                    "email": contact.email,
                    "phones": phones,
                }
            )
        )
    return result


def _locations(organization: Organization, key: str, organization_id: str) -> list[dict[str, Any]]:
    """The city only: the directory keeps no street address. Coordinates are the town centre's (rounded to
    0.01°, as on the public map) where the town is known to `geography.PLACES`."""
    if not organization.city:
        return []
    location: dict[str, Any] = {
        "id": hsds_id(f"{key}/location/{organization.city}"),
        "location_type": "physical",
        "organization_id": organization_id,
        "name": organization.city,
    }
    if organization.city in PLACES:
        location["latitude"], location["longitude"] = PLACES[organization.city]
    return [location]


def hsds_organization(organization: Organization) -> dict[str, Any]:
    """One organisation; read through `with_hsds_relations` so that its relations cost no extra query."""
    key = organization_key(organization)
    organization_id = hsds_id(key)
    offers = list(organization.offers.all())
    service_keys = _numbered(f"{key}/service/{offer.title_de}" for offer in offers)
    description = "\n\n".join(text for text in (organization.summary_de, organization.description_de) if text)
    attributes = [
        _attribute(key, "organization", TOPICS_TAXONOMY, _topic_term(topic))
        for topic in organization.topics.all()
    ]
    attributes.append(
        _attribute(
            key,
            "organization",
            ORGANIZATION_KINDS_TAXONOMY,
            _kind_term(ORGANIZATION_KINDS_TAXONOMY, Organization.Kind(organization.kind)),
        )
    )
    return _compact(
        {
            "id": organization_id,
            "name": organization.name_de,
            "alternate_name": (
                organization.name_en
                if organization.name_en and organization.name_en != organization.name_de
                else ""
            ),
            "description": description,
            "website": organization.website,
            "logo": _absolute(organization.logo.url) if organization.logo else "",
            "uri": _absolute(organization.get_absolute_url()),
            "contacts": _contacts(organization, key, organization_id),
            "locations": _locations(organization, key, organization_id),
            "services": [
                _service(offer, service_key, organization_id)
                for offer, service_key in zip(offers, service_keys, strict=True)
            ],
            "attributes": attributes,
        },
        required=["description"],
    )


def published_organizations(organizations: QuerySet[Organization] | None = None) -> QuerySet[Organization]:
    """The published ones of `organizations` (all by default), by name and slug, as HSDS exports them.

    The choke point for what HSDS shows: whatever set a caller passes (a region's, later an initiative's),
    drafts never leave the installation this way.
    """
    queryset = Organization.objects.all() if organizations is None else organizations
    return queryset.filter(organization_is_published()).order_by("name", "slug")


def with_hsds_relations(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    """Everything `hsds_organization` reads, in a fixed number of queries whatever the number of rows.

    Topics come in the taxonomy's order, as on the public page.
    """
    return queryset.select_related("region").prefetch_related(
        Prefetch("offers", queryset=Offer.objects.prefetch_related("topics")), "contacts", "topics"
    )


def export_hsds(organizations: QuerySet[Organization] | None = None) -> list[dict[str, Any]]:
    """The published organisations of `organizations` (all by default) as HSDS organisation objects.

    URLs are written in the site's default language, whatever language is active (an API request's).
    """
    queryset = with_hsds_relations(published_organizations(organizations))
    return hsds_organizations(queryset)


def find_published_organization(organization_id: str) -> dict[str, Any] | None:
    """The published organisation with this HSDS id, exported, or None.

    Ids are not stored, so this computes them from the region and slug of every published organisation:
    one narrow query, which at a directory's size (hundreds) costs less than a column and its upkeep.
    """
    rows = published_organizations().values_list("pk", "region__slug", "slug")
    for pk, region_slug, slug in rows:
        if hsds_id(f"organization/{region_slug}/{slug}") == organization_id:
            return export_hsds(Organization.objects.filter(pk=pk))[0]
    return None


def hsds_organizations(organizations: Iterable[Organization]) -> list[dict[str, Any]]:
    with translation.override(settings.LANGUAGE_CODE):
        return [hsds_organization(organization) for organization in organizations]
