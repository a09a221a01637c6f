"""The site frame on every public page: landmarks, navigation, language switch, labels, headings, contrast."""

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from crosscluster.directory.search import refresh_search_text
from tests.factories import ContactFactory, OfferFactory, OrganizationFactory, VideoFactory

SITE_CSS = Path(__file__).resolve().parents[2] / "src/crosscluster/core/static/core/site.css"


@pytest.fixture
def site(organization, topic):
    """A directory with something on every page: offers, contacts, an external video."""
    ContactFactory(organization=organization)
    VideoFactory(organization=organization, url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    OfferFactory(organization=OrganizationFactory(region=organization.region), topics=[topic])
    refresh_search_text(organization)
    return organization


PUBLIC_PAGES = [
    "/",
    "/verzeichnis/",
    "/verzeichnis/?q=Kunststoff&topic=kunststoffe",
    "/verzeichnis/?topic=gibt-es-nicht",
    "/organisationen/polymer-netz/",
    "/themen/",
    "/themen/kunststoffe/",
    "/datenschutz/",
    "/gibt-es-nicht/",
]
ALL_PAGES = PUBLIC_PAGES + [f"/en{path}" for path in PUBLIC_PAGES]


class PageOutline(HTMLParser):
    """Headings, form fields, labels, scripts and landmarks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.fields: list[dict[str, str]] = []
        self.label_targets: set[str] = set()
        self.scripts: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if "style" in attributes:
            self.inline_styles += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"])
        elif tag in {"input", "select", "textarea"}:
            if attributes.get("type") not in {"hidden", "submit", "button"}:
                self.fields.append(attributes)
        elif tag == "script":
            self.scripts.append(attributes)


def outline(response) -> PageOutline:
    parser = PageOutline()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize("path", ALL_PAGES)
@pytest.mark.django_db
def test_pages_render_in_the_site_frame(client, site, path):
    response = client.get(path)
    assert response.status_code == (404 if "gibt-es-nicht/" in path else 200)
    html = response.content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<header class="site-header">' in html
    assert '<footer class="site-footer">' in html
    assert f'href="{"/en" if path.startswith("/en/") else ""}/datenschutz/"' in html


@pytest.mark.parametrize("path", ALL_PAGES)
@pytest.mark.django_db
def test_pages_have_one_h1_and_no_skipped_heading_levels(client, site, path):
    headings = outline(client.get(path)).headings
    assert headings.count(1) == 1
    assert headings[0] == 1
    for previous, current in itertools.pairwise(headings):
        assert current <= previous + 1, headings


@pytest.mark.parametrize("path", ALL_PAGES)
@pytest.mark.django_db
def test_pages_label_every_form_field(client, site, path):
    page = outline(client.get(path))
    assert page.fields
    for field in page.fields:
        assert field.get("id") in page.label_targets or field.get("aria-label"), field


@pytest.mark.parametrize("path", ALL_PAGES)
@pytest.mark.django_db
def test_pages_have_no_inline_scripts_or_styles(client, site, path):
    page = outline(client.get(path))
    code = [
        script for script in page.scripts if script.get("type") != "application/ld+json"
    ]  # data, not code
    assert all(script.get("src") and "defer" in script for script in code)
    assert page.inline_styles == 0


@pytest.mark.django_db
def test_main_navigation_links_directory_and_topics_and_marks_the_current_page(client, site):
    html = client.get("/en/themen/").content.decode()
    assert '<a href="/en/verzeichnis/">Directory</a>' in html
    assert '<a href="/en/themen/" aria-current="page">Topics</a>' in html


def test_footer_offers_the_weekly_digest_in_both_languages(client, site):
    german = client.get("/themen/").content.decode()
    english = client.get("/en/themen/").content.decode()

    assert '<a href="/digest/">Wochenüberblick abonnieren</a>' in german
    assert '<a href="/en/digest/">Subscribe to the weekly digest</a>' in english


@pytest.mark.django_db
def test_header_search_is_labelled_and_sends_to_the_search(client, site):
    html = client.get("/en/themen/").content.decode()
    form = '<form class="header-search" role="search" method="get" action="/en/suche/"'
    assert f'{form} aria-label="Search everything">' in html
    assert '<label class="visually-hidden" for="site-search">Search</label>' in html
    assert '<input type="search" id="site-search" name="q"' in html


@pytest.mark.parametrize(
    ("path", "language", "other_link"),
    [
        ("/", "de", '<a href="/en/" hreflang="en" lang="en">English</a>'),
        ("/en/", "en", '<a href="/" hreflang="de" lang="de">Deutsch</a>'),
        (
            "/verzeichnis/?q=Kunststoff&city=Jena",
            "de",
            '<a href="/en/verzeichnis/?q=Kunststoff&amp;city=Jena" hreflang="en" lang="en">English</a>',
        ),
        (
            "/en/organisationen/polymer-netz/",
            "en",
            '<a href="/organisationen/polymer-netz/" hreflang="de" lang="de">Deutsch</a>',
        ),
        (
            "/themen/kunststoffe/",
            "de",
            '<a href="/en/themen/kunststoffe/" hreflang="en" lang="en">English</a>',
        ),
    ],
)
@pytest.mark.django_db
def test_language_switch_keeps_the_page_and_its_query(client, site, path, language, other_link):
    html = client.get(path).content.decode()
    assert f'<html lang="{language}">' in html
    assert other_link in html
    current = "Deutsch" if language == "de" else "English"
    assert f'<span aria-current="true" lang="{language}">{current}</span>' in html


@pytest.mark.django_db
def test_unprefixed_pages_stay_german_for_english_browsers(client, site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()


@pytest.mark.parametrize(("path", "language"), [("/gibt-es-nicht/", "de"), ("/en/gibt-es-nicht/", "en")])
@pytest.mark.django_db
def test_unknown_url_is_404_in_the_site_design(client, settings, path, language):
    settings.DEBUG = False
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 404
    assert "core/404.html" in [template.name for template in response.templates]
    assert f'<html lang="{language}">' in html
    assert '<nav class="main-nav"' in html


@pytest.mark.django_db
def test_pages_render_for_logged_in_staff(client, site, manager):
    client.force_login(manager)
    response = client.get("/")
    assert response.status_code == 200
    try:
        dashboard = reverse("manage:dashboard")
    except NoReverseMatch:
        return
    assert f'href="{dashboard}"' in response.content.decode()


# Contrast: WCAG 2.1 AA asks 4.5:1 for text and 3:1 for focus indicators.


def relative_luminance(colour: str) -> float:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted([relative_luminance(first), relative_luminance(second)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def css_variables() -> dict[str, str]:
    root = re.search(r":root\s*{(.*?)}", SITE_CSS.read_text(encoding="utf-8"), re.S).group(1)
    return dict(re.findall(r"--cc-([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


@pytest.mark.parametrize(
    ("text", "background", "minimum"),
    [
        ("ink", "bg", 4.5),
        ("ink", "surface", 4.5),
        ("muted", "bg", 4.5),
        ("muted", "surface", 4.5),
        ("brand", "bg", 4.5),
        ("brand", "surface", 4.5),
        ("on-brand", "brand", 4.5),
        ("ink", "accent", 4.5),
        ("danger", "bg", 4.5),
        ("danger", "surface", 4.5),
        ("ok", "bg", 4.5),
        ("ok", "surface", 4.5),
        ("focus-ring", "bg", 3),
        ("focus-ring", "surface", 3),
        ("ink", "border", 4.5),
    ],
)
def test_site_css_colours_meet_wcag_aa_contrast(text, background, minimum):
    colours = css_variables()
    assert contrast(colours[text], colours[background]) >= minimum
