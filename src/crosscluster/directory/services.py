"""Every change to the directory goes through one of these functions.

Views, API endpoints, admin actions and management commands all call them: each checks that the actor may
manage the organisation, validates, saves in one transaction, writes the audit log and keeps the search text
current. `actor=None` means the system itself (imports, the demo loader).
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from crosscluster.core.bilingual import column, english, plain_name
from crosscluster.core.sanitize import clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import announce, organizations_changed, topics_changed
from crosscluster.core.types import Actor

from .access import can_manage, is_coordinator
from .models import Contact, Offer, Organization, Region, Topic, Video
from .search import refresh_search_text


class DirectoryError(Exception):
    """A change the directory refuses; the message is translated and meant for the user."""


# A translated text's plain name (`name`) is its German column; `name_de` says the same, `name_en` is English.
ORGANIZATION_TEXTS = ("name", "summary", "description")
OFFER_TEXTS = ("title", "description")
ORGANIZATION_FIELDS = (
    *ORGANIZATION_TEXTS,
    *(f"{field}_de" for field in ORGANIZATION_TEXTS),
    *english(ORGANIZATION_TEXTS),
    *("kind", "city", "website", "logo", "picture", "published"),
)
# Only the coordination office (and the system) sets these: which organisations exist, and their addresses.
COORDINATOR_FIELDS = ("slug", "region")
OFFER_FIELDS = (*OFFER_TEXTS, *(f"{f}_de" for f in OFFER_TEXTS), *english(OFFER_TEXTS), "kind", "position")
CONTACT_FIELDS = ("name", "role", "email", "phone", "photo", "position")
VIDEO_FIELDS = ("title", "file", "poster", "captions", "captions_language", "url", "position")


def _ensure_can_manage(actor: Actor, organization: Organization) -> None:
    if actor is None:
        return
    if not can_manage(actor, organization):
        raise PermissionDenied(_("You do not manage this organisation."))


def _apply(instance: Any, allowed: Iterable[str], values: dict[str, Any]) -> dict[str, list[str]]:
    """Set the given fields and return what changed as {field: [old, new]} for the audit log."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    changes: dict[str, list[str]] = {}
    for field, value in values.items():
        if isinstance(value, str):
            value = clean_text(value)
        attribute = column(type(instance), field)
        old = getattr(instance, attribute)
        if (old or "") != value if isinstance(value, str) else old != value:
            changes[plain_name(type(instance), field)] = [str(old or ""), str(value)]
            setattr(instance, attribute, value)
    return changes


def _next_position(siblings: Any) -> int:
    """After the last item, even when imported positions have gaps."""
    last = siblings.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _save_validated(instance: Any) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise DirectoryError("; ".join(exc.messages)) from exc
    instance.save()


def _set_topics(instance: Any, topics: Iterable[Topic] | None, changes: dict[str, Any]) -> None:
    if topics is None:
        return
    new = {topic.pk for topic in topics}
    old = set(instance.topics.values_list("pk", flat=True))
    if new != old:
        instance.topics.set(new)
        changes["topics"] = sorted(Topic.objects.filter(pk__in=new).values_list("slug", flat=True))


def _ensure_coordinator(actor: Actor, message: str) -> None:
    if actor is not None and not is_coordinator(actor):
        raise PermissionDenied(message)


@transaction.atomic
def create_organization(
    *, actor: Actor, region: Region, slug: str, topics: Iterable[Topic] | None = None, **fields: Any
) -> Organization:
    """A new member organisation (the coordination office, the admin, or the system)."""
    _ensure_coordinator(actor, _("Only the coordination office adds organisations."))
    organization = Organization(region=region, slug=slug)
    _apply(organization, ORGANIZATION_FIELDS, fields)
    _save_validated(organization)
    _set_topics(organization, topics, {})
    log_action("directory.organization.created", actor=actor, obj=organization, organization=organization)
    refresh_search_text(organization)
    announce(organizations_changed, Organization, [organization.pk], names=True)
    return organization


@transaction.atomic
def delete_organization(organization: Organization, *, actor: Actor) -> None:
    """Remove an organisation with its offers, contacts, videos and memberships (the office or the system).

    The audit entry keeps the name (`object_repr`); the organisation's own history goes with it.
    """
    _ensure_coordinator(actor, _("Only the coordination office removes organisations."))
    log_action(
        "directory.organization.deleted", actor=actor, obj=organization, data={"slug": organization.slug}
    )
    organization.delete()


@transaction.atomic
def update_organization(
    organization: Organization, *, actor: Actor, topics: Iterable[Topic] | None = None, **fields: Any
) -> Organization:
    """Edit the profile. Only the coordination office may publish or unpublish, move or rename (slug) it."""
    _ensure_can_manage(actor, organization)
    changes_publication = "published" in fields and fields["published"] != organization.published
    if changes_publication:
        _ensure_coordinator(actor, _("Only the coordination office publishes or unpublishes organisations."))
    if set(fields) & set(COORDINATOR_FIELDS):
        _ensure_coordinator(actor, _("Only the coordination office changes an organisation's address."))
    changes = _apply(organization, (*ORGANIZATION_FIELDS, *COORDINATOR_FIELDS), fields)
    _save_validated(organization)
    _set_topics(organization, topics, changes)
    if changes:
        log_action(
            "directory.organization.updated",
            actor=actor,
            obj=organization,
            organization=organization,
            data={"changes": changes},
        )
        refresh_search_text(organization)
        # Its publication decides whether its events are listed (events.signals); its name is in the search
        # documents of its events and notices (search.documents).
        names = bool(changes.keys() & {"name", "name_de", "name_en"})
        announce(organizations_changed, Organization, [organization.pk], names=names)
    return organization


TOPIC_FIELDS = (
    *("name", "name_de", "name_en", "slug", "position"),
    *("introduction", "introduction_de", "introduction_en", "synonyms"),
)


@transaction.atomic
def update_topic(topic: Topic, *, actor: Actor, **fields: Any) -> Topic:
    """The coordination office names a topic, words its introduction and keeps its synonyms (search and
    routing); the admin edits topics through this too. A topic's name is part of the search documents of
    what has the topic: the change is announced (core.signals.topics_changed), and search.documents rewrites
    them in this transaction."""
    _ensure_coordinator(actor, _("Only the coordination office edits topics."))
    changes = _apply(topic, TOPIC_FIELDS, fields)
    _save_validated(topic)
    if changes:
        log_action("directory.topic.updated", actor=actor, obj=topic, data={"changes": changes})
        announce(topics_changed, Topic, [topic.pk], names=bool(changes.keys() & {"name", "name_en"}))
    return topic


# Offers, contacts and videos share one life cycle; offers also carry topics and feed the search text.
Item = Offer | Contact | Video
ItemT = TypeVar("ItemT", Offer, Contact, Video)
ITEM_FIELDS: dict[type, tuple[str, ...]] = {Offer: OFFER_FIELDS, Contact: CONTACT_FIELDS, Video: VIDEO_FIELDS}


def _action(item: Item, verb: str) -> str:
    return f"directory.{item._meta.model_name}.{verb}"


@transaction.atomic
def _create_item(
    model: type[ItemT],
    organization: Organization,
    actor: Actor,
    topics: Iterable[Topic] | None,
    fields: dict[str, Any],
) -> ItemT:
    _ensure_can_manage(actor, organization)
    item = model(organization=organization)
    fields.setdefault("position", _next_position(model.objects.filter(organization=organization)))
    _apply(item, ITEM_FIELDS[model], fields)
    _save_validated(item)
    _set_topics(item, topics, {})
    log_action(_action(item, "created"), actor=actor, obj=item, organization=organization)
    if model is Offer:
        refresh_search_text(organization)
    return item


@transaction.atomic
def _update_item(item: ItemT, actor: Actor, topics: Iterable[Topic] | None, fields: dict[str, Any]) -> ItemT:
    _ensure_can_manage(actor, item.organization)
    changes = _apply(item, ITEM_FIELDS[type(item)], fields)
    _save_validated(item)
    _set_topics(item, topics, changes)
    if changes:
        log_action(
            _action(item, "updated"),
            actor=actor,
            obj=item,
            organization=item.organization,
            data={"changes": changes},
        )
        if isinstance(item, Offer):
            refresh_search_text(item.organization)
    return item


@transaction.atomic
def _delete_item(item: Item, actor: Actor) -> None:
    organization = item.organization
    _ensure_can_manage(actor, organization)
    log_action(_action(item, "deleted"), actor=actor, obj=item, organization=organization)
    item.delete()
    if isinstance(item, Offer):
        refresh_search_text(organization)


def create_offer(
    organization: Organization, *, actor: Actor, topics: Iterable[Topic] | None = None, **fields: Any
) -> Offer:
    return _create_item(Offer, organization, actor, topics, fields)


def update_offer(
    offer: Offer, *, actor: Actor, topics: Iterable[Topic] | None = None, **fields: Any
) -> Offer:
    return _update_item(offer, actor, topics, fields)


def delete_offer(offer: Offer, *, actor: Actor) -> None:
    _delete_item(offer, actor)


def create_contact(organization: Organization, *, actor: Actor, **fields: Any) -> Contact:
    return _create_item(Contact, organization, actor, None, fields)


def update_contact(contact: Contact, *, actor: Actor, **fields: Any) -> Contact:
    return _update_item(contact, actor, None, fields)


def delete_contact(contact: Contact, *, actor: Actor) -> None:
    _delete_item(contact, actor)


def create_video(organization: Organization, *, actor: Actor, **fields: Any) -> Video:
    return _create_item(Video, organization, actor, None, fields)


def update_video(video: Video, *, actor: Actor, **fields: Any) -> Video:
    return _update_item(video, actor, None, fields)


def delete_video(video: Video, *, actor: Actor) -> None:
    _delete_item(video, actor)
