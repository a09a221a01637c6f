"""Fetching a feed over HTTP(S) without letting a subscriber's URL reach into our own network.

Every hop (the first request and each redirect) is checked the same way: only http/https, the host is
resolved once, every address it resolves to must be public (unless private addresses are allowed, for
development), and the connection goes to exactly that checked address, so a DNS answer that changes between
check and connect (DNS rebinding) cannot bypass the check. The Host header and the TLS SNI and certificate
check still use the host name.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
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


def _resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to; every address the host resolves to must pass (no "first one wins")."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
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


def _connection(scheme: str, host: str, port: int, ip: str, timeout: float) -> http.client.HTTPConnection:
    """A connection that talks to `host` (Host header, SNI, certificate) but connects to the pinned `ip`."""
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def create_connection(address, timeout=timeout, source_address=None):
        return socket.create_connection((ip, address[1]), timeout, source_address)

    conn._create_connection = create_connection  # type: ignore[attr-defined]
    return conn


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FeedError(
            _("The feed is larger than %(limit)s bytes (announced: %(size)s).")
            % {"limit": max_bytes, "size": length}
        )
    chunks = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise FeedError(_("Reading the feed took too long."))
        chunk = response.read1(CHUNK_SIZE)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise FeedError(_("The feed is larger than %(limit)s bytes.") % {"limit": max_bytes})
        chunks.append(chunk)
    return b"".join(chunks)


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

    `timeout` bounds each connect and each read; reading the body is bounded by four times that in total, so a
    server that trickles a byte at a time cannot hold an import forever.
    """
    if allow_private is None:
        allow_private = settings.FEEDS_ALLOW_PRIVATE_ADDRESSES
    timeout = settings.FEEDS_TIMEOUT_SECONDS if timeout is None else timeout
    max_bytes = settings.FEEDS_MAX_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + 4 * timeout

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
        ip = _resolve(host, port, allow_private=allow_private)
        conn = _connection(scheme, host, port, ip, timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            try:
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
                body = _read_body(response, max_bytes, deadline)
                return FetchResult(
                    status="ok",
                    body=body,
                    etag=response.getheader("ETag"),
                    last_modified=response.getheader("Last-Modified"),
                    final_url=current,
                    content_type=response.getheader("Content-Type", ""),
                )
            except TimeoutError as exc:
                raise FeedError(_("The server did not answer in time.")) from exc
            except ssl.SSLError as exc:
                raise FeedError(_("The secure connection failed: %(reason)s") % {"reason": exc}) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise FeedError(_("The connection failed: %(reason)s") % {"reason": exc}) from exc
        finally:
            conn.close()
    raise FeedError(_("Too many redirects (more than %(max)s).") % {"max": MAX_REDIRECTS})
