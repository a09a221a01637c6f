"""The platform admins' view of the directory. Saves here are audited like every other change."""

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from crosscluster.accounts.models import Membership
from crosscluster.core.admin import URL_FIELDS_ASSUME_HTTPS, AuditedAdmin
from crosscluster.core.bilingual import translation_columns
from crosscluster.core.signals import announce, organizations_changed, topics_changed

from .models import Contact, Offer, Organization, Region, Topic, Video
from .search import refresh_search_text
from .services import TOPIC_FIELDS, update_topic


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(AuditedAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}
    # Synonyms feed the search and the routing; the introduction heads the topic page (/themen/<slug>/).
    fields = ["name", "slug", "position", "synonyms", "introduction"]

    def save_model(self, request: HttpRequest, obj: Topic, form: ModelForm, change: bool) -> None:
        """A change goes through `update_topic` (the audit entry, the search documents of what has the
        topic); a new topic is saved here, as no organisation or notice has it yet."""
        if not change:
            super().save_model(request, obj, form, change)
            announce(topics_changed, Topic, [obj.pk], names=False)
            return
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in TOPIC_FIELDS}
        if values:
            update_topic(Topic.objects.get(pk=obj.pk), actor=request.user, **values)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        announce(topics_changed, Topic, ids, deleted=True)

    def delete_model(self, request: HttpRequest, obj: Topic) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        announce(topics_changed, Topic, [pk], deleted=True)


class OfferInline(admin.StackedInline):
    model = Offer
    extra = 0
    fields = ["title", "kind", "description", "topics", "position"]
    autocomplete_fields = ["topics"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "role", "email", "phone", "photo", "position"]


class VideoInline(admin.StackedInline):
    model = Video
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    extra = 0
    fields = ["title", "file", "poster", "captions", "captions_language", "url", "position"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = Membership._meta.verbose_name
    verbose_name_plural = Membership._meta.verbose_name_plural


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "city", "region", "published", "updated_at"]
    list_filter = ["published", "kind", "region"]
    search_fields = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["topics"]
    list_select_related = ["region"]
    readonly_fields = ["updated_at"]
    # The admin edits the texts by their plain names, as before; the manager area edits both languages.
    exclude = translation_columns(Organization)
    inlines = [OfferInline, ContactInline, VideoInline, MembershipInline]

    def audit_organization(self, obj: Any) -> Any:
        return obj if isinstance(obj, Organization) else super().audit_organization(obj)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After the topics and offers are saved, the search text can include them; its publication decides
        # whether its events are listed (events.signals).
        refresh_search_text(form.instance)
        names = "name" in form.changed_data
        announce(organizations_changed, Organization, [form.instance.pk], names=names)
