"""A profile's and an introduction's history, read from the audit log.

The owner sees the steps with the reviewer's reason (it is addressed to them) but no names of staff; the
manager area sees everything with who did it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crosscluster.core.models import AuditLogEntry

from .models import CooperationProfile

PROFILE_TYPE = "cooperation.cooperationprofile"
INTRODUCTION_TYPE = "cooperation.introduction"

LABELS: dict[str, Promise] = {
    "cooperation.profile.created": gettext_lazy("Profile submitted, e-mail address to be confirmed"),
    "cooperation.profile.entered": gettext_lazy("Entered by a manager on the company's behalf"),
    "cooperation.profile.confirmed": gettext_lazy("E-mail address confirmed; waiting for review"),
    "cooperation.profile.updated": gettext_lazy("Changed"),
    "cooperation.profile.approved": gettext_lazy("Approved and published"),
    "cooperation.profile.changes_requested": gettext_lazy("Changes requested"),
    "cooperation.profile.rejected": gettext_lazy("Rejected"),
    "cooperation.profile.withdrawn": gettext_lazy("Withdrawn by the owner"),
    "cooperation.profile.renewed": gettext_lazy("Renewed"),
    "cooperation.profile.expired": gettext_lazy("Expired"),
    "cooperation.profile.expiry_reminder_sent": gettext_lazy("Reminder before expiry sent"),
    "cooperation.profile.erased": gettext_lazy("Personal data erased"),
    "cooperation.introduction.created": gettext_lazy("Interest expressed, e-mail address to be confirmed"),
    "cooperation.introduction.interest": gettext_lazy("Interest expressed"),
    "cooperation.introduction.proposed": gettext_lazy("Introduced by the coordination office"),
    "cooperation.introduction.accepted": gettext_lazy("Accepted: contact details exchanged"),
    "cooperation.introduction.declined": gettext_lazy("Declined"),
    "cooperation.introduction.started": gettext_lazy("Cooperation started"),
    "cooperation.introduction.no_result": gettext_lazy("No result"),
    "cooperation.introduction.reminder_sent": gettext_lazy("Reminder sent to the owner"),
    "cooperation.introduction.erased": gettext_lazy("Personal data erased"),
}


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    action: str
    label: str
    actor: str  # empty for the owner
    note: str


def profile_history(profile: CooperationProfile, *, for_staff: bool = False) -> list[HistoryItem]:
    """The profile's steps and those of its introductions, oldest first; one query."""
    introduction_ids = [str(pk) for pk in profile.introductions.values_list("pk", flat=True)]
    entries = (
        AuditLogEntry.objects.filter(
            Q(object_type=PROFILE_TYPE, object_id=str(profile.pk))
            | Q(object_type=INTRODUCTION_TYPE, object_id__in=introduction_ids)
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
    items = []
    for entry in entries:
        found = LABELS.get(entry.action)
        if found is None:
            continue
        label = str(found)
        if entry.object_type == INTRODUCTION_TYPE:
            label = f"V-{int(entry.object_id):05d}: {label}"
        actor = ""
        if for_staff:
            actor = str(entry.actor) if entry.actor is not None else _("Owner or system")
        note = str(entry.data.get("reason") or entry.data.get("note") or "")
        items.append(HistoryItem(entry.created_at, entry.action, label, actor, note))
    return items
