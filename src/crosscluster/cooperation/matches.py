"""Stored proposals between the public profiles: the engine's answers, written by one task.

`store_matches` asks `matching.match_batch` about the whole public pool (the engine is the one of
`crosscluster match --batch`) and replaces `ProfileMatch` rows in one transaction. The board, the manager's
profile page and the API read the rows; nothing here runs inside a request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation

from . import conf, matching
from .access import public_profiles
from .models import CooperationProfile, DismissedPair, ProfileMatch

TOP = 5


def store_matches() -> int:
    """Recompute the proposals of every public profile; returns the number of rows stored."""
    profiles = list(public_profiles().order_by("pk"))
    texts = [profile.as_profile_text() for profile in profiles]
    proposals = []
    if len(texts) > 1:
        # Each profile's vector is kept in routing's embedding store: an unchanged profile is embedded once.
        vectors = matching.stored_vectors(texts)
        # Reasons are stored as text, in the site's default language (the office's board reads them).
        with translation.override(settings.LANGUAGE_CODE):
            proposals = matching.match_batch(texts, top=TOP, vectors=vectors)
    known = {str(profile.pk): profile.pk for profile in profiles}
    rows = [
        ProfileMatch(
            profile_id=known[proposal.id],
            counterpart_id=known[match.profile],
            score=float(match.score),
            reasons=[str(reason) for reason in match.reasons],
        )
        for proposal in proposals
        if proposal.id in known and not proposal.no_good_match
        for match in proposal.matches
        if match.profile in known and match.profile != proposal.id
    ]
    with transaction.atomic():
        ProfileMatch.objects.all().delete()
        ProfileMatch.objects.bulk_create(rows)
    return len(rows)


def _label(reason: str) -> str:
    """ "Shared terms: a, b" → "Shared terms"; a reason without a colon is its own label."""
    return reason.split(":", 1)[0]


EVENT_HORIZON_DAYS = 120


def store_helpers(profile_id: int) -> bool:
    """Store the member organisations that can help with a public profile (the routing engine's
    suggestions for its text) and the coming events that fit it (the matching engine's `match_texts`).
    Returns False when the profile is not public (its helpers are then cleared)."""
    import datetime as dt

    from django.utils import timezone

    from crosscluster.events.access import public_events
    from crosscluster.events.export import plain_description

    profile = public_profiles().filter(pk=profile_id).first()
    if profile is None:
        CooperationProfile.objects.filter(pk=profile_id).update(helpers={})
        return False
    text = profile.as_profile_text()
    helpers: dict[str, list[dict]] = {"organizations": [], "events": []}
    with translation.override(settings.LANGUAGE_CODE):
        result = matching.match_organizations(text, top=3)
        for suggestion in getattr(result, "results", []) or []:
            helpers["organizations"].append(
                {
                    "slug": suggestion.organization.slug,
                    "name": suggestion.organization.name,
                    "reasons": [str(reason) for reason in suggestion.reasons][:3],
                }
            )
        now = timezone.now()
        events = list(
            public_events().filter(end__gte=now, start__lte=now + dt.timedelta(days=EVENT_HORIZON_DAYS))[:300]
        )
        items = [matching.TextItem(str(event.pk), event.title, plain_description(event)) for event in events]
        by_id = {str(event.pk): event for event in events}
        for match in matching.match_texts(text, items, top=3):
            event = by_id[match.profile]
            helpers["events"].append({"id": event.pk, "title": event.title, "reasons": list(match.reasons)})
    CooperationProfile.objects.filter(pk=profile.pk).update(helpers=helpers)
    return True


@dataclass
class Pair:
    """A candidate pair on the board: two public profiles, the better score, reasons of both directions."""

    first: CooperationProfile
    second: CooperationProfile
    score: float
    reasons: list[str]


def board_pairs(*, topic=None, organization=None, limit: int = 100) -> list[Pair]:
    """Pairs above the threshold, best first; each pair once, without dismissed or introduced ones."""
    from .services import introduced_pairs, pair_key

    rows = (
        ProfileMatch.objects.filter(score__gte=conf.board_min_score())
        .select_related("profile", "counterpart", "profile__reviewing_organization")
        .order_by("-score", "pk")
    )
    public = public_profiles()
    rows = rows.filter(profile__in=public, counterpart__in=public)
    if topic is not None:
        rows = rows.filter(profile__topics=topic) | rows.filter(counterpart__topics=topic)
    if organization is not None:
        rows = rows.filter(profile__reviewing_organization=organization) | rows.filter(
            counterpart__reviewing_organization=organization
        )
    found = list(rows.distinct().order_by("-score", "pk")[: limit * 4])
    ids = {row.profile_id for row in found} | {row.counterpart_id for row in found}
    dismissed = set(
        DismissedPair.objects.filter(first_id__in=ids, second_id__in=ids).values_list("first_id", "second_id")
    )
    introduced = introduced_pairs(ids)
    pairs: dict[tuple[int, int], Pair] = {}
    for row in found:
        key = pair_key(row.profile_id, row.counterpart_id)
        if key in dismissed or key in introduced:
            continue
        pair = pairs.get(key)
        if pair is None:
            pairs[key] = Pair(row.profile, row.counterpart, row.score, list(row.reasons))
        else:
            # The other direction's reasons ("Seeks: …" beside "Offers: …"), one line per kind of reason.
            pair.score = max(pair.score, row.score)
            labels = {_label(reason) for reason in pair.reasons}
            pair.reasons.extend(reason for reason in row.reasons if _label(reason) not in labels)
    return sorted(pairs.values(), key=lambda pair: -pair.score)[:limit]
