"""Who sees and works on which inquiry: the one choke point for inquiry access."""

from django.db.models import Q

from crosscluster.directory.access import is_coordinator, organizations_managed_by

from .models import Inquiry, InquiryQuerySet


def inquiries_visible_to(user) -> InquiryQuerySet:
    """All for the coordination office; for a manager those with or involving their organisations."""
    if not user.is_authenticated or not user.is_active:
        return Inquiry.objects.none()
    if is_coordinator(user):
        return Inquiry.objects.all()
    managed = organizations_managed_by(user)
    return Inquiry.objects.filter(Q(organization__in=managed) | Q(involved__in=managed)).distinct()


def is_responsible(user, inquiry: Inquiry) -> bool:
    """The user manages the organisation the inquiry is with now (or is the coordination office)."""
    if is_coordinator(user):
        return True
    return inquiry.organization_id is not None and (
        organizations_managed_by(user).filter(pk=inquiry.organization_id).exists()
    )
