"""Every change to accounts goes through one of these functions, which writes the audit log.

Views, the admin and management commands call them. `actor=None` means the system or an operator at the
command line.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from crosscluster.core.services import log_action
from crosscluster.core.types import Actor
from crosscluster.directory.models import Organization

from . import throttling
from .models import ApiToken, Membership, User


def record_login(user: User) -> None:
    """Successful logins are part of the audit trail; failures go to the log (see accounts.forms)."""
    log_action("accounts.login", actor=user, obj=user)


@transaction.atomic
def set_password(
    user: User, raw_password: str, *, actor: Actor, action: str = "accounts.password.changed"
) -> User:
    """Set a new password. `action` tells how: changed by its owner, reset by e-mail link, set by an operator.

    After a reset the failed logins of the address are forgotten, so its owner can log in at once.
    """
    user.set_password(raw_password)
    user.save(update_fields=["password"])
    log_action(action, actor=actor, obj=user)
    throttling.clear_email(user.email)
    return user


def _ensure_may_handle_tokens(actor: Actor, user: User) -> None:
    if actor is None:
        return
    if actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied(_("You can only manage your own API tokens."))


@transaction.atomic
def issue_api_token(user: User, name: str, *, actor: Actor) -> tuple[ApiToken, str]:
    """Create a personal token. The key is returned once and never stored; only its hash is."""
    _ensure_may_handle_tokens(actor, user)
    token, key = ApiToken.issue(user, name)
    log_action("accounts.api_token.created", actor=actor, obj=token, data={"user": user.email, "name": name})
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor: Actor) -> None:
    _ensure_may_handle_tokens(actor, token.user)
    log_action(
        "accounts.api_token.revoked",
        actor=actor,
        obj=token,
        data={"user": token.user.email, "name": token.name},
    )
    token.delete()


@transaction.atomic
def create_manager(
    email: str, *, organizations: Iterable[Organization], coordinator: bool = False, actor: Actor
) -> tuple[User, bool]:
    """Create or update a user and let them manage the organisations; returns (user, created).

    A new user gets no usable password: they set one through a password link. An existing user keeps their
    password and memberships; memberships are only added.
    """
    email = throttling.normalize_email(email)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email=email, password=None, is_coordinator=coordinator)
        log_action("accounts.user.created", actor=actor, obj=user, data={"coordinator": coordinator})
    elif coordinator and not user.is_coordinator:
        user.is_coordinator = True
        user.save(update_fields=["is_coordinator"])
        log_action("accounts.user.updated", actor=actor, obj=user, data={"changes": {"is_coordinator": True}})
    for organization in organizations:
        membership, new = Membership.objects.get_or_create(user=user, organization=organization)
        if new:
            log_action(
                "accounts.membership.created",
                actor=actor,
                obj=membership,
                organization=organization,
                data={"user": user.email},
            )
    return user, created
