"""The audit log and the mail outbox in the admin (read-only), and the base class that makes admin saves
audited changes."""

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .mail import Delivery, deliver
from .models import AuditLogEntry, OutgoingMail
from .services import log_action


def _action(obj: models.Model, verb: str) -> str:
    """`directory.offer.admin_changed`, `accounts.membership.admin_created`, …"""
    return f"{obj._meta.app_label}.{obj._meta.model_name}.admin_{verb}"


# Web addresses typed without a scheme mean https (Django 6's default, chosen now).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class AuditedAdmin(admin.ModelAdmin):
    """An admin save is a change like any other: write it to the audit log, inline rows and bulk deletes too.

    The entry names the changed fields, not their values, so the log repeats no passwords or personal data.
    Saving without a change writes nothing, as in the services.
    """

    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def audit_organization(self, obj: models.Model) -> Any:
        """The organisation whose history shows the change; offers, contacts, … belong to theirs."""
        return getattr(obj, "organization", None)

    def log_save(self, request: HttpRequest, obj: models.Model, fields: list[str], *, created: bool) -> None:
        log_action(
            _action(obj, "created" if created else "changed"),
            actor=request.user,
            obj=obj,
            organization=self.audit_organization(obj),
            data={} if created else {"fields": fields},
        )

    def log_delete(self, request: HttpRequest, obj: models.Model) -> None:
        log_action(
            _action(obj, "deleted"), actor=request.user, obj=obj, organization=self.audit_organization(obj)
        )

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            self.log_save(request, obj, list(form.changed_data), created=not change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.log_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.log_delete(request, obj)
        super().delete_queryset(request, queryset)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self.log_delete(request, obj)
            obj.delete()
        changed = {obj.pk: list(fields) for obj, fields in formset.changed_objects}
        for obj in instances:
            created = obj.pk is None
            obj.save()
            self.log_save(request, obj, changed.get(obj.pk, []), created=created)
        formset.save_m2m()


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only code writes: no adding, changing or deleting in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is written by the services, never edited, so it can be trusted."""

    list_display = ["created_at", "action", "actor", "object_repr", "organization"]
    list_select_related = ["actor", "organization"]
    list_filter = ["created_at"]
    search_fields = ["action", "object_repr", "actor__email", "organization__name"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "organization",
        "data",
    ]
    readonly_fields = fields


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    """The outbox (core.mail), read-only, with one action: try to send the chosen unsent mails now."""

    list_display = ["created_at", "to", "subject", "sent_at", "attempts", "next_attempt_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["to", "subject", "topic"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "to",
        "subject",
        "topic",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "message_id",
        "claimed_until",
        "body_text",
        "body_html",
        "headers",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.action(description=_("Retry sending now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        sent = failed = 0
        for mail_id in queryset.filter(sent_at__isnull=True).values_list("pk", flat=True):
            outcome = deliver(mail_id)
            if outcome == Delivery.SENT:
                sent += 1
            elif outcome == Delivery.FAILED:
                failed += 1
        self.message_user(
            request,
            _("%(sent)s sent, %(failed)s failed (kept for a later retry).")
            % {"sent": sent, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )
