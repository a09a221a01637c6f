"""Duplicates in the manager area: the coordination office's page, and what each organiser sees of a merge.

The office's page (merged groups, suspected pairs, organisers' requests, merge and split) is for the
coordination office and admins only (403 for managers). Merge and split ask first on GET and act on POST,
through `dedup.services.merge_events` and `split_event`; their decisions stick across re-imports.

An organiser whose event was merged with another network's announcement sees, in the event list, on the
edit page and on `event_announcements`, which announcement the public page shows (and whose it is), what
differs between them, and can ask the office to split them (`dedup.services.request_split`); they cannot
merge or split themselves.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crosscluster.core.manage import bound, read_only, read_write
from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.access import is_coordinator

from ..access import events_managed_by
from ..dedup import queries as dedup_queries
from ..dedup import services as dedup_services
from ..forms import SplitRequestForm
from ..models import Event
from ..templatetags.events_display import event_when


def managed_event(request: HttpRequest, pk: int) -> Event:
    """The event if the user manages it; 403 when it exists but is not theirs, 404 when it does not."""
    try:
        return events_managed_by(request.user).get(pk=pk)
    except Event.DoesNotExist:
        if Event.objects.filter(pk=pk).exists():
            raise PermissionDenied from None
        raise Http404 from None


def _coordinator_event(request: HttpRequest, pk: int) -> Event:
    if not is_coordinator(request.user):
        raise PermissionDenied
    try:
        return events_managed_by(request.user).prefetch_related("organizers").get(pk=pk)
    except Event.DoesNotExist:
        raise Http404 from None


@login_required
@read_only
def event_duplicates(request: HttpRequest) -> HttpResponse:
    if not is_coordinator(request.user):
        raise PermissionDenied
    context = {
        "groups": dedup_queries.merged_groups(),
        "suspects": dedup_queries.suspected_duplicates(),
        "requests": dedup_queries.split_requests(),
    }
    return render(request, "events/manage/duplicates.html", context)


@login_required
@read_write
def event_merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    event, other_event = _coordinator_event(request, pk), _coordinator_event(request, other)
    if request.method == "POST":
        try:
            canonical = dedup_services.merge_events(event, other_event, actor=request.user)
        except dedup_services.DuplicateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The events were merged into “%(name)s”.") % {"name": canonical})
        return redirect("manage:event-duplicates")
    return render(
        request,
        "events/manage/duplicate_confirm.html",
        {
            "action": "merge",
            "events": [event, other_event],
            "cancel_url": reverse("manage:event-duplicates"),
        },
    )


@login_required
@read_write
def event_split(request: HttpRequest, pk: int) -> HttpResponse:
    event = _coordinator_event(request, pk)
    if request.method == "POST":
        try:
            dedup_services.split_event(event, actor=request.user)
        except dedup_services.DuplicateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(name)s” is listed on its own again.") % {"name": event})
        return redirect("manage:event-duplicates")
    return render(
        request,
        "events/manage/duplicate_confirm.html",
        {"action": "split", "events": [event], "cancel_url": reverse("manage:event-duplicates")},
    )


# What an organiser sees of a merge ------------------------------------------------------------------------


def _place(event: Event) -> str:
    return ", ".join(part for part in (event.venue, event.address, event.city) if part) or "—"


def _price(event: Event) -> str:
    if event.is_free:
        return _("Free of charge")
    return event.price_text or _("Not free of charge")


def _shown(event: Event, aspect: str) -> Any:
    """An aspect of an announcement as the public page shows it."""
    if aspect == "title":
        return event.title
    if aspect == "when":
        return event_when(event)
    if aspect == "place":
        return _place(event)
    if aspect == "format":
        return event.get_format_display()
    if aspect in {"online_url", "registration_url"}:
        return getattr(event, aspect) or "—"
    if aspect == "price":
        return _price(event)
    if aspect == "status":
        return event.get_status_display()
    text = " ".join(strip_tags(event.description).split())
    return Truncator(text).words(40) or "—"


ASPECT_LABELS = {
    "title": lambda: _("Title"),
    "when": lambda: _("Date and time"),
    "place": lambda: _("Place"),
    "format": lambda: _("Format"),
    "online_url": lambda: _("Online link"),
    "registration_url": lambda: _("Registration"),
    "price": lambda: _("Price"),
    "status": lambda: _("Status"),
    "description": lambda: _("Description"),
}


def _source(event: Event) -> str:
    names = ", ".join(organizer.name for organizer in event.organizers.all())
    if event.feed_id is not None:
        return _("%(organizers)s, from their calendar feed") % {"organizers": names}
    return _("%(organizers)s, entered by hand") % {"organizers": names}


def announcements(request: HttpRequest, event: Event) -> dict[str, Any] | None:
    """What the organiser of `event` sees of its merge, or None when it stands alone: the group, the
    announcement the public sees and whose it is, and per other announcement the aspects that differ
    side by side ((label, this one, the other one) rows)."""
    members = dedup_queries.group_of(event)
    if not members:
        return None
    own = next(member for member in members if member.pk == event.pk)
    canonical = members[0]
    others = [member for member in members if member.pk != own.pk]
    comparisons = [
        {
            "other": other,
            "source": _source(other),
            "is_canonical": other.pk == canonical.pk,
            "rows": [
                (ASPECT_LABELS[aspect](), _shown(own, aspect), _shown(other, aspect))
                for aspect in dedup_queries.differences(own, other)
            ],
        }
        for other in others
    ]
    last_request = (
        AuditLogEntry.objects.filter(
            action="event.split_requested", object_type="events.event", object_id=str(own.pk)
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return {
        "event": own,
        "canonical": canonical,
        "canonical_source": _source(canonical),
        "own_is_shown": own.pk == canonical.pk,
        "comparisons": comparisons,
        "last_request": last_request,
        "can_split": is_coordinator(request.user),
        "request_form": SplitRequestForm(),
        "public_url": canonical.get_absolute_url(),
    }


@login_required
@read_write
def event_announcements(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's view of a merge; POST asks the coordination office to split it."""
    event = managed_event(request, pk)
    form = SplitRequestForm(*bound(request))
    if request.method == "POST" and form.is_valid():
        try:
            dedup_services.request_split(event, actor=request.user, message=form.cleaned_data["message"])
        except dedup_services.DuplicateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The coordination office was asked to list your announcement on its own.")
            )
        return redirect("manage:event-announcements", pk=event.pk)
    context = announcements(request, event)
    if context is not None:
        context["request_form"] = form
    return render(
        request,
        "events/manage/event_announcements.html",
        {"event": event, "announcements": context, "cancel_url": reverse("manage:events")},
    )
