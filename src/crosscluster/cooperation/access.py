"""Who sees and works on which cooperation profile: the one choke point for profile access.

- Everybody sees the public profiles (`public_profiles`); nobody sees a profile's owner unless it chose so.
- The owner has no account: its token opens its own profile and nothing else (`profile_for_token`).
- Managers review the profiles assigned to their organisations; the coordination office all of them.
"""

from typing import Any

from django.db.models import Q

from crosscluster.directory.access import is_coordinator, organizations_managed_by

from .models import CooperationProfile, CooperationProfileQuerySet, Introduction, hash_token


def public_profiles() -> CooperationProfileQuerySet:
    return CooperationProfile.objects.public()


def profile_for_token(token: str) -> CooperationProfile | None:
    """The one profile this owner token opens; None for unknown tokens and erased profiles."""
    if not token:
        return None
    return (
        CooperationProfile.objects.filter(owner_token_hash=hash_token(token), erased_at__isnull=True)
        .select_related("region", "reviewing_organization")
        .first()
    )


def profiles_visible_to(user: Any) -> CooperationProfileQuerySet:
    """All for the coordination office; for a manager those their organisations review or they entered."""
    if not user.is_authenticated or not user.is_active:
        return CooperationProfile.objects.none()
    if is_coordinator(user):
        return CooperationProfile.objects.all()
    managed = organizations_managed_by(user)
    if not managed.exists():
        return CooperationProfile.objects.none()
    return CooperationProfile.objects.filter(
        Q(reviewing_organization__in=managed) | Q(created_by=user)
    ).distinct()


def can_review(user: Any, profile: CooperationProfile) -> bool:
    """The office reviews everything; a manager only profiles assigned to an organisation they manage."""
    if is_coordinator(user):
        return True
    return profile.reviewing_organization_id is not None and (
        organizations_managed_by(user).filter(pk=profile.reviewing_organization_id).exists()
    )


def can_enter_profiles(user: Any) -> bool:
    """Managers (on a company's behalf) and the office may enter profiles in the manager area."""
    return is_coordinator(user) or organizations_managed_by(user).exists()


def introductions_visible_to(user: Any):
    """The office sees every introduction; a manager those they started or of profiles they review."""
    if not user.is_authenticated or not user.is_active:
        return Introduction.objects.none()
    if is_coordinator(user):
        return Introduction.objects.all()
    managed = organizations_managed_by(user)
    return Introduction.objects.filter(
        Q(created_by=user) | Q(profile__reviewing_organization__in=managed)
    ).distinct()
