"""Fetching feeds: conditional GET, limits, redirects and the refusal of non-public addresses."""

import ipaddress
import socket
import time

import pytest

from crosscluster.events.feeds.fetch import USER_AGENT, FeedError, fetch_feed, is_forbidden_address

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def test_fetch_feed_returns_body_and_validators(feed_server):
    feed_server.serve("/cal.ics", ICS, etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT")

    result = fetch_feed(feed_server.url("/cal.ics"), allow_private=True)

    assert result.status == "ok"
    assert result.body == ICS
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert result.final_url == feed_server.url("/cal.ics")
    assert result.content_type == "text/calendar"
    assert feed_server.requests[0]["headers"]["User-Agent"] == USER_AGENT
    assert "Crosscluster" in USER_AGENT


def test_fetch_feed_conditional_get_gives_not_modified(feed_server):
    feed_server.serve("/cal.ics", ICS, etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT")

    by_etag = fetch_feed(feed_server.url("/cal.ics"), etag='"v1"', allow_private=True)
    by_date = fetch_feed(
        feed_server.url("/cal.ics"), last_modified="Wed, 25 Nov 2026 10:00:00 GMT", allow_private=True
    )
    changed = fetch_feed(feed_server.url("/cal.ics"), etag='"v0"', allow_private=True)

    assert (by_etag.status, by_etag.body, by_etag.etag) == ("not_modified", b"", '"v1"')
    assert by_date.status == "not_modified"
    assert changed.status == "ok"
    assert feed_server.requests[0]["headers"]["If-None-Match"] == '"v1"'
    assert feed_server.requests[1]["headers"]["If-Modified-Since"] == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_fetch_feed_follows_redirects_and_reports_final_url(feed_server):
    feed_server.serve("/new.ics", ICS)
    feed_server.redirect("/old.ics", "/new.ics", status=301)

    result = fetch_feed(feed_server.url("/old.ics"), allow_private=True)

    assert result.body == ICS
    assert result.final_url == feed_server.url("/new.ics")


def test_fetch_feed_stops_after_five_redirects(feed_server):
    for hop in range(7):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    feed_server.serve("/r5", ICS)

    assert fetch_feed(feed_server.url("/r0"), allow_private=True).body == ICS  # exactly five redirects
    feed_server.redirect("/r5", "/r6")
    with pytest.raises(FeedError, match="Too many redirects"):
        fetch_feed(feed_server.url("/r0"), allow_private=True)


def test_fetch_feed_too_many_redirects(feed_server):
    feed_server.redirect("/loop", "/loop")

    with pytest.raises(FeedError, match="Too many redirects"):
        fetch_feed(feed_server.url("/loop"), allow_private=True)
    assert len(feed_server.requests) == 6


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/cal.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/cal.ics",
        "http://192.168.0.1/cal.ics",
        "http://[::1]/cal.ics",
        "http://[::ffff:127.0.0.1]/cal.ics",
        "http://[::ffff:169.254.169.254]/cal.ics",
        "http://[fe80::1]/cal.ics",
        "http://0.0.0.0/cal.ics",
        "http://2130706433/cal.ics",
        "http://localhost/cal.ics",
    ],
)
def test_fetch_feed_refuses_non_public_addresses(url):
    with pytest.raises(FeedError, match="non-public address"):
        fetch_feed(url, allow_private=False)


def test_fetch_feed_refuses_redirect_to_private_addresses(feed_server, monkeypatch):
    """The first hop is public (pretend), the redirect points inside: every hop is checked."""
    feed_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    feed_server.redirect("/to-loopback", "http://127.0.0.1:9/")
    real_getaddrinfo = socket.getaddrinfo
    port = int(feed_server.url("/").rsplit(":", 1)[1].strip("/"))

    def fake_getaddrinfo(host, *args, **kwargs):
        if host == "feeds.example.org":
            # A public address for the check; the pinned connection is then redirected to the loopback server.
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real_getaddrinfo(host, *args, **kwargs)

    real_create_connection = socket.create_connection

    def fake_create_connection(address, *args, **kwargs):
        if address[0] == "93.184.215.14":
            address = ("127.0.0.1", address[1])
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake_create_connection)

    with pytest.raises(FeedError, match=r"non-public address \(169\.254\.169\.254\)"):
        fetch_feed(f"http://feeds.example.org:{port}/to-metadata", allow_private=False)
    with pytest.raises(FeedError, match=r"non-public address \(127\.0\.0\.1\)"):
        fetch_feed(f"http://feeds.example.org:{port}/to-loopback", allow_private=False)
    assert [r["path"] for r in feed_server.requests] == ["/to-metadata", "/to-loopback"]
    assert feed_server.requests[0]["headers"]["Host"] == f"feeds.example.org:{port}"


def test_fetch_feed_connects_to_the_checked_address(monkeypatch):
    """DNS rebinding: a second lookup would give 127.0.0.1; the connection uses the first, checked answer."""
    answers = iter(["93.184.215.14", "127.0.0.1"])
    connected = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def fake_create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: no real connection")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake_create_connection)

    with pytest.raises(FeedError, match="connection failed"):
        fetch_feed("https://rebind.example.org/cal.ics", allow_private=False)
    assert connected == [("93.184.215.14", 443)]


@pytest.mark.parametrize(
    "address,forbidden",
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::", True),
        ("ff02::1", True),
        ("fc00::1", True),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_is_forbidden_address(address, forbidden):
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/cal.ics", "gopher://x/", "http:///x"]
)
def test_fetch_feed_refuses_other_schemes_and_broken_urls(url):
    with pytest.raises(FeedError):
        fetch_feed(url, allow_private=False)


def test_fetch_feed_refuses_announced_oversize_body(feed_server):
    feed_server.serve("/big.ics", b"x" * 2000)

    with pytest.raises(FeedError, match="larger than 1000 bytes"):
        fetch_feed(feed_server.url("/big.ics"), allow_private=True, max_bytes=1000)


def test_fetch_feed_stops_reading_a_50_mb_stream_at_the_limit(feed_server, settings):
    """50 MB without Content-Length, generated on the fly: reading stops at FEEDS_MAX_BYTES (10 MB)."""
    sent = []

    def endless(request):
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.send_header("Connection", "close")
        request.end_headers()
        line = b"X-FILLER:" + b"x" * 1014 + b"\r\n"  # 1 KiB
        request.wfile.write(b"BEGIN:VCALENDAR\r\n")
        try:
            for _ in range(50 * 1024):
                request.wfile.write(line)
                sent.append(len(line))
        except OSError:
            pass  # the client hung up, as it should

    feed_server.route("/huge.ics", endless)
    settings.FEEDS_MAX_BYTES = 10 * 1024 * 1024

    with pytest.raises(FeedError, match="larger than 10485760 bytes"):
        fetch_feed(feed_server.url("/huge.ics"), allow_private=True)
    time.sleep(0.05)
    assert sum(sent) < 20 * 1024 * 1024


def test_fetch_feed_times_out_on_a_slow_server(feed_server):
    def slow(request):
        time.sleep(1)
        request.send_response(200)
        request.send_header("Content-Length", "0")
        request.end_headers()

    feed_server.route("/slow.ics", slow)

    started = time.monotonic()
    with pytest.raises(FeedError, match=r"could not be fetched within 0\.2 seconds"):
        fetch_feed(feed_server.url("/slow.ics"), allow_private=True, timeout=0.2)
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize("status", [404, 500])
def test_fetch_feed_reports_http_errors(feed_server, status):
    def failing(request):
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    feed_server.route("/x.ics", failing)

    with pytest.raises(FeedError, match=f"answered {status}"):
        fetch_feed(feed_server.url("/x.ics"), allow_private=True)


def test_fetch_feed_reports_unknown_hosts(monkeypatch):
    def fake_getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)

    with pytest.raises(FeedError, match="could not be resolved"):
        fetch_feed("http://does-not-exist.invalid/cal.ics", allow_private=False)
