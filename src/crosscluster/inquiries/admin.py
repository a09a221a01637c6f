"""Inquiries in the admin: for looking, not for editing (the mail outbox is in core.admin).

Inquiries change only through their services (the manager area), so every step is audited and mailed; the
admin shows them read-only, personal data to superusers only, and can erase it on request (DSGVO).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crosscluster.core.admin import ReadOnlyAdmin

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
