"""The installation's identity from settings: name, mark, colours, favicons, Impressum, privacy contacts."""

import io

import pytest
from PIL import Image

from crosscluster.core.identity import current_identity
from crosscluster.core.templatetags.site_extras import initials

OPERATOR = {
    "operator_name": "Landesentwicklungsgesellschaft Beispiel GmbH",
    "operator_address": "Musterstraße 1|99084 Erfurt",
    "operator_representative": "Erika Mustermann (Geschäftsführerin)",
    "operator_email": "kontakt@example.org",
    "privacy_contact": "Max Datenschutz",
    "privacy_email": "datenschutz@example.org",
}


@pytest.fixture
def other_region(settings):
    settings.SITE_NAME = "Cluster Sachsen-Anhalt"
    settings.SITE_IDENTITY = {**settings.SITE_IDENTITY, "short_name": "", "color_primary": "#7a1f5c"}


def test_identity_comes_from_settings_and_derives_the_mark(other_region):
    identity = current_identity()
    assert (identity.name, identity.short_name, identity.color_primary) == (
        "Cluster Sachsen-Anhalt",
        "CS",
        "#7a1f5c",
    )


def test_identity_refuses_a_colour_that_is_not_a_hex_code(settings):
    settings.SITE_IDENTITY = {**settings.SITE_IDENTITY, "color_primary": "red;}body{display:none"}
    assert current_identity().color_primary == "#1a3d8f"


@pytest.mark.django_db
def test_pages_show_the_identity_and_link_its_favicons_and_colours(client, other_region):
    html = client.get("/").content.decode()
    assert '<span class="brand-name">Cluster Sachsen-Anhalt</span>' in html
    assert '<span class="brand-mark" aria-hidden="true">CS</span>' in html
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in html
    assert '<meta name="theme-color" content="#7a1f5c">' in html
    assert '<link rel="stylesheet" href="/identity.css?v=' in html
    css = client.get("/identity.css")
    assert css["Content-Type"] == "text/css"
    assert "--cc-brand:#7a1f5c" in css.content.decode()


@pytest.mark.django_db
def test_favicons_are_served_in_the_identity_colours(client, other_region):
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert 'fill="#7a1f5c"' in svg.content.decode()
    assert ">CS</text>" in svg.content.decode()
    ico = client.get("/favicon.ico")
    assert ico["Content-Type"] == "image/x-icon"
    assert Image.open(io.BytesIO(ico.content)).format == "ICO"
    touch = Image.open(io.BytesIO(client.get("/apple-touch-icon.png").content))
    assert (touch.format, touch.size) == ("PNG", (180, 180))
    assert "max-age=86400" in svg["Cache-Control"]


@pytest.mark.django_db
def test_configured_favicon_and_logo_files_are_used(client, settings):
    settings.SITE_IDENTITY = {
        **settings.SITE_IDENTITY,
        "logo": "/media/identity/logo.svg",
        "favicon": "/media/f.svg",
    }
    html = client.get("/").content.decode()
    assert '<img class="brand-logo" src="/media/identity/logo.svg" alt="" width="40" height="40">' in html
    assert client.get("/favicon.svg")["Location"] == "/media/f.svg"


@pytest.mark.django_db
def test_imprint_tells_the_operator_what_to_fill_in(client):
    html = client.get("/impressum/").content.decode()
    assert "Für den Betreiber: Das Impressum ist noch nicht vollständig" in html
    for name in (
        "SITE_OPERATOR_NAME",
        "SITE_OPERATOR_ADDRESS",
        "SITE_OPERATOR_REPRESENTATIVE",
        "SITE_OPERATOR_EMAIL",
    ):
        assert f"<li><code>{name}</code></li>" in html


@pytest.mark.django_db
def test_imprint_and_privacy_show_the_configured_operator(client, settings):
    settings.SITE_IDENTITY = {**settings.SITE_IDENTITY, **OPERATOR}
    imprint = client.get("/en/impressum/").content.decode()
    assert "not complete yet" not in imprint
    assert "<strong>Landesentwicklungsgesellschaft Beispiel GmbH</strong><br>" in imprint
    assert "Musterstraße 1<br>99084 Erfurt<br>" in imprint
    assert "<dt>Represented by</dt><dd>Erika Mustermann (Geschäftsführerin)</dd>" in imprint
    assert '<a href="mailto:kontakt@example.org">kontakt@example.org</a>' in imprint
    privacy = client.get("/en/datenschutz/").content.decode()
    assert "Landesentwicklungsgesellschaft Beispiel GmbH" in privacy
    assert '<a href="mailto:datenschutz@example.org">datenschutz@example.org</a>' in privacy


@pytest.mark.django_db
def test_footer_links_imprint_and_privacy(client):
    html = client.get("/en/").content.decode()
    assert '<li><a href="/en/impressum/">Imprint</a></li>' in html
    assert '<li><a href="/en/datenschutz/">Privacy</a></li>' in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr. Katrin Hartmann", "KH"),
        ("PolyNet Thüringen – Netzwerk Kunststoff", "PT"),
        ("Agentur für Kreativwirtschaft Thüringen", "AK"),
        ("IHK Thüringen-Mitte", "IH"),
        ("", "?"),
    ],
)
def test_initials_make_placeholders(name, expected):
    assert initials(name) == expected


@pytest.mark.django_db
def test_default_colours_need_no_identity_stylesheet(client):
    assert "/identity.css" not in client.get("/").content.decode()
