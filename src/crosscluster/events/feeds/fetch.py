"""Fetching a feed over HTTP(S) without letting a subscriber's URL reach into our own network.

Every hop (the first request and each redirect) is checked the same way: only http/https, the host is
resolved once, every address it resolves to must be public (unless private addresses are allowed, for
development), and the connection goes to exactly that checked address, so a DNS answer that changes between
check and connect (DNS rebinding) cannot bypass the check. The Host header and the TLS SNI and certificate
check still use the host name.

Every fetch has one total deadline (`FEEDS_TIMEOUT_SECONDS`) for all of it: the name lookup, each connect,
the TLS handshake, sending the request, the response headers and the body, over every redirect. The client
enforces it: before each blocking step the socket's timeout is set to the time that is left, so a server
that trickles its headers or body a byte at a time is cut off when the deadline has passed, not when it
falls silent.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import FeedError

__all__ = ["FeedError", "FetchResult", "fetch_feed", "is_forbidden_address"]

MAX_REDIRECTS = 5
USER_AGENT = "Crosscluster-Netzwerktimer/1.0 (feed import; +https://github.com/crosscluster)"
CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ACCEPT = ", ".join(
    ["text/calendar", "application/rss+xml", "application/atom+xml", "application/xml;q=0.9", "*/*;q=0.5"]
)


@dataclass(frozen=True)
class FetchResult:
    status: Literal["ok", "not_modified"]
    body: bytes
    etag: str | None
    last_modified: str | None
    final_url: str
    content_type: str


def is_forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for every address a feed must not live on: private, loopback, link-local, multicast, reserved…"""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 address is judged by the IPv4 address it reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_forbidden_address(embedded):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class Deadline:
    """The moment a fetch must be done by; `remaining()` is the time left, and raises `TimeoutError` once it
    is gone (every caller turns that into the same `FeedError`)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("feed deadline passed")
        return left


class _ArmedIO:
    """Each receive and send of a socket (plain or TLS) may take only the time left until its deadline;
    `_arm` sets the socket's timeout to that time before every blocking call."""

    def _deadline(self) -> Deadline:
        raise NotImplementedError

    def _arm(self) -> None:
        self.settimeout(self._deadline().remaining())  # type: ignore[attr-defined]

    def recv(self, *args):
        self._arm()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args):
        self._arm()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args):
        self._arm()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args):
        self._arm()
        return super().sendall(*args)  # type: ignore[misc]


class _DeadlineSocket(_ArmedIO, socket.socket):
    """A plain socket that keeps the deadline set on it.

    `http.client` reads the status line, the headers and the body through `makefile()`, which calls
    `recv_into` of this very object, so all of them are covered."""

    deadline: Deadline

    def _deadline(self) -> Deadline:
        return self.deadline


class _DeadlineSSLSocket(_ArmedIO, ssl.SSLSocket):
    """The same for TLS, the handshake included. The deadline comes from the context (`_tls_context`),
    which is made anew for every connection."""

    def _deadline(self) -> Deadline:
        return self.context.deadline  # type: ignore[attr-defined]

    def do_handshake(self, *args):
        self._arm()
        return super().do_handshake(*args)


def _tls_context(deadline: Deadline) -> ssl.SSLContext:
    """The default context (certificate and host name checked) whose sockets keep the deadline."""
    context = ssl.create_default_context()
    context.sslsocket_class = _DeadlineSSLSocket
    context.deadline = deadline  # type: ignore[attr-defined]
    return context


def _getaddrinfo(host: str, port: int, deadline: Deadline) -> list:
    """`socket.getaddrinfo` within the deadline: the system resolver has no timeout of its own that we set,
    so it runs in a thread of its own, which is left to finish by itself when the deadline passes."""
    outcome: list = []

    def lookup() -> None:
        try:
            outcome.append((True, socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
        except BaseException as exc:  # handed over to the caller
            outcome.append((False, exc))

    thread = threading.Thread(target=lookup, name=f"feed-dns-{host}", daemon=True)
    thread.start()
    thread.join(deadline.remaining())
    if not outcome:
        raise TimeoutError("name lookup did not finish in time")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _resolve(host: str, port: int, *, allow_private: bool, deadline: Deadline) -> str:
    """The address to connect to; every address the host resolves to must pass (no "first one wins")."""
    try:
        infos = _getaddrinfo(host, port, deadline)
    except (socket.gaierror, UnicodeError) as exc:
        raise FeedError(_("The host %(host)s could not be resolved.") % {"host": host}) from exc
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not allow_private and is_forbidden_address(ip):
            raise FeedError(
                _("The host %(host)s resolves to a non-public address (%(ip)s); feeds must be public.")
                % {"host": host, "ip": ip}
            )
        addresses.append(str(ip))
    if not addresses:
        raise FeedError(_("The host %(host)s could not be resolved.") % {"host": host})
    return addresses[0]


def _connection(scheme: str, host: str, port: int, ip: str, deadline: Deadline) -> http.client.HTTPConnection:
    """A connection that talks to `host` (Host header, SNI, certificate) but connects to the pinned `ip`,
    and whose every step ends by the deadline."""
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=deadline.seconds, context=_tls_context(deadline)
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=deadline.seconds)

    def create_connection(address, timeout=None, source_address=None):
        plain = socket.create_connection((ip, address[1]), deadline.remaining(), source_address)
        # The connected socket, taken over by the class that keeps the deadline (same file descriptor).
        sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        sock.deadline = deadline
        return sock

    conn._create_connection = create_connection  # type: ignore[attr-defined]
    return conn


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FeedError(
            _("The feed is larger than %(limit)s bytes (announced: %(size)s).")
            % {"limit": max_bytes, "size": length}
        )
    chunks = []
    total = 0
    while True:
        chunk = response.read1(CHUNK_SIZE)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise FeedError(_("The feed is larger than %(limit)s bytes.") % {"limit": max_bytes})
        chunks.append(chunk)
    return b"".join(chunks)


def _seconds(value: float) -> str:
    return f"{value:g}"


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    allow_private: bool | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> FetchResult:
    """Fetch `url` with a conditional GET; 304 gives status "not_modified" and an empty body.

    `timeout` (default `FEEDS_TIMEOUT_SECONDS`) is the total for the whole fetch: name lookups, connects,
    TLS, request, headers and body of every hop. When it has passed, the fetch fails with a `FeedError`.
    """
    if allow_private is None:
        allow_private = settings.FEEDS_ALLOW_PRIVATE_ADDRESSES
    timeout = settings.FEEDS_TIMEOUT_SECONDS if timeout is None else timeout
    max_bytes = settings.FEEDS_MAX_BYTES if max_bytes is None else max_bytes
    deadline = Deadline(timeout)

    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        scheme = parts.scheme.lower()
        if scheme not in {"http", "https"}:
            raise FeedError(_("Only http and https feeds are supported, not %(url)s.") % {"url": current})
        try:
            host = parts.hostname
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise FeedError(_("The address %(url)s is not valid.") % {"url": current}) from exc
        if not host:
            raise FeedError(_("The address %(url)s has no host.") % {"url": current})
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = None
        try:
            try:
                ip = _resolve(host, port, allow_private=allow_private, deadline=deadline)
                conn = _connection(scheme, host, port, ip, deadline)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                if response.status in REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    if not location:
                        raise FeedError(_("The server redirected without a target address."))
                    current = urljoin(current, location.strip())
                    continue
                if response.status == 304:
                    return FetchResult(
                        status="not_modified",
                        body=b"",
                        etag=response.getheader("ETag") or etag,
                        last_modified=response.getheader("Last-Modified") or last_modified,
                        final_url=current,
                        content_type=response.getheader("Content-Type", ""),
                    )
                if response.status != 200:
                    raise FeedError(
                        _("The server answered %(status)s %(reason)s.")
                        % {"status": response.status, "reason": response.reason}
                    )
                body = _read_body(response, max_bytes)
                return FetchResult(
                    status="ok",
                    body=body,
                    etag=response.getheader("ETag"),
                    last_modified=response.getheader("Last-Modified"),
                    final_url=current,
                    content_type=response.getheader("Content-Type", ""),
                )
            except TimeoutError as exc:
                raise FeedError(
                    _(
                        "The feed could not be fetched within %(seconds)s seconds (connection, headers and "
                        "content together)."
                    )
                    % {"seconds": _seconds(timeout)}
                ) from exc
            except ssl.SSLError as exc:
                raise FeedError(_("The secure connection failed: %(reason)s") % {"reason": exc}) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise FeedError(_("The connection failed: %(reason)s") % {"reason": exc}) from exc
        finally:
            if conn is not None:
                conn.close()
    raise FeedError(_("Too many redirects (more than %(max)s).") % {"max": MAX_REDIRECTS})
