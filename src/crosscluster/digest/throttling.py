"""Rate limits for the subscribe form: a few requests per client address and per e-mail address an hour.

Every request may send a mail (a confirmation, or the "already subscribed" link), so without a limit the form
could be used to flood someone's mailbox. Like `inquiries.throttling`, the times of recent requests live in
Django's cache (shared by every app server) and e-mail addresses are keyed by a keyed hash, never stored.

Settings: `DIGEST_LIMIT_PER_CLIENT` (5), `DIGEST_LIMIT_PER_EMAIL` (3), `DIGEST_LIMIT_WINDOW_SECONDS` (3600).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from crosscluster.accounts.throttling import client_address, normalize_email

__all__ = ["client_address", "record_request", "seconds_limited"]

KEY_PREFIX = "digest-subscriptions"


def _now() -> float:
    """The clock, one function so tests can move it."""
    return time.time()


def _window() -> int:
    return settings.DIGEST_LIMIT_WINDOW_SECONDS


def _limits(email: str, address: str) -> dict[str, int]:
    pseudonym = salted_hmac("crosscluster.digest.throttling", normalize_email(email), algorithm="sha256")
    return {
        f"{KEY_PREFIX}:client:{address}": settings.DIGEST_LIMIT_PER_CLIENT,
        f"{KEY_PREFIX}:email:{pseudonym.hexdigest()}": settings.DIGEST_LIMIT_PER_EMAIL,
    }


def _recent(times: list[float] | None, now: float) -> list[float]:
    return [moment for moment in (times or []) if moment > now - _window()]


def seconds_limited(email: str, address: str) -> int:
    """How long this address or client must wait before the next request; 0 when one is allowed."""
    now = _now()
    limits = _limits(email, address)
    stored = cache.get_many(list(limits))
    wait = 0.0
    for key, limit in limits.items():
        recent = _recent(stored.get(key), now)
        if len(recent) >= limit:
            wait = max(wait, sorted(recent)[-limit] + _window() - now)
    return math.ceil(wait)


def record_request(email: str, address: str) -> None:
    now = _now()
    for key, limit in _limits(email, address).items():
        recent = _recent(cache.get(key), now)
        recent.append(now)
        cache.set(key, recent[-limit:], timeout=_window())
