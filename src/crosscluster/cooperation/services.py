"""The life cycles of cooperation profiles and introductions; every step is one audited function.

Profile: a company fills the form (unconfirmed) → confirms its e-mail through the link in the mail
(submitted, assigned to a reviewing organisation) → a manager of that organisation or the coordination
office approves (published), asks for changes (changes_requested; the owner edits and it is submitted again)
or rejects it with a reason. A manager may enter a profile on a company's behalf (submitted at once). The
owner withdraws (erased at once) or renews it; it expires after its date.

Introduction: a visitor who confirmed their e-mail, or a manager, expresses interest (interest), or the
office introduces two profiles (proposed); the profile's owner accepts (both get the other's contact
details) or declines; later the outcome: cooperation started or no result.

Mails are queued in the same transaction (outbox); matches are recomputed by a task after commit.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crosscluster.core.mail import queue_mail
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.core.sanitize import clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import announce_texts_changed
from crosscluster.core.types import Actor
from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.queries import published_organizations
from crosscluster.inquiries.services import coordination_emails, manager_emails

from . import conf
from .access import can_review
from .models import (
    DEFAULT_VALIDITY,
    CooperationProfile,
    DismissedPair,
    Introduction,
    ProfileMatch,
    hash_token,
    today,
)

logger = logging.getLogger(__name__)

Profile = CooperationProfile
State = CooperationProfile.State
IState = Introduction.State
DECISION_SALT = "crosscluster.cooperation.decision"
RENEWAL_SALT = "crosscluster.cooperation.renewal"
# What an owner may change (the manager area also sets the reviewing organisation).
PROFILE_FIELDS = (
    "kind",
    "title",
    "text",
    "region",
    "language",
    "partner_wanted",
    "expires_at",
    "call",
    "roles",
    "call_deadline",
    "contact_name",
    "email",
    "company_name",
    "show_identity",
)
TEXT_FIELDS = ("title", "text", "partner_wanted", "call", "roles", "contact_name", "company_name")


class CooperationError(Exception):
    """A step the state does not allow; the message is translated and meant for the user."""


# Links and mail ---------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def owner_url(profile: Profile, token: str) -> str:
    with translation.override(profile.language):
        return _absolute(reverse("cooperation:owner", kwargs={"token": token}))


def _link_key(profile: Profile) -> str:
    # Signed links die when the owner's token is replaced (erasure replaces it).
    return profile.owner_token_hash[:16]


def decision_url(introduction: Introduction) -> str:
    """A link for the owner to decide on this one introduction (valid while the owner token is)."""
    profile = introduction.profile
    signed = signing.dumps({"i": introduction.pk, "k": _link_key(profile)}, salt=DECISION_SALT)
    with translation.override(profile.language):
        return _absolute(reverse("cooperation:decide", kwargs={"signed": signed}))


def introduction_for_link(signed: str) -> Introduction | None:
    try:
        data = signing.loads(signed, salt=DECISION_SALT)
    except signing.BadSignature:
        return None
    introduction = (
        Introduction.objects.select_related("profile", "counterpart")
        .filter(pk=data.get("i"), erased_at__isnull=True, profile__erased_at__isnull=True)
        .first()
    )
    if introduction is None or _link_key(introduction.profile) != data.get("k"):
        return None
    return introduction


def renewal_url(profile: Profile) -> str:
    signed = signing.dumps({"p": profile.pk, "k": _link_key(profile)}, salt=RENEWAL_SALT)
    with translation.override(profile.language):
        return _absolute(reverse("cooperation:renew", kwargs={"signed": signed}))


def profile_for_renewal_link(signed: str) -> Profile | None:
    try:
        data = signing.loads(signed, salt=RENEWAL_SALT)
    except signing.BadSignature:
        return None
    profile = Profile.objects.filter(pk=data.get("p"), erased_at__isnull=True).first()
    if profile is None or _link_key(profile) != data.get("k"):
        return None
    return profile


def interest_confirm_url(introduction: Introduction, token: str) -> str:
    with translation.override(introduction.language):
        return _absolute(reverse("cooperation:confirm-interest", kwargs={"token": token}))


def _profile_topic(profile: Profile) -> str:
    return f"cooperation.cooperationprofile:{profile.pk}"


def _introduction_topic(introduction: Introduction) -> str:
    return f"cooperation.introduction:{introduction.pk}"


def _mail_owner(profile: Profile, template: str, topic: str = "", **context: Any) -> None:
    if profile.erased_at or not profile.email:
        return
    queue_mail(
        profile.email,
        template,
        {"profile": profile, **context},
        language=profile.language,
        topic=topic or _profile_topic(profile),
    )


def reviewer_emails(profile: Profile) -> list[str]:
    """The reviewing organisation's managers; the coordination office when there are none."""
    if profile.reviewing_organization is not None:
        emails = manager_emails(profile.reviewing_organization)
        if emails:
            return emails
    return coordination_emails()


def _notify_reviewers(profile: Profile, template: str, **context: Any) -> None:
    manage_url = _absolute(reverse("manage:cooperation-profile", kwargs={"pk": profile.pk}))
    for email in reviewer_emails(profile):
        queue_mail(
            email,
            template,
            {"profile": profile, "manage_url": manage_url, **context},
            topic=_profile_topic(profile),
        )


def _log(obj: Any, action: str, actor: Actor, **data: Any) -> AuditLogEntry:
    organization = None
    if isinstance(obj, CooperationProfile):
        organization = obj.reviewing_organization
        code = f"cooperation.profile.{action}"
    else:
        organization = obj.profile.reviewing_organization
        code = f"cooperation.introduction.{action}"
    return log_action(
        code,
        actor=actor,
        obj=obj,
        organization=organization,
        data={key: value for key, value in data.items() if value not in (None, "")},
    )


def refresh_search_text(profile: Profile) -> None:
    """After a change of the profile's text or topics: its search document is rewritten in this transaction
    (core.signals.texts_changed, search.documents). Who may find it is decided when searching."""
    announce_texts_changed(Profile, [profile.pk])


def _refresh_matches_after_commit(profile: Profile | None = None) -> None:
    """After commit: the proposals of the whole pool, and who else can help with this profile."""
    from .tasks import enqueue_helpers, enqueue_refresh

    transaction.on_commit(enqueue_refresh)
    if profile is not None and profile.state == State.PUBLISHED:
        profile_id = profile.pk
        transaction.on_commit(lambda: enqueue_helpers(profile_id))


# Guards -----------------------------------------------------------------------------------------------


def _require_state(obj: Any, *states: str) -> None:
    if obj.state not in states:
        raise CooperationError(
            _("This step is not possible while the state is “%(state)s”.")
            % {"state": obj.get_state_display()}
        )


def _require_reviewer(actor: Actor, profile: Profile) -> None:
    if not can_review(actor, profile):
        raise PermissionDenied(_("This profile is reviewed by another organisation."))


def _require_coordinator(actor: Actor) -> None:
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only the coordination office can do this."))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in TEXT_FIELDS:
        if name in cleaned and cleaned[name] is not None:
            cleaned[name] = clean_text(str(cleaned[name])).strip()
    if "email" in cleaned:
        cleaned["email"] = str(cleaned["email"]).strip().lower()
    if cleaned.get("language") not in dict(settings.LANGUAGES):
        cleaned["language"] = settings.LANGUAGE_CODE
    return cleaned


def _validate(profile: Profile) -> None:
    if not profile.title or not profile.text:
        raise CooperationError(_("A profile needs a title and a description."))
    if profile.kind not in Profile.Kind.values:
        raise CooperationError(_("Choose the kind of profile."))
    try:
        validate_email(profile.email)
    except ValidationError:
        raise CooperationError(_("Enter a valid e-mail address.")) from None
    now_date = today()
    if profile.expires_at is None:
        profile.expires_at = now_date + DEFAULT_VALIDITY
    if profile.expires_at <= now_date:
        raise CooperationError(_("The profile must stay public for at least one more day."))
    if profile.expires_at > now_date + timedelta(days=2 * 365):
        raise CooperationError(_("A profile can be public for two years at most; renew it later."))


def choose_reviewer(profile: Profile) -> Organization | None:
    """The published organisation (not the office) sharing most of the profile's topics, in its region
    first; None when nothing is shared: then the coordination office reviews."""
    topic_ids = list(profile.topics.values_list("pk", flat=True))
    if not topic_ids:
        return None
    candidates = (
        published_organizations()
        .filter(topics__in=topic_ids)
        .exclude(kind=Organization.Kind.COORDINATION)
        .annotate(shared=Count("topics", filter=Q(topics__in=topic_ids)))
        .order_by("-shared", "name")
    )
    if profile.region_id is not None:
        in_region = candidates.filter(region_id=profile.region_id).first()
        if in_region is not None:
            return in_region
    return candidates.first()


# Profiles ---------------------------------------------------------------------------------------------


@transaction.atomic
def submit_profile(
    *,
    actor: Actor = None,
    topics: Iterable[Topic] = (),
    consent: bool = False,
    reviewing_organization: Organization | None = None,
    **values: Any,
) -> tuple[Profile, str]:
    """Store a new profile; returns it and the secret of its owner's links.

    From the public form (`actor` None) it waits for the e-mail confirmation; a manager or the office
    enters it on a company's behalf and it goes to review at once (assigned to the organisation chosen,
    which the manager must manage).
    """
    on_behalf = actor is not None and getattr(actor, "is_authenticated", False)
    if on_behalf:
        if not (is_coordinator(actor) or organizations_managed_by(actor).exists()):
            raise PermissionDenied(_("Only managers can enter profiles on a company's behalf."))
        if reviewing_organization is not None and not (
            is_coordinator(actor)
            or organizations_managed_by(actor).filter(pk=reviewing_organization.pk).exists()
        ):
            raise PermissionDenied(_("You can only assign profiles to organisations you manage."))
    elif not consent:
        raise CooperationError(_("Please agree to the privacy notice so that we may publish your profile."))
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    profile = Profile(**_clean(values))
    profile.consent_version = settings.INQUIRY_CONSENT_VERSION
    _validate(profile)
    token = profile.new_owner_token()
    now = timezone.now()
    if on_behalf:
        profile.state = State.SUBMITTED
        profile.created_by = actor
        profile.confirmed_at = now
        profile.reviewing_organization = reviewing_organization
    profile.save()
    profile.topics.set(list(topics))
    refresh_search_text(profile)
    if on_behalf:
        if profile.reviewing_organization is None and not is_coordinator(actor):
            profile.reviewing_organization = choose_reviewer(profile)
            profile.save(update_fields=["reviewing_organization"])
        _log(profile, "entered", actor, kind=profile.kind)
        _mail_owner(profile, "cooperation/mail/entered", owner_url=owner_url(profile, token))
        _notify_reviewers(profile, "cooperation/mail/for_review")
    else:
        _log(profile, "created", None, kind=profile.kind)
        _mail_owner(profile, "cooperation/mail/confirm_profile", owner_url=owner_url(profile, token))
    return profile, token


@transaction.atomic
def confirm_profile(profile: Profile) -> Profile:
    """The owner followed the link in the mail: the address is theirs, the profile goes to review."""
    if profile.state != State.UNCONFIRMED:
        return profile  # a second click changes nothing
    profile.state = State.SUBMITTED
    profile.confirmed_at = timezone.now()
    profile.reviewing_organization = choose_reviewer(profile)
    profile.save()
    _log(
        profile,
        "confirmed",
        None,
        reviewer=profile.reviewing_organization.slug if profile.reviewing_organization else "",
    )
    _notify_reviewers(profile, "cooperation/mail/for_review")
    return profile


@transaction.atomic
def update_profile(
    profile: Profile,
    *,
    actor: Actor = None,
    topics: Iterable[Topic] | None = None,
    reviewing_organization: Organization | bool | None = False,
    **values: Any,
) -> Profile:
    """The owner (`actor` None, through its token) or a reviewer changes the profile.

    After "changes requested" the owner's edit submits it again. A published profile stays published and
    its matches are recomputed. The reviewing organisation can only be changed by the office.
    """
    if actor is not None:
        _require_reviewer(actor, profile)
    _require_state(profile, *Profile.EDITABLE_STATES)
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    for name, value in _clean(values).items():
        setattr(profile, name, value)
    _validate(profile)
    if reviewing_organization is not False:
        _require_coordinator(actor)
        profile.reviewing_organization = (
            reviewing_organization if isinstance(reviewing_organization, Organization) else None
        )
    resubmitted = profile.state == State.CHANGES_REQUESTED and actor is None
    if resubmitted:
        profile.state = State.SUBMITTED
    profile.save()
    if topics is not None:
        profile.topics.set(list(topics))
    refresh_search_text(profile)
    _log(profile, "updated", actor, fields=sorted(values), resubmitted=resubmitted or None)
    if resubmitted:
        _notify_reviewers(profile, "cooperation/mail/for_review", resubmitted=True)
    if profile.state == State.PUBLISHED:
        _refresh_matches_after_commit(profile)
    return profile


@transaction.atomic
def approve_profile(profile: Profile, *, actor: Actor, note: str = "") -> Profile:
    _require_reviewer(actor, profile)
    _require_state(profile, State.SUBMITTED)
    profile.state = State.PUBLISHED
    profile.published_at = timezone.now()
    if profile.expires_at <= today():
        profile.expires_at = today() + DEFAULT_VALIDITY
    profile.save()
    _log(profile, "approved", actor, note=note.strip())
    _mail_owner(profile, "cooperation/mail/published")
    _refresh_matches_after_commit(profile)
    return profile


@transaction.atomic
def request_changes(profile: Profile, *, actor: Actor, reason: str) -> Profile:
    _require_reviewer(actor, profile)
    _require_state(profile, State.SUBMITTED)
    if not reason.strip():
        raise CooperationError(_("Tell the owner what to change."))
    profile.state = State.CHANGES_REQUESTED
    profile.save()
    _log(profile, "changes_requested", actor, reason=reason.strip())
    _mail_owner(profile, "cooperation/mail/changes_requested", reason=reason.strip())
    return profile


@transaction.atomic
def reject_profile(profile: Profile, *, actor: Actor, reason: str) -> Profile:
    _require_reviewer(actor, profile)
    _require_state(profile, State.SUBMITTED, State.CHANGES_REQUESTED)
    if not reason.strip():
        raise CooperationError(_("Tell the owner why the profile is rejected."))
    profile.state = State.REJECTED
    profile.closed_at = timezone.now()
    profile.save()
    _log(profile, "rejected", actor, reason=reason.strip())
    _mail_owner(profile, "cooperation/mail/rejected", reason=reason.strip())
    return profile


@transaction.atomic
def withdraw_profile(profile: Profile, *, actor: Actor = None) -> Profile:
    """The owner takes the profile back: it is closed and its personal data erased at once; waiting
    introductions end without a result."""
    was_public = profile.state == State.PUBLISHED
    if profile.state not in Profile.CLOSED_STATES:
        profile.state = State.WITHDRAWN
        profile.closed_at = timezone.now()
        profile.save()
        _log(profile, "withdrawn", actor)
    for introduction in profile.introductions.filter(state__in=Introduction.WAITING_STATES):
        _close_introduction(introduction, IState.NO_RESULT, None, note="profile withdrawn")
    erase_profile(profile, reason="withdrawn", actor=actor)
    if was_public:
        _refresh_matches_after_commit()
    return profile


@transaction.atomic
def renew_profile(profile: Profile, *, actor: Actor = None) -> Profile:
    """One click: another 12 months from today, also for a profile that expired (it was reviewed)."""
    _require_state(profile, State.PUBLISHED, State.EXPIRED)
    if profile.erased_at is not None:
        raise CooperationError(_("This profile was erased."))
    was_expired = profile.state == State.EXPIRED
    profile.expires_at = today() + DEFAULT_VALIDITY
    profile.state = State.PUBLISHED
    profile.closed_at = None
    profile.expiry_reminded_at = None
    profile.save()
    _log(profile, "renewed", actor, until=profile.expires_at.isoformat())
    if was_expired:
        _refresh_matches_after_commit(profile)
    return profile


# Introductions ----------------------------------------------------------------------------------------


def _require_public(profile: Profile) -> None:
    if not profile.is_public:
        raise CooperationError(_("This profile is not public (any more)."))


@transaction.atomic
def express_interest(
    profile: Profile,
    *,
    message: str,
    actor: Actor = None,
    name: str = "",
    email: str = "",
    company_name: str = "",
    language: str = "de",
    consent: bool = False,
) -> tuple[Introduction, str]:
    """A visitor (confirms by mail first) or a manager (at once) wants to get in touch with the owner.

    Returns the introduction and, for a visitor, the secret of the confirmation link ("" for a manager).
    """
    _require_public(profile)
    message = clean_text(message).strip()
    if not message:
        raise CooperationError(_("Tell the owner in a message what you have in mind."))
    manager = actor is not None and getattr(actor, "is_authenticated", False)
    if manager and not (is_coordinator(actor) or organizations_managed_by(actor).exists()):
        manager = False  # an account that manages nothing is a visitor like any other
    if not manager and not consent:
        raise CooperationError(_("Please agree to the privacy notice so that we may pass on your message."))
    introduction = Introduction(
        profile=profile,
        message=message,
        name=clean_text(name).strip(),
        email=email.strip().lower(),
        company_name=clean_text(company_name).strip(),
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    token = ""
    if manager:
        assert actor is not None  # a manager is a signed-in user
        introduction.created_by = actor
        introduction.name = introduction.name or actor.get_full_name() or actor.email
        introduction.email = introduction.email or actor.email
        if not introduction.company_name:
            first = organizations_managed_by(actor).order_by("name").first()
            introduction.company_name = first.name if first else ""
        _start_waiting(introduction, IState.INTEREST)
        introduction.save()
        _log(introduction, "interest", actor, profile=profile.reference)
        _ask_owner(introduction)
    else:
        if not introduction.name or not introduction.email:
            raise CooperationError(_("Tell us your name and e-mail address."))
        token = secrets.token_urlsafe(24)
        introduction.confirm_token_hash = hash_token(token)
        introduction.state = IState.UNCONFIRMED
        introduction.save()
        _log(introduction, "created", None, profile=profile.reference)
        queue_mail(
            introduction.email,
            "cooperation/mail/confirm_interest",
            {
                "introduction": introduction,
                "profile": profile,
                "confirm_url": interest_confirm_url(introduction, token),
            },
            language=introduction.language,
            topic=_introduction_topic(introduction),
        )
    return introduction, token


def introduction_for_confirmation(token: str) -> Introduction | None:
    if not token:
        return None
    return (
        Introduction.objects.select_related("profile")
        .filter(confirm_token_hash=hash_token(token), erased_at__isnull=True)
        .first()
    )


@transaction.atomic
def confirm_interest(introduction: Introduction) -> Introduction:
    if introduction.state != IState.UNCONFIRMED:
        return introduction
    _require_public(introduction.profile)
    _start_waiting(introduction, IState.INTEREST)
    introduction.save()
    _log(introduction, "interest", None, profile=introduction.profile.reference)
    _ask_owner(introduction)
    return introduction


def _start_waiting(introduction: Introduction, state: str) -> None:
    introduction.state = state
    introduction.due_at = timezone.now() + timedelta(days=conf.answer_days())


def _ask_owner(introduction: Introduction) -> None:
    _mail_owner(
        introduction.profile,
        "cooperation/mail/introduction",
        topic=_introduction_topic(introduction),
        introduction=introduction,
        decision_url=decision_url(introduction),
    )


def decision_side(first: Profile, second: Profile) -> tuple[Profile, Profile]:
    """Who is asked when the office introduces two profiles: the offer's owner decides whether to get in
    touch with the one who needs it; between two of a kind, the one published first."""
    if second.is_offer and not first.is_offer:
        return second, first
    if first.is_offer and not second.is_offer:
        return first, second
    return (
        (first, second)
        if (first.published_at or first.created_at) <= (second.published_at or second.created_at)
        else (second, first)
    )


@transaction.atomic
def introduce(first: Profile, second: Profile, *, actor: Actor, note: str = "") -> Introduction:
    """The office introduces two profiles from its board: the deciding owner gets the note and the other
    profile; the other owner is told that the office proposed them."""
    _require_coordinator(actor)
    if first.pk == second.pk:
        raise CooperationError(_("A profile cannot be introduced to itself."))
    _require_public(first)
    _require_public(second)
    if introduced_pairs([first.pk, second.pk]) & {pair_key(first.pk, second.pk)}:
        raise CooperationError(_("These two profiles have been introduced already."))
    profile, counterpart = decision_side(first, second)
    introduction = Introduction(
        profile=profile,
        counterpart=counterpart,
        message=clean_text(note).strip(),
        created_by=actor,
        language=profile.language,
    )
    _start_waiting(introduction, IState.PROPOSED)
    introduction.save()
    _log(introduction, "proposed", actor, profile=profile.reference, counterpart=counterpart.reference)
    _ask_owner(introduction)
    _mail_owner(
        counterpart,
        "cooperation/mail/proposed_to_counterpart",
        topic=_introduction_topic(introduction),
        introduction=introduction,
        other=profile,
    )
    return introduction


@transaction.atomic
def decide_introduction(introduction: Introduction, *, accept: bool, actor: Actor = None) -> Introduction:
    """The owner accepts (both sides get the other's contact details) or declines (nothing is passed on)."""
    _require_state(introduction, *Introduction.WAITING_STATES)
    now = timezone.now()
    introduction.decided_at = now
    introduction.due_at = None
    profile = introduction.profile
    if accept:
        introduction.state = IState.ACCEPTED
        introduction.save()
        _log(introduction, "accepted", actor)
        requester = introduction.requester_contact()
        owner = {"name": profile.contact_name, "email": profile.email, "company": profile.company_name}
        _mail_owner(
            profile,
            "cooperation/mail/contact_details",
            topic=_introduction_topic(introduction),
            introduction=introduction,
            contact=requester,
            other_profile=introduction.counterpart,
        )
        if requester["email"]:
            queue_mail(
                requester["email"],
                "cooperation/mail/contact_details",
                {
                    "profile": profile,
                    "introduction": introduction,
                    "contact": owner,
                    "other_profile": profile,
                    "requester": True,
                },
                language=introduction.counterpart.language
                if introduction.counterpart
                else introduction.language,
                topic=_introduction_topic(introduction),
            )
    else:
        introduction.state = IState.DECLINED
        introduction.closed_at = now
        introduction.save()
        _log(introduction, "declined", actor)
        requester = introduction.requester_contact()
        if requester["email"] and introduction.counterpart is None:
            queue_mail(
                requester["email"],
                "cooperation/mail/declined",
                {"profile": profile, "introduction": introduction},
                language=introduction.language,
                topic=_introduction_topic(introduction),
            )
    return introduction


@transaction.atomic
def record_outcome(introduction: Introduction, *, started: bool, actor: Actor = None) -> Introduction:
    """After the exchange: did a cooperation start? (the owner, or the office, tells us)."""
    if actor is not None and not is_coordinator(actor):
        _require_reviewer(actor, introduction.profile)
    _require_state(introduction, IState.ACCEPTED)
    _close_introduction(introduction, IState.STARTED if started else IState.NO_RESULT, actor)
    return introduction


def _close_introduction(introduction: Introduction, state: str, actor: Actor, note: str = "") -> None:
    introduction.state = state
    introduction.closed_at = timezone.now()
    introduction.due_at = None
    introduction.save()
    _log(introduction, state, actor, note=note)


# The office's board -----------------------------------------------------------------------------------


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def introduced_pairs(profile_ids: Iterable[int]) -> set[tuple[int, int]]:
    ids = list(profile_ids)
    rows = Introduction.objects.filter(counterpart__isnull=False).filter(
        Q(profile_id__in=ids) | Q(counterpart_id__in=ids)
    )
    return {pair_key(a, b) for a, b in rows.values_list("profile_id", "counterpart_id")}


@transaction.atomic
def dismiss_pair(first: Profile, second: Profile, *, actor: Actor) -> DismissedPair:
    """The office does not want this pair proposed again (kept, with the score it had, to learn from)."""
    _require_coordinator(actor)
    a, b = pair_key(first.pk, second.pk)
    match = (
        ProfileMatch.objects.filter(Q(profile_id=a, counterpart_id=b) | Q(profile_id=b, counterpart_id=a))
        .order_by("-score")
        .first()
    )
    pair, created = DismissedPair.objects.get_or_create(
        first_id=a,
        second_id=b,
        defaults={"dismissed_by": actor, "score": match.score if match else None},
    )
    if created:
        log_action(
            "cooperation.pair.dismissed",
            actor=actor,
            obj=pair,
            data={"first": a, "second": b, "score": match.score if match else None},
        )
    return pair


# Data protection --------------------------------------------------------------------------------------


@transaction.atomic
def erase_profile(profile: Profile, *, reason: str, actor: Actor = None) -> Profile:
    """Remove what identifies the owner and what they wrote; kind, topics, region and times stay for the
    statistics. Notes in the history, queued mails and the introductions' personal data go too."""
    if profile.erased_at is not None:
        return profile
    profile.title = ""
    profile.text = ""
    profile.partner_wanted = profile.call = profile.roles = ""
    profile.contact_name = profile.email = profile.company_name = ""
    profile.show_identity = False
    profile.new_owner_token()  # the owner links stop working: nobody knows the new token
    profile.erased_at = timezone.now()
    if profile.state not in Profile.CLOSED_STATES:
        profile.state = State.WITHDRAWN
        profile.closed_at = profile.erased_at
    profile.save()
    refresh_search_text(profile)
    _strip_notes("cooperation.cooperationprofile", [profile.pk])
    OutgoingMail.objects.filter(topic=_profile_topic(profile)).delete()
    ProfileMatch.objects.filter(Q(profile=profile) | Q(counterpart=profile)).delete()
    for introduction in Introduction.objects.filter(Q(profile=profile) | Q(counterpart=profile)):
        erase_introduction(introduction, reason=reason, actor=actor)
    _log(profile, "erased", actor, reason=reason)
    return profile


@transaction.atomic
def erase_introduction(introduction: Introduction, *, reason: str, actor: Actor = None) -> Introduction:
    if introduction.erased_at is not None:
        return introduction
    introduction.message = ""
    introduction.name = introduction.email = introduction.company_name = ""
    introduction.confirm_token_hash = None
    introduction.erased_at = timezone.now()
    if introduction.state not in Introduction.CLOSED_STATES:
        introduction.state = IState.NO_RESULT
        introduction.closed_at = introduction.erased_at
    introduction.save()
    _strip_notes("cooperation.introduction", [introduction.pk])
    OutgoingMail.objects.filter(topic=_introduction_topic(introduction)).delete()
    _log(introduction, "erased", actor, reason=reason)
    return introduction


def _strip_notes(object_type: str, ids: list[int]) -> None:
    entries = AuditLogEntry.objects.filter(object_type=object_type, object_id__in=[str(pk) for pk in ids])
    for entry in entries:
        kept = {key: value for key, value in entry.data.items() if key not in ("note", "reason")}
        if kept != entry.data:
            entry.data = kept
            entry.save(update_fields=["data"])


def erase_expired(now=None) -> tuple[int, int]:
    """Erase profiles and introductions closed longer ago than the retention period, and delete those
    whose e-mail was never confirmed. Returns (profiles, introductions)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.retention_days())
    unconfirmed = now - timedelta(days=conf.unconfirmed_days())
    profiles = introductions = 0
    for profile in Profile.objects.filter(erased_at__isnull=True).filter(
        Q(state__in=Profile.CLOSED_STATES, closed_at__lt=cutoff)
        | Q(state=State.UNCONFIRMED, created_at__lt=unconfirmed)
    ):
        erase_profile(profile, reason="retention")
        profiles += 1
    for introduction in Introduction.objects.filter(erased_at__isnull=True).filter(
        Q(state__in=Introduction.CLOSED_STATES, closed_at__lt=cutoff)
        | Q(state=IState.UNCONFIRMED, created_at__lt=unconfirmed)
    ):
        erase_introduction(introduction, reason="retention")
        introductions += 1
    return profiles, introductions


# Deadlines --------------------------------------------------------------------------------------------


def process_deadlines(now=None) -> dict[str, int]:
    """Expire profiles past their date, remind owners before that (with a renewal link), and remind owners
    of introductions they have not answered in time (once each)."""
    now = now or timezone.now()
    current: date = today(now)
    counts = {"expired": 0, "expiry_reminders": 0, "answer_reminders": 0}
    for profile in Profile.objects.filter(state=State.PUBLISHED, expires_at__lt=current):
        with transaction.atomic():
            profile.state = State.EXPIRED
            profile.closed_at = now
            profile.save(update_fields=["state", "closed_at", "updated_at"])
            _log(profile, "expired", None)
            _mail_owner(profile, "cooperation/mail/expired", renewal_url=renewal_url(profile))
        counts["expired"] += 1
    if counts["expired"]:
        from .tasks import enqueue_refresh

        enqueue_refresh()
    soon = current + timedelta(days=conf.expiry_reminder_days())
    for profile in Profile.objects.filter(
        state=State.PUBLISHED, expires_at__lte=soon, expiry_reminded_at__isnull=True
    ):
        with transaction.atomic():
            profile.expiry_reminded_at = now
            profile.save(update_fields=["expiry_reminded_at"])
            _log(profile, "expiry_reminder_sent", None)
            _mail_owner(profile, "cooperation/mail/expiry_reminder", renewal_url=renewal_url(profile))
        counts["expiry_reminders"] += 1
    waiting = Introduction.objects.filter(
        state__in=Introduction.WAITING_STATES, due_at__lte=now, reminded_at__isnull=True
    ).select_related("profile")
    for introduction in waiting:
        with transaction.atomic():
            introduction.reminded_at = now
            introduction.save(update_fields=["reminded_at"])
            _log(introduction, "reminder_sent", None)
            _mail_owner(
                introduction.profile,
                "cooperation/mail/introduction_reminder",
                topic=_introduction_topic(introduction),
                introduction=introduction,
                decision_url=decision_url(introduction),
            )
        counts["answer_reminders"] += 1
    return counts
