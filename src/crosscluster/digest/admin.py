"""The digest in the admin: subscribers (to find and delete one on request) and the issues' progress."""

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from crosscluster.core.admin import ReadOnlyAdmin

from . import services
from .models import DigestIssue, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdmin):
    """Read-only but deletable (on request): through `services.unsubscribe`, which removes their mails too."""

    list_display = ["pk", "email", "language", "confirmed_at", "requested_at"]
    list_filter = ["language", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    fields = [
        "email",
        "language",
        "topics",
        "consent_version",
        "consent_given_at",
        "requested_at",
        "confirmed_at",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("digest.delete_subscriber")

    def delete_model(self, request: HttpRequest, obj: Subscriber) -> None:
        services.unsubscribe(obj, reason="admin", actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            services.unsubscribe(subscriber, reason="admin", actor=request.user)


@admin.register(DigestIssue)
class DigestIssueAdmin(ReadOnlyAdmin):
    list_display = ["week", "since", "until", "completed_at", "mails", "skipped"]
    fields = ["week", "since", "until", "created_at", "completed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DigestIssue]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                mail_count=Count("deliveries", filter=Q(deliveries__skipped=False)),
                skipped_count=Count("deliveries", filter=Q(deliveries__skipped=True)),
            )
        )

    @admin.display(description=_("mails"), ordering="mail_count")
    def mails(self, issue: DigestIssue) -> int:
        return issue.mail_count

    @admin.display(description=_("nothing new"), ordering="skipped_count")
    def skipped(self, issue: DigestIssue) -> int:
        return issue.skipped_count
