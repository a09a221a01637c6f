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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crosscluster.core.manage import bound, call_service, read_only, read_write
from crosscluster.directory.access import is_coordinator, organizations_managed_by

from . import services
from .access import events_managed_by
from .forms import EventForm
from .models import Event
from .services import EventError

PAGE_SIZE = 50


def _managed_event(request: HttpRequest, pk: int) -> Event:
    try:
        return events_managed_by(request.user).get(pk=pk)
    except Event.DoesNotExist:
        if Event.objects.filter(pk=pk).exists():
            raise PermissionDenied from None
        raise Http404 from None


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


@login_required
@read_only
def event_list(request: HttpRequest) -> HttpResponse:
    # The further dates of a series are made from its first one and edited there.
    events = (
        events_managed_by(request.user)
        .filter(series__isnull=True)
        .prefetch_related("organizers")
        .order_by("-start", "-pk")
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "events": page.object_list,
        "is_coordinator": is_coordinator(request.user),
        "can_create": is_coordinator(request.user) or organizations_managed_by(request.user).exists(),
    }
    return render(request, "events/manage/event_list.html", context)


@login_required
@read_write
def event_create(request: HttpRequest) -> HttpResponse:
    if not (is_coordinator(request.user) or organizations_managed_by(request.user).exists()):
        raise PermissionDenied
    form = EventForm(*bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        event = _call_service(form, services.create_event, actor=request.user)
        if event is not None:
            messages.success(request, _("The event “%(name)s” was added.") % {"name": event})
            return redirect("manage:events")
    return _render_form(request, form, title=_("New event"), submit_label=_("Add"))


@login_required
@read_write
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    form = EventForm(*bound(request), instance=event, user=request.user)
    if request.method == "POST" and form.is_valid():
        if _call_service(form, services.update_event, event, actor=request.user) is not None:
            messages.success(request, _("The event “%(name)s” was saved.") % {"name": event})
            return redirect("manage:events")
        event.refresh_from_db()
    return _render_form(request, form, title=_("Edit event"), submit_label=_("Save"), event=event)


@login_required
@read_write
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, POST deletes: a link or a prefetching browser never deletes anything."""
    event = _managed_event(request, pk)
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
