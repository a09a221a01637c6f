"""Inquiries and the mail outbox in the admin: for looking, not for editing.

Inquiries change only through their services (the manager area), so every step is audited and mailed; the
admin shows them read-only, personal data to superusers only, and can erase it on request (DSGVO). The outbox
is read-only too, with one action: try to send a mail now.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crosscluster.core.mail import deliver
from crosscluster.core.models import OutgoingMail

from . import services
from .models import Inquiry

PERSONAL_FIELDS = ["text", "company_name", "contact_name", "email", "phone", "location", "suggestions"]
STATISTICS_FIELDS = [
    "reference",
    "state",
    "region",
    "organization",
    "first_organization",
    "resolved_by",
    "involved",
    "topics",
    "company_size",
    "language",
    "consent_version",
    "consent_given_at",
    "created_at",
    "assigned_at",
    "due_at",
    "first_response_at",
    "closed_at",
    "erased_at",
]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin):
    list_display = ["reference", "state", "region", "organization", "created_at", "closed_at", "erased_at"]
    list_filter = ["state", "region", "organization", "created_at"]
    list_select_related = ["region", "organization"]
    date_hierarchy = "created_at"
    search_fields = ["=id"]
    actions = ["erase_personal_data"]

    @admin.display(description=_("reference number"), ordering="id")
    def reference(self, obj: Inquiry) -> str:
        return obj.reference

    def get_fields(self, request: HttpRequest, obj: Inquiry | None = None) -> list[str]:
        if request.user.is_superuser:
            return STATISTICS_FIELDS + PERSONAL_FIELDS
        return STATISTICS_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Inquiry | None = None) -> list[str]:
        return self.get_fields(request, obj)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """The reference as people quote it ("A-00042") finds the inquiry."""
        term = search_term.strip().upper().removeprefix("A-")
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return queryset.none(), False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("erase_personal_data", None)
        return actions

    @admin.action(description=_("Erase the personal data now (e.g. on the company's request)"))
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[Inquiry]) -> None:
        count = 0
        for inquiry in queryset.filter(erased_at__isnull=True):
            services.erase_personal_data(inquiry, reason="admin", actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "The personal data of %(count)s inquiry were erased.",
                "The personal data of %(count)s inquiries were erased.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
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
            if deliver(mail_id):
                sent += 1
            else:
                failed += 1
        self.message_user(
            request,
            _("%(sent)s sent, %(failed)s failed (kept for a later retry).")
            % {"sent": sent, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )
