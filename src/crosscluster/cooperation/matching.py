"""Proposals between cooperation profiles: who fits whom, both ways, with reasons.

The one engine the model layer, the office's board, the API and `crosscluster match --batch` share. It works
on plain values (no models), so the benchmark can treat a file as the whole pool without touching the
database. It reuses the routing engine's text analysis (`core.text`) and encoder; it is not a second engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The kinds of profile, as the import/CLI format writes them.
TECHNOLOGY_OFFER = "technology-offer"
TECHNOLOGY_REQUEST = "technology-request"
BUSINESS_OFFER = "business-offer"
BUSINESS_REQUEST = "business-request"
RESEARCH_PARTNER = "research-partner"
KINDS = (TECHNOLOGY_OFFER, TECHNOLOGY_REQUEST, BUSINESS_OFFER, BUSINESS_REQUEST, RESEARCH_PARTNER)


@dataclass(frozen=True)
class ProfileText:
    """What the engine reads of a profile."""

    id: str
    kind: str
    title: str
    text: str
    lang: str = "de"


@dataclass(frozen=True)
class Match:
    profile: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    id: str
    matches: tuple[Match, ...]
    no_good_match: bool


def match_batch(profiles: Sequence[ProfileText], *, top: int = 5) -> list[Proposal]:
    """Match every profile against the others of the same pool."""
    raise NotImplementedError  # built in issue 16
