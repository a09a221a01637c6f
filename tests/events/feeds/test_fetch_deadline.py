"""One total deadline per fetch: name lookup, connect, TLS, headers and body together (issue 12, point 1).

Each server here trickles: it sends a byte every 0.2 s, so no single read ever waits long, and only a
deadline over the whole fetch stops it. Before, only the body was bounded (by four times the timeout), and
headers trickled for as long as the server liked.
"""

import socket
import threading
import time

import pytest

from crosscluster.events.feeds.fetch import FeedError, fetch_feed

TIMEOUT = 1.5
MARGIN = 0.8  # for a loaded machine; a fetch held by the trickle would take 10 s or more
TRICKLE_SECONDS = 12


def _trickle(request, data: bytes) -> None:
    """Write `data` one byte every 0.2 s, for at most TRICKLE_SECONDS; stop when the client hangs up."""
    deadline = time.monotonic() + TRICKLE_SECONDS
    try:
        for byte in data:
            if time.monotonic() > deadline:
                return
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass  # the client gave up, as it should


def _fails_in_time(url: str) -> float:
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"could not be fetched within 1\.5 seconds") as caught:
        fetch_feed(url, allow_private=True, timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert "connection, headers and content together" in caught.value.message
    return elapsed


def test_fetch_feed_stops_a_server_that_trickles_its_headers(feed_server):
    def headers(request):
        _trickle(request, b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n")

    feed_server.route("/slow-headers.ics", headers)

    assert _fails_in_time(feed_server.url("/slow-headers.ics")) < TIMEOUT + MARGIN


def test_fetch_feed_stops_a_server_that_trickles_its_body(feed_server):
    def body(request):
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.send_header("Content-Length", "200")
        request.end_headers()
        request.wfile.flush()
        _trickle(request, b"B" * 200)

    feed_server.route("/slow-body.ics", body)

    assert _fails_in_time(feed_server.url("/slow-body.ics")) < TIMEOUT + MARGIN


def test_fetch_feed_deadline_spans_redirects(feed_server):
    """Each hop answers in 0.4 s; five of them together pass the one deadline of the fetch."""

    def hop(request):
        time.sleep(0.4)
        number = int(request.path.rsplit("/", 1)[1])
        request.send_response(302)
        request.send_header("Location", f"/hop/{number + 1}")
        request.send_header("Content-Length", "0")
        request.end_headers()

    for number in range(6):
        feed_server.route(f"/hop/{number}", hop)

    assert _fails_in_time(feed_server.url("/hop/0")) < TIMEOUT + MARGIN


def test_fetch_feed_stops_a_trickled_tls_handshake():
    """A TLS record announced, then its bytes one at a time: the handshake gets only the time left."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _address = listener.accept()
        with conn:
            try:
                conn.recv(4096)  # the ClientHello
                conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB follows …
                for _ in range(int(TRICKLE_SECONDS / 0.2)):
                    conn.sendall(b"\x00")
                    time.sleep(0.2)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert _fails_in_time(f"https://127.0.0.1:{port}/cal.ics") < TIMEOUT + MARGIN
    finally:
        listener.close()


def test_fetch_feed_bounds_a_hanging_name_lookup(monkeypatch):
    """The system resolver has no timeout we set: the lookup runs in a thread and is given up in time."""
    real_getaddrinfo = socket.getaddrinfo

    def slow_getaddrinfo(host, *args, **kwargs):
        if host == "slow-dns.example.org":
            time.sleep(5)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)

    assert _fails_in_time("http://slow-dns.example.org/cal.ics") < TIMEOUT + MARGIN
