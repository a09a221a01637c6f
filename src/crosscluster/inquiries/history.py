"""An inquiry's history, read from the audit log (`core.AuditLogEntry`, object type `inquiries.inquiry`).

The staff see every step with who did it and the notes; the company's status page sees the steps that concern
it, without notes and without the names of the people who took them (`for_public=True`).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Organization

from .models import Inquiry

OBJECT_TYPE = "inquiries.inquiry"

# `%(organization)s` is the organisation the entry belongs to, `%(to)s` / `%(from)s` those in its data.
LABELS: dict[str, Promise] = {
    "inquiry.submitted": gettext_lazy("Submitted by the company"),
    "inquiry.assigned": gettext_lazy("Assigned to %(to)s"),
    "inquiry.reassigned_away": gettext_lazy("Taken away from %(organization)s"),
    "inquiry.accepted": gettext_lazy("Accepted by %(organization)s"),
    "inquiry.forwarded": gettext_lazy("Forwarded by %(organization)s to %(to)s"),
    "inquiry.involved": gettext_lazy("%(organization)s involved"),
    "inquiry.handed_back": gettext_lazy("Handed back to the coordination office by %(organization)s"),
    "inquiry.resolved": gettext_lazy("Resolved by %(organization)s"),
    "inquiry.closed_no_fit": gettext_lazy("Closed: no organisation fits"),
    "inquiry.withdrawn": gettext_lazy("Withdrawn by the company"),
    "inquiry.erased": gettext_lazy("Personal data erased"),
    "inquiry.reminder_sent": gettext_lazy("Reminder sent to %(organization)s"),
    "inquiry.escalated": gettext_lazy("Coordination office alerted: no response from %(organization)s"),
}
# Steps the company does not need to know about (deadline mails, bookkeeping of a reassignment).
STAFF_ONLY = {"inquiry.reassigned_away", "inquiry.reminder_sent", "inquiry.escalated"}
# Written for the receiving organisation's own history page; `inquiry.forwarded` already tells it here.
SKIPPED = {"inquiry.received"}
# Steps the company takes itself; every other step without an actor is the system's (deadlines, retention).
COMPANY_STEPS = {"inquiry.submitted", "inquiry.withdrawn"}


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    action: str  # the audit log's action code, e.g. "inquiry.forwarded"
    label: str  # translated, e.g. "Forwarded by A to B"
    actor: str  # the person, "The company" or "System"; empty for the public
    note: str  # empty for the public
    organization: Organization | None  # the organisation the step belongs to


def inquiry_history(inquiry: Inquiry, *, for_public: bool) -> list[HistoryItem]:
    """Every step of the inquiry, oldest first. Two queries: the entries and the organisations they name."""
    entries = list(
        AuditLogEntry.objects.filter(object_type=OBJECT_TYPE, object_id=str(inquiry.pk))
        .exclude(action__in=SKIPPED | (STAFF_ONLY if for_public else set()))
        .select_related("actor", "organization")
        .order_by("created_at", "id")
    )
    slugs = {entry.data.get(key) for entry in entries for key in ("to", "from") if entry.data.get(key)}
    names = dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "name")) if slugs else {}
    items = []
    for entry in entries:
        if for_public and entry.action not in LABELS:
            continue
        items.append(
            HistoryItem(
                at=entry.created_at,
                action=entry.action,
                label=_label(entry, names),
                actor="" if for_public else _actor(entry),
                note="" if for_public else str(entry.data.get("note", "")),
                organization=entry.organization,
            )
        )
    return items


def _label(entry: AuditLogEntry, names: dict[str, str]) -> str:
    if entry.action not in LABELS:
        return entry.action
    unknown = _("an organisation that no longer exists")
    values = {
        "organization": entry.organization.name if entry.organization else unknown,
        "to": names.get(entry.data.get("to", ""), entry.data.get("to") or unknown),
        "from": names.get(entry.data.get("from", ""), entry.data.get("from") or unknown),
    }
    return str(LABELS[entry.action]) % values


def _actor(entry: AuditLogEntry) -> str:
    if entry.actor is not None:
        return str(entry.actor)
    if entry.action in COMPANY_STEPS:
        return _("The company")
    return _("System")
