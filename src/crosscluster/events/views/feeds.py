"""Feed subscriptions in the manager area: list with status, subscribe, import now (queued), remove.

The status of each feed is that of its last import: OK, OK with the events it had to skip (its warnings, each
naming the UID and line), or failing with the reason and the time of the next try.

Like the event views: parse input, fetch through `feeds_managed_by`, call one function of
events.feeds.subscriptions, redirect with a message. A feed that exists but is not the user's answers 403; an
unknown one 404. Importing and removing are POST only; removing asks first.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from crosscluster.core.manage import read_write
from crosscluster.directory.access import is_coordinator, organizations_managed_by

from ..feeds.subscriptions import (
    SubscriptionError,
    add_feed,
    feeds_managed_by,
    next_fetch_at,
    queue_import,
    remove_feed,
    with_event_counts,
)
from ..models import FeedSubscription


class FeedSubscriptionForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=FeedSubscription.objects.none(), empty_label=None
    )
    # A CharField, not a URLField: webcal:// links are welcome, and add_feed checks the URL itself.
    url = forms.CharField(
        label=gettext_lazy("Feed URL"),
        max_length=1000,
        help_text=gettext_lazy("The address of an iCalendar (.ics, webcal://) or RSS/Atom feed."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("Recognise from the URL")), *FeedSubscription.Kind.choices],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations_managed_by(user).order_by("name")


def _ensure_feed_user(request: HttpRequest) -> None:
    if not (is_coordinator(request.user) or organizations_managed_by(request.user).exists()):
        raise PermissionDenied


def _managed_feed(request: HttpRequest, pk: int) -> FeedSubscription:
    try:
        return feeds_managed_by(request.user).select_related("organization").get(pk=pk, active=True)
    except FeedSubscription.DoesNotExist:
        if FeedSubscription.objects.filter(pk=pk, active=True).exists():
            raise PermissionDenied from None
        raise Http404 from None


@login_required
@read_write
def feed_list(request: HttpRequest) -> HttpResponse:
    _ensure_feed_user(request)
    form = FeedSubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            feed = add_feed(
                form.cleaned_data["organization"],
                form.cleaned_data["url"],
                actor=request.user,
                kind=form.cleaned_data["kind"] or None,
            )
        except (SubscriptionError, PermissionDenied) as exc:
            form.add_error("url", str(exc) or _("You may not make this change."))
        else:
            messages.success(
                request,
                _("The feed %(url)s was subscribed; it is imported within the hour, or now if you ask.")
                % {"url": feed.url},
            )
            return redirect("manage:event-feeds")
    feeds = list(
        with_event_counts(
            feeds_managed_by(request.user).filter(active=True).select_related("organization")
        ).order_by("organization__name", "url")
    )
    for feed in feeds:
        feed.next_fetch_at = next_fetch_at(feed)  # a failing feed says when it is tried again
    context = {"feeds": feeds, "form": form, "is_coordinator": is_coordinator(request.user)}
    return render(request, "events/manage/feed_list.html", context)


@login_required
@require_POST
def feed_import(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _managed_feed(request, pk)
    try:
        queue_import(feed, actor=request.user)
    except SubscriptionError as exc:
        messages.error(request, str(exc))
        return redirect("manage:event-feeds")
    messages.success(
        request,
        _("The import of %(url)s is queued; its result shows in the list below in a moment.")
        % {"url": feed.url},
    )
    return redirect("manage:event-feeds")


@login_required
@read_write
def feed_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, POST removes: a link or a prefetching browser never removes anything."""
    feed = _managed_feed(request, pk)
    if request.method == "POST":
        removed = remove_feed(feed, actor=request.user)
        messages.success(
            request,
            ngettext(
                "The feed %(url)s was removed; %(count)s upcoming event left the calendar.",
                "The feed %(url)s was removed; %(count)s upcoming events left the calendar.",
                removed,
            )
            % {"url": feed.url, "count": removed},
        )
        return redirect("manage:event-feeds")
    return render(
        request,
        "events/manage/feed_confirm_remove.html",
        {"feed": feed, "cancel_url": reverse("manage:event-feeds")},
    )
