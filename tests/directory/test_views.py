"""The public directory pages: what they show, what they hide, and what they never load without consent."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from crosscluster.directory.models import Organization, Video
from crosscluster.directory.search import refresh_search_text
from crosscluster.directory.videos import describe_video, vimeo_player_url, youtube_id
from tests.factories import (
    ContactFactory,
    OfferFactory,
    OrganizationFactory,
    TopicFactory,
    VideoFactory,
)
from tests.markup import tags_of, texts

XSS = "<script>alert(1)</script>"


# Directory list


@pytest.fixture
def directory(region):
    """Four published organisations that differ in topic, kind and city, and one unpublished."""
    plastics = TopicFactory(slug="kunststoffe", name="Kunststoffe und Polymere")
    energy = TopicFactory(slug="energie", name="Energie")
    organizations = {
        "polymer": OrganizationFactory(
            region=region, slug="polymer", name="PolymerNetz", city="Rudolstadt", topics=[plastics]
        ),
        "energie": OrganizationFactory(
            region=region,
            slug="energie-agentur",
            name="Energieagentur",
            kind=Organization.Kind.AGENCY,
            city="Erfurt",
            topics=[energy],
        ),
        "cluster": OrganizationFactory(
            region=region,
            slug="cluster",
            name="Cluster Kunststoff und Energie",
            kind=Organization.Kind.CLUSTER,
            city="Jena",
            topics=[plastics, energy],
        ),
        "kammer": OrganizationFactory(
            region=region, slug="kammer", name="Kammer", kind=Organization.Kind.CHAMBER, city="Erfurt"
        ),
        "hidden": OrganizationFactory(
            region=region, slug="versteckt", name="Verstecktes Netz", published=False, topics=[plastics]
        ),
    }
    for organization in organizations.values():
        refresh_search_text(organization)
    return organizations


def listed(response) -> list[str]:
    return [organization.slug for organization in response.context["organizations"]]


@pytest.mark.django_db
def test_directory_list_shows_published_organisations_with_count(client, directory):
    response = client.get("/en/verzeichnis/")
    assert response.status_code == 200
    assert listed(response) == ["cluster", "energie-agentur", "kammer", "polymer"]
    assert "4 organisations found" in texts(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("topic=kunststoffe", ["cluster", "polymer"]),
        ("kind=agency", ["energie-agentur"]),
        ("city=Erfurt", ["energie-agentur", "kammer"]),
        ("topic=energie&city=Jena", ["cluster"]),
        ("topic=energie&kind=chamber", []),
    ],
)
@pytest.mark.django_db
def test_directory_list_filters_by_topic_kind_and_city(client, directory, query, expected):
    response = client.get(f"/verzeichnis/?{query}")
    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.django_db
def test_directory_list_filter_form_is_labelled_and_keeps_the_choices(client, directory):
    response = client.get("/en/verzeichnis/?topic=energie&kind=agency&city=Erfurt&q=Energie")
    html = texts(response)
    for field in ("q", "topic", "kind", "city"):
        assert f'<label for="id_{field}">' in html
    assert '<option value="energie" selected>' in html
    assert '<option value="agency" selected>' in html
    assert '<option value="Erfurt" selected>' in html
    assert 'value="Energie"' in html
    assert listed(response) == ["energie-agentur"]
    assert "Reset filters" in html


@pytest.mark.django_db
def test_directory_list_reports_an_unknown_topic_and_applies_the_other_filters(client, directory):
    response = client.get("/en/verzeichnis/?topic=gibt-es-nicht&city=Erfurt")
    assert response.status_code == 200
    assert listed(response) == ["energie-agentur", "kammer"]
    assert 'aria-invalid="true"' in texts(response)
    assert 'id="id_topic_error"' in texts(response)


@pytest.mark.django_db
def test_directory_list_says_when_nothing_matches(client, directory):
    response = client.get("/en/verzeichnis/?q=Raumfahrt")
    assert listed(response) == []
    assert "0 organisations found" in texts(response)
    assert "No organisation matches" in texts(response)


@pytest.mark.django_db
def test_directory_list_paginates_and_keeps_the_filters_in_page_links(client, region, monkeypatch):
    monkeypatch.setattr("crosscluster.directory.views.PAGE_SIZE", 2)
    for number in range(5):
        OrganizationFactory(region=region, slug=f"netz-{number}", name=f"Netz {number}", city="Erfurt")
    response = client.get("/verzeichnis/?city=Erfurt&page=2")
    assert listed(response) == ["netz-2", "netz-3"]
    html = texts(response)
    assert 'href="?city=Erfurt&amp;page=3"' in html
    assert 'href="?city=Erfurt&amp;page=1"' in html


@pytest.mark.django_db
def test_directory_list_query_count_does_not_grow_with_the_results(client, region, django_assert_num_queries):
    topics = [TopicFactory() for _ in range(3)]

    def add_organizations(count: int) -> None:
        for _ in range(count):
            OrganizationFactory(region=region, topics=topics, city="Erfurt")

    # Cities for the filter, topics for the filter, the count, the page, the page's topics, the map's cities.
    add_organizations(3)
    with django_assert_num_queries(6):
        assert client.get("/verzeichnis/").status_code == 200
    add_organizations(10)
    with django_assert_num_queries(6):
        assert client.get("/verzeichnis/").status_code == 200
    # Filtering by topic looks the topic up once more.
    with django_assert_num_queries(7):
        assert client.get(f"/verzeichnis/?topic={topics[0].slug}&city=Erfurt").status_code == 200


# Organisation page


@pytest.mark.django_db
def test_organization_page_shows_profile_topics_offers_and_contacts(client, organization, topic):
    ContactFactory(organization=organization, name="Dr. Katrin Hartmann", role="Geschäftsführerin")
    response = client.get(f"/en/organisationen/{organization.slug}/")
    html = texts(response)
    assert response.status_code == 200
    assert f'<h1 lang="de">{organization.name}</h1>' in html  # no English name: the German one, marked
    assert "Network" in html
    assert organization.city in html
    assert 'href="https://netzwerk.example.org"' in html
    assert organization.summary in html
    assert organization.description in html
    assert f'href="{topic.get_absolute_url()}"' in html
    assert "Kunststoffberatung" in html
    assert "Dr. Katrin Hartmann" in html
    assert "Geschäftsführerin" in html


@pytest.mark.django_db
def test_organization_page_links_mail_phone_and_vcard(client, organization):
    contact = ContactFactory(
        organization=organization, email="k.hartmann@example.org", phone="+49 (0)361 12-34 56"
    )
    html = texts(client.get(organization.get_absolute_url()))
    assert 'href="mailto:k.hartmann@example.org"' in html
    assert 'href="tel:+49361123456"' in html
    assert f'href="/organisationen/{organization.slug}/kontakte/{contact.pk}.vcf"' in html


@pytest.mark.django_db
def test_organization_page_keeps_line_breaks_of_the_description(client, organization):
    organization.description = "Erster Absatz.\n\nZweiter Absatz,\nneue Zeile."
    organization.save()
    html = texts(client.get(organization.get_absolute_url()))
    assert "<p>Erster Absatz.</p>" in html
    assert "<p>Zweiter Absatz,<br>neue Zeile.</p>" in html


@pytest.mark.django_db
def test_organization_page_query_count_is_fixed(client, organization, topic, django_assert_num_queries):
    for _ in range(3):
        OfferFactory(organization=organization, topics=[topic])
        ContactFactory(organization=organization)
        VideoFactory(organization=organization)
    client.get(organization.get_absolute_url())  # warms the calendar facts that events.queries caches
    # The organisation, its topics, offers, the offers' topics, contacts, videos, its upcoming events,
    # its current notices.
    with django_assert_num_queries(8):
        assert client.get(organization.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("path", ["/organisationen/gibt-es-nicht/", "/en/organisationen/gibt-es-nicht/"])
@pytest.mark.django_db
def test_organization_page_of_an_unknown_slug_is_404_in_the_site_design(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    assert "core/404.html" in [template.name for template in response.templates]
    assert 'class="site-header"' in texts(response)


@pytest.mark.django_db
def test_organization_page_of_an_unpublished_organisation_is_404(client, settings, organization):
    settings.DEBUG = False
    organization.published = False
    organization.save()
    response = client.get(organization.get_absolute_url())
    assert response.status_code == 404
    assert organization.name not in texts(response)
    assert "core/404.html" in [template.name for template in response.templates]


# Escaping


@pytest.mark.django_db
def test_pages_escape_html_from_organisation_data(client, region, topic):
    organization = OrganizationFactory(
        region=region,
        slug="boese",
        name=f"Böse {XSS}",
        summary=f"Zusammenfassung {XSS}",
        description=f"Beschreibung {XSS}",
        city="Erfurt",
        topics=[topic],
    )
    OfferFactory(organization=organization, title=f"Angebot {XSS}", description=f"Text {XSS}", topics=[topic])
    ContactFactory(organization=organization, name=f"Kontakt {XSS}", role=XSS)
    VideoFactory(
        organization=organization, title=f"Video {XSS}", url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    refresh_search_text(organization)
    pages = [
        "/",
        "/verzeichnis/",
        "/verzeichnis/?q=Böse",
        organization.get_absolute_url(),
        topic.get_absolute_url(),
    ]
    for path in pages:
        response = client.get(path)
        html = texts(response)
        assert response.status_code == 200, path
        assert "Böse" in html, path
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


@pytest.mark.django_db
def test_directory_list_escapes_the_search_term(client, directory):
    html = texts(client.get("/verzeichnis/", {"q": XSS}))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Videos


SOURCE_ATTRIBUTES = {"src", "srcset", "poster", "data", "action", "formaction", "background", "codebase"}


def requested_urls(response) -> list[str]:
    """Every URL that the browser would fetch by itself while rendering the page (before any click)."""
    urls = []
    for tag, attributes in tags_of(response):
        urls += [value for name, value in attributes.items() if name in SOURCE_ATTRIBUTES]
        if tag == "link":
            urls.append(attributes.get("href", ""))
    return urls


@pytest.mark.django_db
def test_video_uploaded_file_plays_natively_with_poster_and_captions(client, organization):
    video = Video.objects.create(
        organization=organization,
        title="Rundgang",
        file=SimpleUploadedFile("rundgang.mp4", b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4"),
        poster=SimpleUploadedFile("rundgang.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
        captions=SimpleUploadedFile("rundgang.vtt", b"WEBVTT\n", content_type="text/vtt"),
        captions_language="de",
    )
    response = client.get(f"/en/organisationen/{organization.slug}/")
    tags = tags_of(response)
    [player] = [attributes for tag, attributes in tags if tag == "video"]
    assert "controls" in player
    assert player["preload"] == "none"
    assert player["poster"] == video.poster.url
    [source] = [attributes for tag, attributes in tags if tag == "source"]
    assert source == {"src": video.file.url, "type": "video/mp4"}
    [track] = [attributes for tag, attributes in tags if tag == "track"]
    assert track == {
        "kind": "captions",
        "src": video.captions.url,
        "srclang": "de",
        "label": "German",
        "default": "",
    }
    assert "data-video-consent" not in texts(response)


@pytest.mark.django_db
def test_video_uploaded_file_without_captions_is_refused_by_the_database(organization):
    # BITV 2.0: the form refuses it first (tests/directory/test_manage_views.py); the constraint holds for
    # every other way in (admin, shell, imports).
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(
            organization=organization,
            title="Ohne Untertitel",
            file=SimpleUploadedFile("film.webm", b"\x1aE\xdf\xa3"),
        )
    assert not Video.objects.exists()


@pytest.mark.parametrize(
    ("url", "kind", "player"),
    [
        (
            "https://video.example.org/thueringen/mbz.mp4",
            "media",
            "https://video.example.org/thueringen/mbz.mp4",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
@pytest.mark.django_db
def test_video_external_is_not_requested_before_consent(client, organization, url, kind, player):
    VideoFactory(organization=organization, title="Porträt", url=url)
    response = client.get(f"/en/organisationen/{organization.slug}/")
    html = texts(response)
    host = url.split("/")[2]
    requested = requested_urls(response)
    assert not [value for value in requested if host in value or "youtube" in value or "vimeo" in value]
    assert not [
        tag for tag, _attributes in tags_of(response) if tag in {"iframe", "video", "embed", "object"}
    ]
    [box] = [attributes for _tag, attributes in tags_of(response) if "data-video-consent" in attributes]
    assert box["data-video-kind"] == kind
    assert box["data-video-src"] == player
    assert "Load video" in html
    assert f"data are then transferred to {player.split('/')[2]}" in html
    assert f'<a href="{url}" rel="noopener noreferrer external">' in html


@pytest.mark.django_db
def test_video_consent_script_is_external_and_deferred(client, organization):
    VideoFactory(organization=organization)
    scripts = [
        attributes
        for tag, attributes in tags_of(client.get(organization.get_absolute_url()))
        if tag == "script"
    ]
    # Besides the page's JSON-LD (data, never run), one script: external and deferred.
    assert scripts == [{"type": "application/ld+json"}, {"src": "/static/core/video-consent.js", "defer": ""}]


@pytest.mark.django_db
def test_video_other_external_page_is_only_linked(client, organization):
    VideoFactory(
        organization=organization, title="Mediathek", url="https://mediathek.example.org/beitrag/123"
    )
    response = client.get(f"/en/organisationen/{organization.slug}/")
    html = texts(response)
    assert "Load video" not in html
    assert 'href="https://mediathek.example.org/beitrag/123"' in html
    assert not [value for value in requested_urls(response) if "mediathek" in value]


@pytest.mark.django_db
def test_video_on_our_own_host_plays_without_consent(settings, organization):
    video = VideoFactory(organization=organization, url="https://crosscluster.example.org/media/film.webm")
    display = describe_video(video, {"crosscluster.example.org"})
    assert display.kind == "own"
    assert not display.needs_consent
    assert display.media_type == "video/webm"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/watch?v=<script>", ""),
        ("https://www.youtube.com/channel/UC123", ""),
        ("https://notyoutube.com/watch?v=dQw4w9WgXcQ", ""),
    ],
)
def test_youtube_id_reads_every_link_form(url, expected):
    assert youtube_id(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/76979871/abc123def", "https://player.vimeo.com/video/76979871?dnt=1&h=abc123def"),
        (
            "https://player.vimeo.com/video/76979871?h=abc123",
            "https://player.vimeo.com/video/76979871?dnt=1&h=abc123",
        ),
        ("https://vimeo.com/about", ""),
    ],
)
def test_vimeo_player_url_reads_page_and_player_links(url, expected):
    assert vimeo_player_url(url) == expected


# Topics


@pytest.mark.django_db
def test_topic_list_shows_every_topic_with_counts(client, organization, topic):
    empty = TopicFactory(slug="leer", name="Leeres Thema")
    response = client.get("/en/themen/")
    html = texts(response)
    assert response.status_code == 200
    assert f'href="{topic.get_absolute_url()}"' in html
    assert f'href="{empty.get_absolute_url()}"' in html
    assert "1 organisation" in html
    assert "1 offer" in html


@pytest.mark.django_db
def test_topics_keep_the_order_of_the_taxonomy_on_home_and_topic_list(client, region):
    for position, slug in enumerate(["zulieferer", "maschinenbau", "automotive"]):
        topic = TopicFactory(slug=slug, name=slug.title(), position=position)
        OrganizationFactory(region=region, topics=[topic])
    for path in ["/", "/themen/"]:
        assert [topic.slug for topic in client.get(path).context["topics"]] == [
            "zulieferer",
            "maschinenbau",
            "automotive",
        ]


# vCard download


@pytest.mark.django_db
def test_contact_vcard_downloads_as_utf8_vcard_with_filename(client, organization):
    contact = ContactFactory(organization=organization, name="Jürgen Müller", phone="+49 361 123456")
    response = client.get(reverse("directory:contact-vcard", args=[organization.slug, contact.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="juergen-mueller.vcf"'
    body = response.content.decode("utf-8")
    assert body.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "FN:Jürgen Müller\r\n" in body
    assert "TEL;TYPE=WORK,VOICE:+49361123456\r\n" in body


@pytest.mark.django_db
def test_contact_vcard_is_404_for_unpublished_or_foreign_organisations(
    client, organization, other_organization
):
    contact = ContactFactory(organization=organization)
    assert (
        client.get(f"/organisationen/{other_organization.slug}/kontakte/{contact.pk}.vcf").status_code == 404
    )
    organization.published = False
    organization.save()
    assert client.get(f"/organisationen/{organization.slug}/kontakte/{contact.pk}.vcf").status_code == 404


# Privacy


@pytest.mark.django_db
def test_privacy_page_explains_cookies_and_video_consent(client):
    response = client.get("/en/datenschutz/")
    html = texts(response)
    assert response.status_code == 200
    assert "<h1>Privacy</h1>" in html
    assert "Reading the public pages sets no cookies" in html
    assert "session cookie" in html
    assert "no third-party analytics" in html
    assert "Load video" in html


# Storefront (issue 14): organisation page and home page


@pytest.mark.django_db
def test_organization_page_describes_itself_as_schema_org_json_ld(client, organization, topic):
    ContactFactory(organization=organization, name="Dr. Katrin Hartmann", role="", phone="")
    OfferFactory(organization=organization, title="Werkstoffberatung", topics=[topic])
    html = client.get(organization.get_absolute_url()).content.decode()

    block = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    data = json.loads(block)
    url = f"http://testserver{organization.get_absolute_url()}"
    assert data["@type"] == "Organization"
    assert (data["@id"], data["name"], data["url"]) == (url, organization.name, url)
    assert data["knowsAbout"] == [topic.name]
    service = {"@type": "Service", "name": "Werkstoffberatung"}
    assert {"@type": "Offer", "itemOffered": service} in data["makesOffer"]
    assert data["contactPoint"][0]["name"] == "Dr. Katrin Hartmann"


@pytest.mark.django_db
def test_organization_page_shows_initials_where_logo_and_photo_are_missing(client, organization):
    ContactFactory(organization=organization, name="Dr. Katrin Hartmann", photo="")
    html = client.get(organization.get_absolute_url()).content.decode()
    assert '<span class="avatar" aria-hidden="true">KH</span>' in html
    assert '<span class="logo-box logo-box-large placeholder" aria-hidden="true">' in html
