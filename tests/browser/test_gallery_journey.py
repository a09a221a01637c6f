"""The video gallery: external videos load only after consent; an uploaded video plays from our server with
its captions track; the map of members lists the same places it draws."""

from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from crosscluster.directory.models import Organization, Video
from tests.browser.test_calendar_journey import overflow

pytestmark = pytest.mark.browser

CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:04.000\nWillkommen im Maschinenbau-Zentrum.\n"


@pytest.fixture
def uploaded_video(demo_directory):
    """A video served by us, with poster and captions. The live server serves no media files (DEBUG is
    off, as in production, where the web server does it), so the test's browser context serves them."""
    return Video.objects.create(
        organization=Organization.objects.get(slug="mbz"),
        title="Das Zentrum in einer Minute",
        file=ContentFile(b"\x1a\x45\xdf\xa3" + b"\x00" * 60, name="zentrum.webm"),
        poster=ContentFile(b"", name="zentrum.png"),
        captions=ContentFile(CAPTIONS.encode(), name="zentrum.vtt"),
        captions_language="de",
        position=0,
    )


def serve_media(page) -> None:
    def handle(route):
        name = unquote(urlsplit(route.request.url).path.removeprefix(settings.MEDIA_URL))
        content_type = "text/vtt" if name.endswith(".vtt") else "application/octet-stream"
        with default_storage.open(name) as file:
            route.fulfill(status=200, body=file.read(), content_type=content_type)

    page.route("**/media/**", handle)


def test_gallery_loads_an_external_video_only_after_consent(page, demo_directory, request_log, axe):
    page.goto("/")
    page.get_by_role("link", name="Mitglieder auf einen Blick in Kurzvideos").click()
    page.wait_for_url("**/kurzvideos/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mitglieder auf einen Blick in Kurzvideos"
    assert page.locator("video, iframe").count() == 0
    assert request_log.external == []
    assert axe(page) == []

    video = Video.objects.filter(url__startswith="https://video.example.org").order_by(
        "organization__name", "position"
    )[0]
    card = page.locator(f"#video-{video.pk}")
    card.get_by_role("button", name="Video laden").click()
    card.locator("video").wait_for()
    page.wait_for_timeout(300)
    assert any(url.startswith(video.url) for url in request_log.external), request_log.external


@pytest.mark.parametrize("width", [390, 1280])
def test_gallery_plays_an_uploaded_video_with_captions(page, uploaded_video, request_log, width):
    serve_media(page)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/kurzvideos/")

    player = page.locator(f"#video-{uploaded_video.pk} video")
    assert player.get_attribute("poster") == uploaded_video.poster.url
    track = player.locator("track")
    assert (track.get_attribute("kind"), track.get_attribute("srclang")) == ("captions", "de")
    # The browser fetches the default captions track and reads its cue.
    page.wait_for_function(
        "el => el.textTracks.length && el.textTracks[0].cues && el.textTracks[0].cues.length > 0",
        arg=player.element_handle(),
    )
    cue = player.evaluate("el => el.textTracks[0].cues[0].text")
    assert cue == "Willkommen im Maschinenbau-Zentrum."
    assert overflow(page) == []
    assert request_log.external == []


def test_directory_map_lists_the_places_it_draws(page, demo_directory, request_log, axe):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/verzeichnis/")

    assert overflow(page) == []
    drawn = page.locator(".member-map svg text").all_text_contents()
    listed = page.locator(".map-places a").all_inner_texts()
    assert sorted(label.split(" (")[0] for label in drawn) == sorted(listed)
    assert page.locator(".member-map svg").get_attribute("aria-hidden") == "true"
    page.locator(".map-places").get_by_role("link", name="Jena").click()
    page.wait_for_url("**/verzeichnis/?city=Jena")
    cities = page.locator(".result-list .meta").all_inner_texts()
    assert cities and all(text.endswith("· Jena") for text in cities)
    assert axe(page) == []
    assert request_log.external == []
