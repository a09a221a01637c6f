"""Rate limits for the public form: a few inquiries per client address and per e-mail address an hour.

A person with a real need sends one inquiry, perhaps two; a script sends hundreds. Like the login throttling
(`accounts.throttling`, whose notes apply here too) the times of recent submissions live in Django's cache,
so every app server sees the same counts, and e-mail addresses are keyed by a keyed hash, never stored.

Settings (with defaults): `INQUIRY_LIMIT_PER_CLIENT` (5), `INQUIRY_LIMIT_PER_EMAIL` (3) and
`INQUIRY_LIMIT_WINDOW_SECONDS` (3600).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from crosscluster.accounts.throttling import client_address, normalize_email

__all__ = ["client_address", "record_submission", "seconds_limited"]

KEY_PREFIX = "inquiry-submissions"


def _now() -> float:
    """The clock, one function so tests can move it."""
    return time.time()


def _window() -> int:
    return getattr(settings, "INQUIRY_LIMIT_WINDOW_SECONDS", 60 * 60)


def _limits(email: str, address: str) -> dict[str, int]:
    """Cache key → how many submissions it may have within the window."""
    pseudonym = salted_hmac("crosscluster.inquiries.throttling", normalize_email(email), algorithm="sha256")
    return {
        f"{KEY_PREFIX}:client:{address}": getattr(settings, "INQUIRY_LIMIT_PER_CLIENT", 5),
        f"{KEY_PREFIX}:email:{pseudonym.hexdigest()}": getattr(settings, "INQUIRY_LIMIT_PER_EMAIL", 3),
    }


def _recent(times: list[float] | None, now: float) -> list[float]:
    return [moment for moment in (times or []) if moment > now - _window()]


def seconds_limited(email: str, address: str) -> int:
    """How long this address or client must wait before the next inquiry; 0 when one is allowed."""
    now = _now()
    limits = _limits(email, address)
    stored = cache.get_many(list(limits))
    wait = 0.0
    for key, limit in limits.items():
        recent = _recent(stored.get(key), now)
        if len(recent) >= limit:
            # Allowed again when the oldest of the last `limit` submissions leaves the window.
            wait = max(wait, sorted(recent)[-limit] + _window() - now)
    return math.ceil(wait)


def record_submission(email: str, address: str) -> None:
    now = _now()
    for key, limit in _limits(email, address).items():
        recent = _recent(cache.get(key), now)
        recent.append(now)
        cache.set(key, recent[-limit:], timeout=_window())
