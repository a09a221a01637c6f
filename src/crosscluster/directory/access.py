"""Who may manage which organisation: the one choke point for directory write access."""

from django.db.models import QuerySet

from .models import Organization


def is_coordinator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_coordinator or user.is_superuser))


def organizations_managed_by(user) -> QuerySet[Organization]:
    """Everything for the coordination office and admins; a manager's own organisations; else nothing."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if is_coordinator(user):
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def can_manage(user, organization: Organization) -> bool:
    return organizations_managed_by(user).filter(pk=organization.pk).exists()
