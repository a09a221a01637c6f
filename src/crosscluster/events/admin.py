"""Events and feed subscriptions in the admin: for looking and for the odd correction, not for daily work.

Managers work in the manager area. Here every change still goes through the services, so it is validated
and audited: an entered event can be corrected (`update_event`), an event from a feed only (un)published,
because the next import overwrites its feed fields anyway. Subscriptions are read-only; the actions import a
feed now or remove it (`events.feeds.subscriptions`). Neither is added here: that is the manager area's and
`add-feed`'s job.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crosscluster.core.bilingual import translation_columns

from . import services
from .feeds.subscriptions import SubscriptionError, import_now, remove_feed, with_event_counts
from .models import Event, FeedSubscription

# Set only by the import, by Django or derived (`listed`, events.listing): never edited here.
SOURCE_FIELDS = ["source", "feed", "source_uid", "removed_at", "listed", "created_at", "updated_at"]
# What a feed brings: the next import overwrites these, so they are read-only on feed events.
FEED_FIELDS = ["title", "description", "start", "end", "all_day", "venue", "status", "organizers"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "start", "status", "source", "published", "removed_at", "listed"]
    list_filter = [
        "status",
        "source",
        "published",
        "listed",
        "format",
        ("removed_at", admin.EmptyFieldListFilter),
        "organizers",
    ]
    search_fields = ["title", "venue", "city", "source_uid"]
    date_hierarchy = "start"
    raw_id_fields = ["feed"]
    filter_horizontal = ["organizers", "topics"]
    # The admin edits the texts by their plain names, as before; the manager area edits both languages.
    exclude = translation_columns(Event)
    actions = ["publish", "unpublish"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # events are entered in the manager area or imported

    def get_readonly_fields(self, request: HttpRequest, obj: Event | None = None) -> list[str]:
        if obj is not None and obj.source == Event.Source.FEED:
            return SOURCE_FIELDS + FEED_FIELDS
        return SOURCE_FIELDS

    def save_model(self, request: HttpRequest, obj: Event, form: ModelForm, change: bool) -> None:
        """Through `update_event`, from the stored event, so the audit entry lists what changed."""
        values: dict[str, Any] = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.EVENT_FIELDS
        }
        relations = {
            name: form.cleaned_data[name] for name in ("organizers", "topics") if name in form.changed_data
        }
        stored = Event.objects.get(pk=obj.pk)
        try:
            services.update_event(stored, actor=request.user, **relations, **values)
        except (services.EventError, PermissionDenied) as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        """Organisers and topics were saved by `update_event` in `save_model`."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Event) -> None:
        services.delete_event(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            services.delete_event(event, actor=request.user)

    def _set_published(self, request: HttpRequest, queryset: QuerySet[Event], published: bool) -> int:
        count = 0
        for event in queryset.filter(published=not published):
            services.update_event(event, actor=request.user, published=published)
            count += 1
        return count

    @admin.action(description=_("Publish the selected events"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        count = self._set_published(request, queryset, True)
        self.message_user(
            request,
            ngettext("%(count)s event was published.", "%(count)s events were published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected events"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        count = self._set_published(request, queryset, False)
        self.message_user(
            request,
            ngettext("%(count)s event was unpublished.", "%(count)s events were unpublished.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(FeedSubscription)
class FeedSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "organization", "kind", "active", "last_status", "last_fetched_at", "event_count"]
    list_filter = ["active", "last_status", "kind", "organization"]
    list_select_related = ["organization"]
    search_fields = ["url", "organization__name", "last_error"]
    fields = [
        "organization",
        "url",
        "kind",
        "active",
        "last_status",
        "last_error",
        "last_warnings",
        "failures",
        "last_fetched_at",
        "etag",
        "last_modified",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["import_selected", "remove_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # removing keeps the subscription and its events: the "remove" action

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedSubscription]:
        return with_event_counts(super().get_queryset(request))

    @admin.display(description=_("events"), ordering="event_count")
    def event_count(self, obj: FeedSubscription) -> int:
        return obj.event_count

    @admin.action(description=_("Import the selected feeds now"))
    def import_selected(self, request: HttpRequest, queryset: QuerySet[FeedSubscription]) -> None:
        for feed in queryset.filter(active=True).select_related("organization"):
            result = import_now(feed, actor=request.user)
            if result.status == "failing":
                self.message_user(request, f"{feed.url}: {result.error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(url)s: %(created)s new, %(updated)s changed, %(removed)s removed.")
                    % {
                        "url": feed.url,
                        "created": result.created,
                        "updated": result.updated,
                        "removed": result.removed,
                    },
                    messages.SUCCESS,
                )

    @admin.action(description=_("Remove the selected feeds (their upcoming events leave the calendar)"))
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[FeedSubscription]) -> None:
        count = 0
        for feed in queryset.filter(active=True).select_related("organization"):
            try:
                remove_feed(feed, actor=request.user)
            except SubscriptionError as exc:
                self.message_user(request, f"{feed.url}: {exc}", messages.ERROR)
            else:
                count += 1
        self.message_user(
            request,
            ngettext("%(count)s feed was removed.", "%(count)s feeds were removed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
