"""Cross-cutting services: writing the audit log."""

from typing import Any

from django.db import models

from .models import AuditLogEntry
from .types import Actor


def log_action(
    action: str,
    *,
    actor: Actor = None,
    obj: models.Model | None = None,
    organization: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Record one change. Call it inside the same transaction as the change itself."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditLogEntry.objects.create(
        action=action,
        actor=actor,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        organization=organization,
        data=data or {},
    )
