"""Browser journeys in Debian's Chromium, driven by Playwright, against pytest-django's live server.

Without Chromium (or axe-core for the accessibility checks) these tests are skipped with the reason, except
under CI=true, where a missing browser fails the run: CI must never go green without them.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_DIR = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        _missing("Debian's chromium is not installed (make browser-deps installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class RequestLog:
    """Every request the page makes; requests that would leave 127.0.0.1 are recorded and aborted."""

    def __init__(self) -> None:
        self.external: list[str] = []

    def handle(self, route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def page(browser, live_server, request_log):
    """A page of a fresh context; after the test, no journey may have broken the Content Security Policy
    (Chromium reports every blocked script, style, frame or request on the console)."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    context.route("**/*", request_log.handle)
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == []


@pytest.fixture
def axe():
    """Run axe-core in the page and return the serious and critical violations."""
    if not AXE_SCRIPT.exists():
        _missing("axe-core is not installed (make browser-deps installs it with npm)")

    def check(page) -> list[dict]:
        # Evaluated through the DevTools protocol, which the page's Content Security Policy does not govern
        # (an added <script> element would be an inline script without the nonce).
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    return check


@pytest.fixture(scope="session")
def _demo_passage_vectors():
    """The demo's passage vectors, encoded once per test run instead of once per journey.

    Every journey imports the demo into an emptied database, and computing its embeddings (about 4.5 s of
    ONNX Runtime) was most of each journey's setup. The encoder is deterministic for the same batch of texts,
    so a batch seen before gets the same vectors back; any other batch is encoded as usual.
    """
    from crosscluster.routing.encoders import _QueryCachingEncoder

    original = _QueryCachingEncoder.encode_passages
    seen: dict[tuple[str, tuple[str, ...]], object] = {}

    def encode_passages(self, texts):
        key = (self.name, tuple(texts))
        if key not in seen:
            seen[key] = original(self, texts)
        return seen[key].copy()

    patch = pytest.MonkeyPatch()
    patch.setattr(_QueryCachingEncoder, "encode_passages", encode_passages)
    yield
    patch.undo()


@pytest.fixture
def demo_directory(transactional_db, _demo_passage_vectors):
    """The shipped demo directory (Thüringen), imported the way `make run` does it."""
    import json

    from crosscluster.directory.importing import import_directory
    from crosscluster.routing.services import clear_index_cache

    demo_file = REPO_DIR / "src" / "crosscluster" / "directory" / "demo" / "thueringen.json"
    import_directory(json.loads(demo_file.read_text(encoding="utf-8")), actor=None)
    # The database was emptied after the last journey, so its routing index version starts again and may
    # equal the one this process's index was built from (another journey's directory, or none): the
    # router would answer from that stale index. In production versions only grow.
    clear_index_cache()


@pytest.fixture
def mbz_manager(demo_directory):
    """A network manager of the demo's Maschinenbau-Zentrum Thüringen (MBZ)."""
    from crosscluster.directory.models import Organization
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email="leitung@mbz.example.org")
    MembershipFactory(user=user, organization=Organization.objects.get(slug="mbz"))
    return user
