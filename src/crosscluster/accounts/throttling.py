"""Login throttling: too many failures for one e-mail address or one client lock further tries for a while.

The failure times live in Django's cache, so every app server sees the same counts (the database cache in
production, locmem in tests). Each key holds the times of the most recent failures; a key is locked while it
has `LOGIN_MAX_FAILURES` failures younger than `LOGIN_FAILURE_WINDOW_SECONDS`, i.e. until the oldest of them
leaves the window. Refused attempts are not counted, so a lock always ends one window after it began.

Explicit times are stored instead of a counter with a cache timeout because backends differ on whether
`incr()` keeps a key's expiry; the arithmetic here does not depend on the backend. Two failures at the same
instant on two servers may be counted as one; that only allows an attacker one extra try.

The password-reset form is limited the same way, but counting every request rather than failures, as each
may send a mail: `PASSWORD_RESET_MAX_REQUESTS` per e-mail address and `PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT`
per client within `PASSWORD_RESET_WINDOW_SECONDS`. The public forms that send mail (inquiries, the digest)
use the same `seconds_to_wait` and `record` with their own keys and limits.
"""

import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

KEY_PREFIX = "login-failures"
RESET_KEY_PREFIX = "password-resets"


def _now() -> float:
    """The clock, one function so tests can move it."""
    return time.time()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def client_address(request: HttpRequest) -> str:
    """The client's address, reduced to what one client controls.

    Behind the reverse proxy of docs/operations.md every request comes from a loopback or private network;
    then X-Forwarded-For is read from the right: each of the `TRUSTED_PROXY_COUNT` proxies in a row appended
    the address that connected to it, so the entry that many places from the right is the client (entries
    further left are whatever the client sent and cannot be trusted). With fewer entries than proxies, the
    request skipped the outer ones and the left-most entry is the client. `TRUSTED_PROXY_COUNT = 0` ignores
    the header.
    IPv6 clients usually own a whole /64: one client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    address = _parse(remote)
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if address is not None and _is_local(address) and proxies > 0 and forwarded:
        forwarded_address = _parse(forwarded[-min(proxies, len(forwarded))])
        if forwarded_address is not None:
            address = forwarded_address
    if address is None:
        return remote or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# Where a reverse proxy of ours can connect from: loopback and the private networks (RFC 1918, IPv6 ULA).
LOCAL_NETWORKS = [
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]


def _is_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in LOCAL_NETWORKS)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def pseudonym(email: str) -> str:
    """A keyed hash of the address: the cache and the log hold no address, and guessing one needs the key."""
    key_salt = "crosscluster.accounts.throttling"
    return salted_hmac(key_salt, normalize_email(email), algorithm="sha256").hexdigest()


def keys(email: str, address: str, prefix: str = KEY_PREFIX) -> list[str]:
    """The cache keys of an e-mail address (pseudonymised) and of a client, in that order."""
    return [f"{prefix}:email:{pseudonym(email)}", f"{prefix}:client:{address}"]


def _recent(times: list[float] | None, now: float, window: int) -> list[float]:
    return [moment for moment in (times or []) if moment > now - window]


def seconds_to_wait(limits: dict[str, int], window: int) -> int:
    """Seconds until every key (cache key → allowed events in the window) is below its limit again."""
    now = _now()
    wait = 0.0
    for key, times in cache.get_many(list(limits)).items():
        limit = limits[key]
        recent = _recent(times, now, window)
        if len(recent) >= limit:
            # Locked until the oldest of the last `limit` events leaves the window.
            oldest = sorted(recent)[-limit]
            wait = max(wait, oldest + window - now)
    return math.ceil(wait)


def record(limits: dict[str, int], window: int) -> None:
    """Count one event for every key (cache key → allowed events in the window)."""
    now = _now()
    for key, limit in limits.items():
        recent = _recent(cache.get(key), now, window)
        recent.append(now)
        cache.set(key, recent[-limit:], timeout=window)


def _login_limits(email: str, address: str) -> dict[str, int]:
    return dict.fromkeys(keys(email, address), settings.LOGIN_MAX_FAILURES)


def seconds_locked(email: str, address: str) -> int:
    """How long the e-mail address or the client must still wait; 0 when a try is allowed."""
    return seconds_to_wait(_login_limits(email, address), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def record_failure(email: str, address: str) -> None:
    record(_login_limits(email, address), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear_email(email: str) -> None:
    """Forget the failures of an address after its owner proved to know the password.

    The client's count stays: otherwise one valid account would let a client try other addresses for ever.
    """
    email_key, _client_key = keys(email, "")
    cache.delete(email_key)


def _reset_limits(email: str, address: str) -> dict[str, int]:
    email_key, client_key = keys(email, address, RESET_KEY_PREFIX)
    return {
        email_key: settings.PASSWORD_RESET_MAX_REQUESTS,
        client_key: settings.PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT,
    }


def seconds_until_reset_allowed(email: str, address: str) -> int:
    """How long before this address or client may ask for another reset mail; 0 when one is allowed."""
    return seconds_to_wait(_reset_limits(email, address), settings.PASSWORD_RESET_WINDOW_SECONDS)


def record_reset_request(email: str, address: str) -> None:
    """Count a reset request, whether or not an account has the address (the answer is the same)."""
    record(_reset_limits(email, address), settings.PASSWORD_RESET_WINDOW_SECONDS)
