"""Notices in the admin: for looking and for the odd correction; daily work happens in the manager area.

Every change still goes through news.services, so the body is rendered and sanitised and the change audited.
Notices are added in the manager area (which also handles the PDF checks of attachments); here they can be
corrected, (un)published, unpinned or deleted.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Notice, NoticeAttachment


class NoticeAttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    extra = 0
    fields = ["title", "file", "position"]
    readonly_fields = ["title", "file", "position"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "valid_from", "valid_until", "pinned", "published"]
    list_filter = ["published", "pinned", "region", "topics"]
    list_select_related = ["organization"]
    search_fields = ["title", "slug", "body", "organization__name"]
    date_hierarchy = "valid_from"
    filter_horizontal = ["topics"]
    fields = [
        "title",
        "slug",
        "organization",
        "region",
        "body",
        "topics",
        "valid_from",
        "valid_until",
        "pinned",
        "published",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["slug", "organization", "region", "created_at", "updated_at"]
    inlines = [NoticeAttachmentInline]
    actions = ["unpin", "unpublish"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notices are written in the manager area

    def save_model(self, request: HttpRequest, obj: Notice, form: ModelForm, change: bool) -> None:
        """Through `update_notice`, from the stored notice, so the audit entry lists what changed."""
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.NOTICE_FIELDS
        }
        topics = form.cleaned_data["topics"] if "topics" in form.changed_data else None
        stored = Notice.objects.get(pk=obj.pk)
        try:
            services.update_notice(stored, actor=request.user, topics=topics, **values)
        except (services.NoticeError, PermissionDenied) as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        """Topics were saved by `update_notice` in `save_model`; the attachment inline is read-only."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Notice) -> None:
        services.delete_notice(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        for notice in queryset:
            services.delete_notice(notice, actor=request.user)

    @admin.action(description=_("Unpin the selected notices"))
    def unpin(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        notices = list(queryset.filter(pinned=True))
        for notice in notices:
            services.update_notice(notice, actor=request.user, pinned=False)
        self.message_user(
            request,
            ngettext("%(count)s notice was unpinned.", "%(count)s notices were unpinned.", len(notices))
            % {"count": len(notices)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected notices"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        notices = list(queryset.filter(published=True))
        for notice in notices:
            services.update_notice(notice, actor=request.user, published=False)
        self.message_user(
            request,
            ngettext("%(count)s notice was unpublished.", "%(count)s notices were unpublished.", len(notices))
            % {"count": len(notices)},
            messages.SUCCESS,
        )
