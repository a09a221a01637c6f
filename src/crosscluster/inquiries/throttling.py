"""Rate limits for the public form: a few inquiries per client address and per e-mail address an hour.

A person with a real need sends one inquiry, perhaps two; a script sends hundreds. Like the login throttling
(`accounts.throttling`, whose notes apply here too) the counts live in the database, so every app server
sees the same, a burst cannot pass them, and e-mail addresses are keyed by a keyed hash, never stored.

Settings (with defaults): `INQUIRY_LIMIT_PER_CLIENT` (5), `INQUIRY_LIMIT_PER_EMAIL` (3) and
`INQUIRY_LIMIT_WINDOW_SECONDS` (3600).
"""

from django.conf import settings

from crosscluster.accounts import throttling
from crosscluster.accounts.throttling import client_address

__all__ = ["admit_submission", "client_address", "seconds_limited"]

KEY_PREFIX = "inquiry-submissions"


def _limits(email: str, address: str) -> dict[str, int]:
    """Key → how many inquiries it may have within the window."""
    email_key, client_key = throttling.keys(email, address, KEY_PREFIX)
    return {
        client_key: settings.INQUIRY_LIMIT_PER_CLIENT,
        email_key: settings.INQUIRY_LIMIT_PER_EMAIL,
    }


def seconds_limited(email: str, address: str) -> int:
    """How long this address or client must wait before the next inquiry; 0 when one is allowed."""
    return throttling.seconds_to_wait(_limits(email, address), settings.INQUIRY_LIMIT_WINDOW_SECONDS)


def admit_submission(email: str, address: str) -> throttling.Admission:
    """Count a submission, unless the client or the address has had enough (then the seconds to wait)."""
    return throttling.admit(_limits(email, address), settings.INQUIRY_LIMIT_WINDOW_SECONDS)
