"""The coordination office's decisions on duplicates (merge, split) and the organisers' request to split.

Each is a service: permission check, one transaction, the decision stored (`DuplicateDecision`, keyed by
`Event.identity`, so it sticks across re-imports), the groups formed anew (dedup.grouping), an audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from crosscluster.core.mail import queue_mail
from crosscluster.core.services import log_action
from crosscluster.core.types import Actor
from crosscluster.directory.access import is_coordinator
from crosscluster.events.access import can_manage_event
from crosscluster.events.models import DuplicateDecision, Event

from .grouping import refresh_duplicates
from .queries import group_of
from .similarity import is_live, pair


class DuplicateError(Exception):
    """A merge or split the calendar refuses; the message is translated and meant for the user."""


def _group_members(event: Event) -> list[Event]:
    root = event.duplicate_of_id or event.pk
    return list(Event.objects.filter(Q(pk=root) | Q(duplicate_of_id=root)))


def _decide(a: Event, b: Event, decision: str, actor: Actor) -> None:
    key_a, key_b = pair(a.identity, b.identity)
    DuplicateDecision.objects.update_or_create(
        key_a=key_a, key_b=key_b, defaults={"decision": decision, "actor": actor}
    )


def _check_coordinator(actor: Actor) -> None:
    if actor is not None and not is_coordinator(actor):
        raise PermissionDenied(_("Only the coordination office merges and splits events."))


@transaction.atomic
def merge_events(a: Event, b: Event, *, actor: Actor) -> Event:
    """Make two events (and their groups) one; returns the canonical event. Sticks across re-imports."""
    _check_coordinator(actor)
    if a.pk == b.pk:
        raise DuplicateError(_("An event cannot be merged with itself."))
    if not (is_live(a) and is_live(b)):
        raise DuplicateError(_("Only published events that are still in their feed can be merged."))
    group_a, group_b = _group_members(a), _group_members(b)
    # Earlier splits between the two groups are overruled by this merge.
    for x in group_a:
        for y in group_b:
            key_a, key_b = pair(x.identity, y.identity)
            DuplicateDecision.objects.filter(key_a=key_a, key_b=key_b, decision="different").delete()
    _decide(a, b, DuplicateDecision.Decision.SAME, actor)
    refresh_duplicates(a)
    a.refresh_from_db()
    canonical = a.duplicate_of or a
    log_action(
        "event.merged",
        actor=actor,
        obj=canonical,
        organization=canonical.organizers.order_by("pk").first(),
        data={"events": sorted([a.pk, b.pk]), "titles": [a.title, b.title]},
    )
    return canonical


@transaction.atomic
def split_event(event: Event, *, actor: Actor) -> Event:
    """Take the event out of its group; it stays apart from the others across re-imports."""
    _check_coordinator(actor)
    others = [m for m in _group_members(event) if m.pk != event.pk]
    if not others:
        raise DuplicateError(_("This event is not merged with another one."))
    for other in others:
        _decide(event, other, DuplicateDecision.Decision.DIFFERENT, actor)
    refresh_duplicates(event)
    log_action(
        "event.split",
        actor=actor,
        obj=event,
        organization=event.organizers.order_by("pk").first(),
        data={"from": sorted(other.pk for other in others)},
    )
    event.refresh_from_db()
    return event


MAX_REQUEST_MESSAGE = 2000


def request_split(event: Event, *, actor: Actor, message: str = "") -> None:
    """An organiser asks the coordination office to list their announcement on its own again.

    Only who manages the event may ask (PermissionDenied otherwise), only for a merged event; the request is
    an audit entry (`event.split_requested`, listed on the office's duplicates page) and a mail to the office.
    """
    from crosscluster.inquiries.services import coordination_emails

    if actor is None or not can_manage_event(actor, event):
        raise PermissionDenied(_("You do not manage this event."))
    members = group_of(event)
    if not members:
        raise DuplicateError(_("This event is not merged with another one."))
    message = message.strip()[:MAX_REQUEST_MESSAGE]
    canonical = members[0]
    with transaction.atomic():
        log_action(
            "event.split_requested",
            actor=actor,
            obj=event,
            organization=event.organizers.order_by("pk").first(),
            data={"canonical": canonical.pk, "group": [m.pk for m in members], "message": message},
        )
        path = reverse("manage:event-duplicates")
        context = {
            "event": event,
            "canonical": canonical,
            "members": members,
            "message": message,
            "actor": actor,
            "duplicates_url": settings.SITE_URL.rstrip("/") + path,
        }
        for email in coordination_emails():
            queue_mail(email, "events/mail/split_request", context, topic=f"events.event:{event.pk}")
