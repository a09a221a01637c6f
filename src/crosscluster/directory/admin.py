"""The platform admins' view of the directory. Saves here are audited like every other change."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from crosscluster.core.admin import URL_FIELDS_ASSUME_HTTPS, AuditedAdmin
from crosscluster.core.bilingual import translation_columns
from crosscluster.core.signals import announce, organizations_changed, topics_changed

from . import services
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


# What the organisation form edits through the services (topics apart; the texts by their plain names).
ADMIN_FIELDS = (*services.ORGANIZATION_FIELDS, *services.COORDINATOR_FIELDS)


def _form_value(form: ModelForm, name: str) -> Any:
    """A file field's cleared value (False) means no file, as Django's own `save_form_data` reads it."""
    value = form.cleaned_data.get(name)
    return "" if value is False and name in ("logo", "picture") else value


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
    # portal.admin adds the memberships (accounts sits above the directory).
    inlines = [OfferInline, ContactInline, VideoInline]

    def audit_organization(self, obj: Any) -> Any:
        return obj if isinstance(obj, Organization) else super().audit_organization(obj)

    def save_model(self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool) -> None:
        """Through `create_organization` / `update_organization`, like every other change of an organisation.

        The form has set its values on `obj` already; the service gets them as fields and compares them with
        what is stored. `obj` then stands for the saved row, since the inline formsets are bound to it.
        """
        names = form.changed_data if change else list(form.cleaned_data)
        fields = {name: _form_value(form, name) for name in names if name in ADMIN_FIELDS}
        topics = form.cleaned_data.get("topics") if "topics" in names else None
        fields = {name: value for name, value in fields.items() if value is not None}
        if change:
            stored = Organization.objects.get(pk=obj.pk)
            saved = services.update_organization(stored, actor=request.user, topics=topics, **fields)
        else:
            saved = services.create_organization(actor=request.user, topics=topics, **fields)
            obj.pk = saved.pk
            obj._state.adding, obj._state.db = False, saved._state.db
        for name in ("logo", "picture", "updated_at"):
            setattr(obj, name, getattr(saved, name))

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        services.delete_organization(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            services.delete_organization(organization, actor=request.user)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After the topics and offers are saved, the search text can include them; its publication decides
        # whether its events are listed (events.signals).
        refresh_search_text(form.instance)
        names = "name" in form.changed_data
        announce(organizations_changed, Organization, [form.instance.pk], names=names)
