"""Events in the manager area: managers keep their organisations' events, the coordination office all.

Every view parses input with `EventForm`, fetches through `events_managed_by`, calls one function of
events.services and redirects with a message. An event that exists but is not the user's answers 403; an
unknown one 404.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.manage import bound, call_service, read_only, read_write
from crosscluster.directory.access import is_coordinator, organizations_managed_by

from .. import recurrence, series, services
from ..access import events_managed_by
from ..feeds.subscriptions import feeds_with_problems
from ..forms import EventForm
from ..models import Event
from ..services import EventError
from .duplicates import announcements, managed_event

PAGE_SIZE = 50
# Dates of a series the list shows; the preview of the form shows more.
LISTED_DATES = 8
PREVIEW_DATES = 30


def _call_service(form: EventForm, service: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the service with the form's values."""
    values = form.service_values()
    return call_service(form, service, *args, refusals=(EventError, PermissionDenied), **kwargs, **values)


def _render_form(request: HttpRequest, form: EventForm, **context: Any) -> HttpResponse:
    return render(
        request,
        "events/manage/event_form.html",
        {"form": form, "cancel_url": reverse("manage:events"), **context},
    )


def _series_preview(form: EventForm) -> dict[str, Any]:
    """The dates the series will have within the next year, expanded as saving will (services), unsaved."""
    data = form.cleaned_data
    event = Event(**{name: data[name] for name in ("start", "end", "all_day", "rrule", "rdates", "exdates")})
    found, _warnings = series.series_occurrences(event)
    dates = [event] + [
        Event(start=start, end=end, all_day=event.all_day) for start, end in sorted(found.values())
    ]
    return {"dates": dates[:PREVIEW_DATES], "more": max(0, len(dates) - PREVIEW_DATES)}


def _with_series_and_duplicates(events: list[Event]) -> list[Event]:
    """Give each listed event its repetition in words and its next dates (`series_dates`, with the number
    of further ones in `more_dates`), from the prefetched occurrences; and, when it is merged with other
    announcements, whose announcement the public sees (`shown_as`) or who else announced it."""
    now = timezone.now()
    for event in events:
        event.shown_as = event.also_announced_by = ""
        if event.duplicate_of is not None:
            event.shown_as = ", ".join(org.name for org in event.duplicate_of.organizers.all())
        elif event.duplicates.all():
            names = {org.name: None for d in event.duplicates.all() for org in d.organizers.all()}
            event.also_announced_by = ", ".join(names)
        event.repetition_summary = ""
        event.series_dates, event.more_dates = [], 0
        if event.rrule or event.rdates:
            event.repetition_summary = recurrence.describe(
                event.rrule,
                start=event.start,
                all_day=event.all_day,
                exdates=event.exdates,
                rdates=event.rdates,
            )
            upcoming = [e for e in [event, *event.listed_occurrences] if e.end >= now]
            event.series_dates = upcoming[:LISTED_DATES]
            event.more_dates = max(0, len(upcoming) - LISTED_DATES)
    return events


@login_required
@read_only
def event_list(request: HttpRequest) -> HttpResponse:
    # The further dates of a series are made from its first one and edited there; the list shows them.
    # Of a merged event the list names the announcement the public sees (events.dedup).
    occurrences = Event.objects.only(
        "pk", "start", "end", "all_day", "series_id", "duplicate_of_id", "detached"
    )
    events = (
        events_managed_by(request.user)
        .filter(series__isnull=True)
        .select_related("duplicate_of")
        .prefetch_related(
            "organizers",
            "duplicate_of__organizers",
            Prefetch("duplicates", queryset=Event.objects.prefetch_related("organizers").order_by("pk")),
            Prefetch(
                "occurrences", queryset=occurrences.order_by("start", "pk"), to_attr="listed_occurrences"
            ),
        )
        .order_by("-start", "-pk")
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "events": _with_series_and_duplicates(list(page.object_list)),
        "is_coordinator": is_coordinator(request.user),
        "can_create": is_coordinator(request.user) or organizations_managed_by(request.user).exists(),
        "feeds_with_problems": list(feeds_with_problems(request.user).select_related("organization")),
    }
    return render(request, "events/manage/event_list.html", context)


@login_required
@read_write
def event_create(request: HttpRequest) -> HttpResponse:
    if not (is_coordinator(request.user) or organizations_managed_by(request.user).exists()):
        raise PermissionDenied
    form = EventForm(*bound(request), user=request.user)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = _series_preview(form)
        else:
            event = _call_service(form, services.create_event, actor=request.user)
            if event is not None:
                messages.success(request, _("The event “%(name)s” was added.") % {"name": event})
                return redirect("manage:events")
    return _render_form(request, form, title=_("New event"), submit_label=_("Add"), preview=preview)


@login_required
@read_write
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = managed_event(request, pk)
    form = EventForm(*bound(request), instance=event, user=request.user)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = _series_preview(form)
        elif _call_service(form, services.update_event, event, actor=request.user) is not None:
            messages.success(request, _("The event “%(name)s” was saved.") % {"name": event})
            return redirect("manage:events")
        else:
            event.refresh_from_db()
    return _render_form(
        request,
        form,
        title=_("Edit event"),
        submit_label=_("Save"),
        event=event,
        preview=preview,
        announcements=announcements(request, event),
    )


@login_required
@read_write
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, POST deletes: a link or a prefetching browser never deletes anything."""
    event = managed_event(request, pk)
    if request.method == "POST":
        name = str(event)
        services.delete_event(event, actor=request.user)
        messages.success(request, _("The event “%(name)s” was deleted.") % {"name": name})
        return redirect("manage:events")
    return render(
        request,
        "events/manage/event_confirm_delete.html",
        {"event": event, "cancel_url": reverse("manage:events")},
    )
