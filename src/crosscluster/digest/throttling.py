"""Rate limits for the subscribe form: a few requests per client address and per e-mail address an hour.

Every request may send a mail (a confirmation, or the "already subscribed" link), so without a limit the form
could be used to flood someone's mailbox. Like `inquiries.throttling`, the counts live in the database
(shared by every app server, counted atomically) and e-mail addresses are keyed by a keyed hash, never stored.

Settings: `DIGEST_LIMIT_PER_CLIENT` (5), `DIGEST_LIMIT_PER_EMAIL` (3), `DIGEST_LIMIT_WINDOW_SECONDS` (3600).
"""

from django.conf import settings

from crosscluster.accounts import throttling
from crosscluster.accounts.throttling import client_address

__all__ = ["admit_request", "client_address", "seconds_limited"]

KEY_PREFIX = "digest-subscriptions"


def _limits(email: str, address: str) -> dict[str, int]:
    """Key → how many requests it may have within the window."""
    email_key, client_key = throttling.keys(email, address, KEY_PREFIX)
    return {
        client_key: settings.DIGEST_LIMIT_PER_CLIENT,
        email_key: settings.DIGEST_LIMIT_PER_EMAIL,
    }


def seconds_limited(email: str, address: str) -> int:
    """How long this address or client must wait before the next request; 0 when one is allowed."""
    return throttling.seconds_to_wait(_limits(email, address), settings.DIGEST_LIMIT_WINDOW_SECONDS)


def admit_request(email: str, address: str) -> throttling.Admission:
    """Count a request, unless the client or the address has had enough (then the seconds to wait)."""
    return throttling.admit(_limits(email, address), settings.DIGEST_LIMIT_WINDOW_SECONDS)
