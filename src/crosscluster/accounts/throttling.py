"""Rate limits: the login, the password reset and the public forms allow a few tries per key and window.

A key is an e-mail address (as a keyed hash) or a client address, with a prefix per purpose. Each key has
`limit` places (`core.ThrottleSlot` rows); an event takes a free one and keeps it busy for the window. So a
key is locked while `limit` events are younger than the window, until the oldest of them leaves it: a
sliding window, the same on every app server, as the places live in the database.

Taking a place is one `UPDATE … RETURNING` that the database runs for one request at a time (a row lock on
PostgreSQL, the write lock on SQLite), so the check and the count are one step: requests arriving together
cannot all see "below the limit" before any of them is counted. Checking first and counting afterwards did
exactly that: 40 parallel logins from one client checked 39 wrong passwords. Django's cache cannot do it in
production either: the database cache's `incr` is a read and a write.

Login: a try takes a place of the address and of the client before the password is checked; a wrong
password keeps them busy (a failure), a right one gives the client's back and frees the address's.
Refused tries take nothing, so a lock always ends one window after the failure that began it. Password
reset (`PASSWORD_RESET_MAX_REQUESTS` per address, `PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT` per client,
within `PASSWORD_RESET_WINDOW_SECONDS`) counts every request, as each may send a mail. The public forms
that send mail (inquiries, the digest) use `admit` with their own keys and limits; routing queries (the
API's `/route` and the inquiry form's first step, about 0.1 s of CPU each) share `admit_routing`.
`crosscluster delete-expired-throttle-slots` (a periodic job) removes places that are free again.
"""

import ipaddress
import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from crosscluster.core.models import ThrottleSlot

KEY_PREFIX = "login-failures"
RESET_KEY_PREFIX = "password-resets"
ROUTING_KEY_PREFIX = "routing-queries"


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
    """A keyed hash of the address: the database and the log hold no address; guessing one needs the key."""
    key_salt = "crosscluster.accounts.throttling"
    return salted_hmac(key_salt, normalize_email(email), algorithm="sha256").hexdigest()


def keys(email: str, address: str, prefix: str = KEY_PREFIX) -> list[str]:
    """The keys of an e-mail address (pseudonymised) and of a client, in that order."""
    return [f"{prefix}:email:{pseudonym(email)}", f"{prefix}:client:{address}"]


@dataclass
class Admission:
    """The answer of `admit`: allowed (with the places taken), or refused with the seconds to wait."""

    allowed: bool
    wait: int = 0
    taken: list[tuple[str, int, float]] = field(default_factory=list)  # (key, slot, busy_until)

    def give_back(self, *keys: str) -> None:
        """Free the places taken (of these keys, or all): the event is not to be counted after all."""
        for key, slot, busy_until in self.taken:
            if not keys or key in keys:
                ThrottleSlot.objects.filter(key=key, slot=slot, busy_until=busy_until).update(busy_until=0)
        self.taken = [item for item in self.taken if keys and item[0] not in keys]


def _take_sql() -> str:
    """The statement that takes a place; names from the model, values as parameters."""
    quote = connection.ops.quote_name
    table = quote(ThrottleSlot._meta.db_table)
    key, slot, busy_until, pk = (quote(name) for name in ("key", "slot", "busy_until", "id"))
    # The condition is repeated outside the subquery: two requests may aim at the same place; on PostgreSQL
    # the second waits for the first's row lock, then finds the place busy and updates nothing (it tries
    # again below); on SQLite the statements run one after the other anyway.
    return (
        f"UPDATE {table} SET {busy_until} = %s WHERE {pk} = ("  # noqa: S608 (identifiers, not input)
        f"SELECT {pk} FROM {table} WHERE {key} = %s AND {slot} < %s AND {busy_until} <= %s "
        f"ORDER BY {busy_until}, {slot} LIMIT 1"
        f") AND {busy_until} <= %s RETURNING {slot}"
    )


def _take(key: str, limit: int, window: int, now: float) -> int | None:
    """Take a free place of `key` until `now + window`: its number, or None when all `limit` are busy."""
    for _attempt in range(limit + 2):
        with connection.cursor() as cursor:
            cursor.execute(_take_sql(), [now + window, key, limit, now, now])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        places = dict(ThrottleSlot.objects.filter(key=key, slot__lt=limit).values_list("slot", "busy_until"))
        if len(places) < limit:  # a new key, or a raised limit: create the missing places, then try again
            ThrottleSlot.objects.bulk_create(
                [ThrottleSlot(key=key, slot=number) for number in range(limit) if number not in places],
                ignore_conflicts=True,
            )
        elif all(busy_until > now for busy_until in places.values()):
            return None
        # else another request took the place this one aimed at while a free one is left: try again
    return None


def admit(limits: dict[str, int], window: int) -> Admission:
    """Count one event for every key (key → allowed events in the window), or none if any key is full.

    Atomic per key (see the module's notes); when a later key is full, the places already taken are given
    back, so a refused event counts nowhere.
    """
    now = _now()
    taken: list[tuple[str, int, float]] = []
    # One transaction for all keys: on SQLite one wait for the write lock instead of one per statement.
    # Keys in one order everywhere, so two requests never wait for each other's rows crosswise (PostgreSQL).
    with transaction.atomic():
        for key, limit in sorted(limits.items()):
            slot = _take(key, limit, window, now)
            if slot is None:
                Admission(allowed=True, taken=taken).give_back()
                return Admission(allowed=False, wait=max(1, seconds_to_wait(limits, window)))
            taken.append((key, slot, now + window))
    return Admission(allowed=True, taken=taken)


def seconds_to_wait(limits: dict[str, int], window: int) -> int:
    """Seconds until every key (key → allowed events in the window) has a free place again; reads only."""
    now = _now()
    wait = 0.0
    for key, limit in limits.items():
        busy = sorted(
            ThrottleSlot.objects.filter(key=key, slot__lt=limit, busy_until__gt=now).values_list(
                "busy_until", flat=True
            )
        )
        if len(busy) >= limit:
            wait = max(wait, busy[0] - now)
    return math.ceil(wait)


def delete_expired() -> int:
    """Remove the places that are free again (a key without rows is simply a key nobody used lately)."""
    deleted, _by_model = ThrottleSlot.objects.filter(busy_until__lte=_now()).delete()
    return deleted


def _login_limits(email: str, address: str) -> dict[str, int]:
    return dict.fromkeys(keys(email, address), settings.LOGIN_MAX_FAILURES)


def admit_login(email: str, address: str) -> Admission:
    """Take a place of the address and of the client for a login try (before the password is checked)."""
    return admit(_login_limits(email, address), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(admission: Admission, email: str, address: str) -> None:
    """The password was right: the try was no failure. Give the client's place back, free the address's."""
    _email_key, client_key = keys(email, address)
    admission.give_back(client_key)
    clear_email(email)


def seconds_locked(email: str, address: str) -> int:
    """How long the e-mail address or the client must still wait; 0 when a try is allowed."""
    return seconds_to_wait(_login_limits(email, address), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear_email(email: str) -> None:
    """Forget the failures of an address after its owner proved to know the password.

    The client's count stays: otherwise one valid account would let a client try other addresses for ever.
    """
    email_key, _client_key = keys(email, "")
    ThrottleSlot.objects.filter(key=email_key).delete()


def _reset_limits(email: str, address: str) -> dict[str, int]:
    email_key, client_key = keys(email, address, RESET_KEY_PREFIX)
    return {
        email_key: settings.PASSWORD_RESET_MAX_REQUESTS,
        client_key: settings.PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT,
    }


def admit_reset_request(email: str, address: str) -> Admission:
    """Count a reset request, whether or not an account has the address (the answer is the same)."""
    return admit(_reset_limits(email, address), settings.PASSWORD_RESET_WINDOW_SECONDS)


def seconds_until_reset_allowed(email: str, address: str) -> int:
    """How long before this address or client may ask for another reset mail; 0 when one is allowed."""
    return seconds_to_wait(_reset_limits(email, address), settings.PASSWORD_RESET_WINDOW_SECONDS)


def admit_routing(address: str) -> Admission:
    """Count a routing query of a client: the API's /route and the inquiry form's first step share it."""
    return admit(
        {f"{ROUTING_KEY_PREFIX}:client:{address}": settings.ROUTING_LIMIT_PER_CLIENT},
        settings.ROUTING_LIMIT_WINDOW_SECONDS,
    )
