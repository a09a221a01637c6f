"""The storefront as a visitor meets it (issue 14): every public page reached from `/` and `/en/`, on a
desktop (1,280×800) and a phone (390×844), with `make run`'s demo content.

On every page: nothing wider than the screen, no console error, no failed request (4xx/5xx or a network
error), and no request to any host but the live server (the page fixture aborts and records those).
"""

import io
from collections import Counter, defaultdict, deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

# Kinds of pages in turn (the first path segment: organisations, topics, events, ...), so every list page and
# a sample of each kind of detail page is reached; the crawl stays around a minute per viewport.
MAX_PAGES_PER_START = 45
SKIPPED_PREFIXES = ("/admin/", "/manage/", "/konto/", "/api/", "/i18n/", "/static/", "/media/", "/jsi18n/")
SKIPPED_SUFFIXES = (".ics", ".xml", ".vcf", ".json", ".js", ".css", ".png", ".svg", ".ico")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download'))
  .map(a => a.getAttribute('href'))"""
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.closest('.nav-list, .table-scroll, table, pre'))
    .slice(0, 3)
    .map(el => el.tagName.toLowerCase() + '.' + String(el.className).split(' ').join('.'));
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


@pytest.fixture
def demo_site(transactional_db, settings):
    """What `make run` shows: the demo directory, offers with topics, notices and ten weeks of events."""
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"  # the embeddings are not the point
    call_command("load-demo", stdout=io.StringIO())


def _public_link(href: str, start: str) -> str | None:
    """The path of a same-site page link under the start's language, without query or fragment."""
    if not href or href.startswith(("mailto:", "tel:", "#", "javascript:")):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or parts.query:
        return None  # another site, or a filtered or paged variant of a list
    path = parts.path
    if start == "/en/" and not path.startswith("/en/"):
        return None
    if start == "/" and path.startswith("/en/"):
        return None
    bare = path[3:] if path.startswith("/en/") else path
    if bare.startswith(SKIPPED_PREFIXES) or bare.endswith(SKIPPED_SUFFIXES) or "/anfrage/status/" in bare:
        return None
    return path


def _kind(path: str) -> str:
    segments = [segment for segment in path.split("/") if segment and segment != "en"]
    return segments[0] if segments else ""


def _crawl(page, base: str, start: str, problems: list[str], label: str) -> list[str]:
    """Visit pages from `start`, kinds in turn; record what is wrong on each; return the paths visited."""
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)

    def request_failed(request) -> None:
        # ERR_ABORTED: the next navigation cancelled a font or icon still loading; not the page's fault.
        if "ERR_ABORTED" not in (request.failure or ""):
            failed.append(f"{request.url} ({request.failure})")

    def response_received(response) -> None:
        if response.status >= 400:
            failed.append(f"{response.url} ({response.status})")

    page.on("requestfailed", request_failed)
    page.on("response", response_received)
    pending: dict[str, deque[str]] = defaultdict(deque)
    pending[_kind(start)].append(start)
    seen, visited, visits = {start}, [], Counter()
    while any(pending.values()) and len(visited) < MAX_PAGES_PER_START:
        kind = min((kind for kind, paths in pending.items() if paths), key=lambda kind: visits[kind])
        path = pending[kind].popleft()
        visits[kind] += 1
        console.clear()
        failed.clear()
        page.goto(base + path, wait_until="load")
        visited.append(path)
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow["scroll"] > overflow["width"]:
            wide = f"{overflow['scroll']} px wide on {overflow['width']} px: {overflow['wide']}"
            problems.append(f"{label} {path}: {wide}")
        if console:
            problems.append(f"{label} {path}: console errors {console}")
        if failed:
            problems.append(f"{label} {path}: failed requests {failed}")
        for href in page.evaluate(LINKS_JS):
            link = _public_link(urljoin(path, href) if not href.startswith("/") else href, start)
            if link and link not in seen:
                seen.add(link)
                pending[_kind(link)].append(link)
    return visited


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_public_pages_fit_the_screen_and_load_only_from_us(browser, live_server, demo_site, viewport):
    from tests.browser.conftest import RequestLog

    problems: list[str] = []
    visited: dict[str, list[str]] = {}
    for start in ("/", "/en/"):
        requests = RequestLog()
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="de-DE")
        context.route("**/*", requests.handle)
        page = context.new_page()
        page.set_default_timeout(15_000)
        visited[start] = _crawl(page, live_server.url, start, problems, f"{viewport} {start}")
        context.close()
        problems += [f"{viewport} {start}: request to another host {url}" for url in requests.external]

    assert problems == []
    for start, paths in visited.items():
        # The crawl really went through the site: lists, calendar views, detail pages, the legal pages.
        prefix = start.rstrip("/")
        assert len(paths) == MAX_PAGES_PER_START, paths
        for expected in ("/verzeichnis/", "/themen/", "/veranstaltungen/", "/hinweise/", "/impressum/"):
            assert prefix + expected in paths, (expected, paths)
        assert any("/veranstaltungen/monat/" in path for path in paths), paths
        assert any("/organisationen/" in path for path in paths), paths
