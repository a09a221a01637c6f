"""The video gallery "Mitglieder auf einen Blick in Kurzvideos": every published member's videos on one page,
uploaded ones with their captions, external ones behind the two-click consent."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crosscluster.directory.models import Video
from tests.directory.test_views import requested_urls
from tests.factories import OrganizationFactory, VideoFactory
from tests.markup import tags_of

pytestmark = pytest.mark.django_db


def uploaded(organization, **fields):
    return Video.objects.create(
        organization=organization,
        file=SimpleUploadedFile("rundgang.webm", b"\x1a\x45\xdf\xa3webm", content_type="video/webm"),
        poster=SimpleUploadedFile("rundgang.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
        captions=SimpleUploadedFile("rundgang.vtt", b"WEBVTT\n", content_type="text/vtt"),
        **fields,
    )


def test_gallery_shows_videos_of_published_members_by_organisation(client):
    zeta = OrganizationFactory(name="Zeta-Netz", city="Jena")
    alpha = OrganizationFactory(name="Alpha-Cluster", city="Erfurt")
    hidden = OrganizationFactory(name="Verborgen", published=False)
    VideoFactory(organization=zeta, title="Zweiter Film", position=0)
    VideoFactory(organization=alpha, title="Erster Film", position=1)
    VideoFactory(organization=alpha, title="Allererster Film", position=0)
    VideoFactory(organization=hidden, title="Geheimer Film")

    response = client.get(reverse("directory:videos"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Mitglieder auf einen Blick in Kurzvideos</h1>" in html
    titles = [display.video.title for display in response.context["videos"]]
    assert titles == ["Allererster Film", "Erster Film", "Zweiter Film"]
    assert "Geheimer Film" not in html
    assert f'<a href="{alpha.get_absolute_url()}">Alpha-Cluster</a> · Erfurt' in html
    assert '<h2 class="video-title"' in html  # the titles are the page's second level


def test_gallery_loads_nothing_external_before_consent(client):
    VideoFactory(title="Porträt", url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    VideoFactory(title="Rundgang", url="https://video.example.org/thueringen/rundgang.mp4")

    response = client.get(reverse("directory:videos"))

    requested = requested_urls(response)
    assert [url for url in requested if url.startswith("http")] == []
    assert not [
        tag for tag, _attributes in tags_of(response) if tag in {"iframe", "video", "embed", "object"}
    ]
    boxes = [attributes for _tag, attributes in tags_of(response) if "data-video-consent" in attributes]
    assert [box["data-video-kind"] for box in boxes] == ["youtube", "media"]
    assert {"src": "/static/core/video-consent.js", "defer": ""} in [
        attributes for tag, attributes in tags_of(response) if tag == "script"
    ]


def test_gallery_plays_uploaded_videos_with_poster_and_captions(client):
    video = uploaded(OrganizationFactory(), title="Rundgang", captions_language="de")

    tags = tags_of(client.get(reverse("directory:videos")))

    [player] = [attributes for tag, attributes in tags if tag == "video"]
    assert player["poster"] == video.poster.url
    assert "controls" in player
    [track] = [attributes for tag, attributes in tags if tag == "track"]
    assert (track["kind"], track["src"], track["srclang"]) == ("captions", video.captions.url, "de")


def test_gallery_shows_the_poster_of_an_external_video_from_our_server(client):
    video = VideoFactory(
        title="Porträt",
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        poster=SimpleUploadedFile("portraet.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
    )

    response = client.get(reverse("directory:videos"))

    [poster] = [attributes for tag, attributes in tags_of(response) if tag == "img"]
    assert poster == {"class": "video-poster", "src": video.poster.url, "alt": "", "loading": "lazy"}
    assert poster["src"].startswith("/media/")


def test_gallery_without_videos_says_so(client):
    html = client.get("/en" + reverse("directory:videos")).content.decode()

    assert "No member has added a video yet." in html
    assert "video-consent.js" not in html


def test_gallery_query_count_does_not_grow_with_videos(client, django_assert_num_queries):
    for number in range(3):
        VideoFactory(organization=OrganizationFactory(), title=f"Film {number}")
    client.get(reverse("directory:videos"))  # warms the caches of the page frame

    with django_assert_num_queries(1):
        client.get(reverse("directory:videos"))
    for number in range(5):
        VideoFactory(organization=OrganizationFactory(), title=f"Film {number + 3}")
    client.get(reverse("directory:videos"))
    with django_assert_num_queries(1):
        client.get(reverse("directory:videos"))


def test_home_and_directory_link_to_the_gallery(client):
    for page in ("portal:home", "directory:list"):
        assert f'href="{reverse("directory:videos")}"' in client.get(reverse(page)).content.decode()
