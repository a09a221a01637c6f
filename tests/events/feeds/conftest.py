"""A loopback HTTP server whose routes each test sets: feeds, redirects, 304s, slow and endless answers."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import translation

CORPUS = Path(__file__).parent / "corpus"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        route(self)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up (timeout, size limit) is expected here, not an error worth printing."""


class LoopbackServer:
    def __init__(self):
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.httpd.requests = []
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def requests(self):
        return self.httpd.requests

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def route(self, path: str, handler) -> None:
        self.httpd.routes[path] = handler

    def serve(self, path, body: bytes, *, content_type="text/calendar", etag=None, last_modified=None):
        """Serve `body` with validators; a matching If-None-Match/If-Modified-Since gets a 304."""

        def handler(request):
            if (etag and request.headers.get("If-None-Match") == etag) or (
                last_modified and request.headers.get("If-Modified-Since") == last_modified
            ):
                request.send_response(304)
                request.send_header("Content-Length", "0")
                request.end_headers()
                return
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            if etag:
                request.send_header("ETag", etag)
            if last_modified:
                request.send_header("Last-Modified", last_modified)
            request.end_headers()
            request.wfile.write(body)

        self.route(path, handler)

    def redirect(self, path, location, status=302):
        def handler(request):
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.route(path, handler)


@pytest.fixture(autouse=True)
def _english_feed_messages(_german_by_default):
    """These tests read the parsers' and the fetcher's messages in the English of the source.

    The messages are translated (the German catalogue has them), and every test starts in German.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def feed_server():
    server = LoopbackServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def corpus():
    """The bytes of a file in tests/events/feeds/corpus/."""
    return lambda name: (CORPUS / name).read_bytes()
