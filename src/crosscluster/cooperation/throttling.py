"""Rate limits for the public forms that send mail (a profile, an interest): a few per client address and per
e-mail address an hour, counted in the database like the inquiry and digest forms (`accounts.throttling`).

Settings (optional): `COOPERATION_LIMIT_PER_CLIENT` (5), `COOPERATION_LIMIT_PER_EMAIL` (3),
`COOPERATION_LIMIT_WINDOW_SECONDS` (3600).
"""

from django.conf import settings

from crosscluster.accounts import throttling
from crosscluster.accounts.throttling import client_address

__all__ = ["admit_request", "client_address"]

KEY_PREFIX = "cooperation-forms"


def _limits(email: str, address: str) -> dict[str, int]:
    email_key, client_key = throttling.keys(email, address, KEY_PREFIX)
    return {
        client_key: int(getattr(settings, "COOPERATION_LIMIT_PER_CLIENT", 5)),
        email_key: int(getattr(settings, "COOPERATION_LIMIT_PER_EMAIL", 3)),
    }


def admit_request(email: str, address: str) -> throttling.Admission:
    """Count a request, unless the client or the address has had enough (then the seconds to wait)."""
    window = int(getattr(settings, "COOPERATION_LIMIT_WINDOW_SECONDS", 60 * 60))
    return throttling.admit(_limits(email, address), window)
