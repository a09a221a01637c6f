"""The coordination office's page on duplicates: merged groups, suspected pairs, merge and split.

Only the coordination office and admins see it (403 for managers). Merge and split ask first on GET and act
on POST, through `dedup.merge_events` and `dedup.split_event`; their decisions stick across re-imports.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crosscluster.core.manage import read_only, read_write
from crosscluster.directory.access import is_coordinator

from . import dedup
from .access import events_managed_by
from .models import Event


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
    context = {"groups": dedup.merged_groups(), "suspects": dedup.suspected_duplicates()}
    return render(request, "events/manage/duplicates.html", context)


@login_required
@read_write
def event_merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    event, other_event = _coordinator_event(request, pk), _coordinator_event(request, other)
    if request.method == "POST":
        try:
            canonical = dedup.merge_events(event, other_event, actor=request.user)
        except dedup.DuplicateError as exc:
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
            dedup.split_event(event, actor=request.user)
        except dedup.DuplicateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(name)s” is listed on its own again.") % {"name": event})
        return redirect("manage:event-duplicates")
    return render(
        request,
        "events/manage/duplicate_confirm.html",
        {"action": "split", "events": [event], "cancel_url": reverse("manage:event-duplicates")},
    )
