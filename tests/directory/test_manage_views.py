"""The manager area's organisation pages: thin views over directory.services."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from crosscluster.core.models import AuditLogEntry
from crosscluster.core.services import log_action
from crosscluster.directory import manage_views
from crosscluster.directory.models import Contact, Offer, Organization, Video
from crosscluster.directory.services import DirectoryError
from tests.factories import ContactFactory, OfferFactory, TopicFactory, VideoFactory

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nHallo Th\xc3\xbcringen\n"


def png(name="bild.png"):
    """A tiny valid PNG, so Django's image validation (Pillow) accepts it."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "#0b5394").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def url(name, organization, **kwargs):
    return reverse(f"manage:{name}", kwargs={"slug": organization.slug, **kwargs})


def profile_data(organization, **changes):
    data = {
        "name_de": organization.name,
        "kind": organization.kind,
        "city": organization.city,
        "website": organization.website,
        "summary_de": organization.summary,
        "description_de": organization.description,
        "topics": [topic.pk for topic in organization.topics.all()],
    }
    return data | changes


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# The organisation hub and profile ------------------------------------------------------------------------


def test_organization_hub_shows_counts_and_links(manager_client, organization):
    ContactFactory(organization=organization)

    response = manager_client.get(url("organization", organization))

    assert response.status_code == 200
    assert response.context["counts"] == {"offers": 1, "contacts": 1, "videos": 0}
    html = response.content.decode()
    for name in ("organization-edit", "offer-list", "contact-list", "video-list", "organization-history"):
        assert f'href="{url(name, organization)}"' in html


def test_organization_unknown_slug_is_404_and_someone_elses_is_403(manager_client, other_organization):
    assert (
        manager_client.get(reverse("manage:organization", kwargs={"slug": "gibt-es-nicht"})).status_code
        == 404
    )
    response = manager_client.get(url("organization", other_organization))
    assert response.status_code == 403
    assert "core/403.html" in [template.name for template in response.templates]


def test_profile_edit_saves_through_the_service(manager_client, manager, organization, topic):
    hydrogen = TopicFactory(slug="wasserstoff", name="Wasserstoff")

    response = manager_client.post(
        url("organization-edit", organization),
        profile_data(organization, city="Jena", website="neu.example.org", topics=[topic.pk, hydrogen.pk]),
    )

    assert response.status_code == 302
    assert response["Location"] == url("organization", organization)
    organization.refresh_from_db()
    assert organization.city == "Jena"
    assert organization.website == "https://neu.example.org"
    assert set(organization.topics.all()) == {topic, hydrogen}
    assert "wasserstoff" in organization.search_text
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor) == ("directory.organization.updated", manager)
    assert set(entry.data["changes"]) == {"city", "website", "topics"}


def test_profile_edit_uploads_a_logo(manager_client, organization):
    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, logo=png())
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.logo.name.startswith("logos/bild")


def test_profile_edit_keeps_a_stored_logo_when_other_fields_change(manager_client, organization):
    manager_client.post(url("organization-edit", organization), profile_data(organization, logo=png()))
    organization.refresh_from_db()
    logo = organization.logo.name
    AuditLogEntry.objects.all().delete()

    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, city="Suhl")
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.logo.name, organization.city) == (logo, "Suhl")
    assert AuditLogEntry.objects.get().data == {"changes": {"city": ["Erfurt", "Suhl"]}}


def test_profile_edit_removes_the_logo_when_cleared(manager_client, organization):
    manager_client.post(url("organization-edit", organization), profile_data(organization, logo=png()))

    manager_client.post(
        url("organization-edit", organization), profile_data(organization, **{"logo-clear": "on"})
    )

    organization.refresh_from_db()
    assert organization.logo.name == ""


def test_image_uploads_have_a_size_limit(manager_client, organization, monkeypatch):
    monkeypatch.setattr("crosscluster.directory.forms.MAX_IMAGE_UPLOAD_BYTES", 10)

    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, logo=png())
    )

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["logo"]] == ["file_too_large"]
    assert "Bitte wählen Sie Ihre Dateien noch einmal aus." in response.content.decode()


def test_profile_edit_hides_published_from_a_manager_and_ignores_it(manager_client, organization):
    page = manager_client.get(url("organization-edit", organization))
    assert "published" not in page.context["form"].fields

    response = manager_client.post(url("organization-edit", organization), profile_data(organization))

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.published is True  # a missing check box did not unpublish


def test_profile_edit_lets_the_coordination_office_unpublish(coordinator_client, organization):
    response = coordinator_client.post(url("organization-edit", organization), profile_data(organization))

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.published is False


def test_profile_form_with_one_invalid_field_keeps_input_and_saves_nothing(manager_client, organization):
    data = profile_data(organization, name_de="Neuer Name", city="Jena", website="kein link")

    response = manager_client.post(url("organization-edit", organization), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["website"]
    html = response.content.decode()
    assert 'value="Neuer Name"' in html
    assert 'value="Jena"' in html
    assert 'value="kein link"' in html
    assert 'href="#id_website"' in html  # error summary links to the field
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_website_helptext id_website_error"' in html
    assert 'id="id_website_error"' in html
    assert response.context["organization"].name == "PolymerNetz Thüringen"
    organization.refresh_from_db()
    assert (organization.name, organization.city) == ("PolymerNetz Thüringen", "Erfurt")
    assert not AuditLogEntry.objects.exists()


def test_profile_service_refusal_becomes_a_form_error(manager_client, organization, monkeypatch):
    def refuse(*args, **kwargs):
        raise DirectoryError("Der Dienst lehnt ab.")

    monkeypatch.setattr(manage_views.services, "update_organization", refuse)

    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, city="Jena")
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Der Dienst lehnt ab."]
    assert 'value="Jena"' in response.content.decode()


# Offers -------------------------------------------------------------------------------------------------


def test_offer_create_saves_with_topics_and_audits(manager_client, manager, organization, topic):
    response = manager_client.post(
        url("offer-create", organization),
        {
            "title_de": "Recyclingberatung",
            "description_de": "Für KMU.",
            "kind": "advice",
            "topics": [topic.pk],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("offer-list", organization)
    offer = organization.offers.get(title="Recyclingberatung")
    assert list(offer.topics.all()) == [topic]
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("directory.offer.created", manager, str(offer.pk))


def test_offer_form_errors_keep_input_and_save_nothing(manager_client, organization, topic):
    response = manager_client.post(
        url("offer-create", organization),
        {"title_de": "", "description_de": "Beschreibung bleibt", "kind": "training", "topics": [topic.pk]},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["title_de"]
    html = response.content.decode()
    assert "Beschreibung bleibt" in html
    assert '<option value="training" selected>' in html
    assert f'value="{topic.pk}"' in html and "checked" in html
    assert organization.offers.count() == 1
    assert not AuditLogEntry.objects.exists()


def test_offer_edit_shows_current_values_and_saves_changes(manager_client, organization):
    offer = organization.offers.get()

    page = manager_client.get(url("offer-edit", organization, pk=offer.pk))
    assert 'value="Kunststoffberatung"' in page.content.decode()

    response = manager_client.post(
        url("offer-edit", organization, pk=offer.pk),
        {"title_de": "Kunststoffrecycling", "description_de": offer.description, "kind": offer.kind},
    )

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Kunststoffrecycling"
    organization.refresh_from_db()
    assert "kunststoffrecycling" in organization.search_text
    entry = AuditLogEntry.objects.get()
    assert entry.action == "directory.offer.updated"
    assert entry.data["changes"]["title"] == ["Kunststoffberatung", "Kunststoffrecycling"]


def test_offer_of_another_organisation_is_not_found_under_mine(
    manager_client, organization, other_organization
):
    foreign = other_organization.offers.get()

    for name in ("offer-edit", "offer-delete"):
        assert manager_client.get(url(name, organization, pk=foreign.pk)).status_code == 404
        assert manager_client.post(url(name, organization, pk=foreign.pk)).status_code == 404
    assert Offer.objects.filter(pk=foreign.pk).exists()


def test_offer_delete_asks_first_and_deletes_on_post(manager_client, organization):
    offer = organization.offers.get()
    delete_url = url("offer-delete", organization, pk=offer.pk)

    page = manager_client.get(delete_url)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert Offer.objects.filter(pk=offer.pk).exists()

    response = manager_client.post(delete_url)

    assert response.status_code == 302
    assert not Offer.objects.filter(pk=offer.pk).exists()
    assert AuditLogEntry.objects.get().action == "directory.offer.deleted"


def test_write_views_refuse_other_methods(manager_client, organization):
    offer = organization.offers.get()

    assert manager_client.put(url("offer-delete", organization, pk=offer.pk)).status_code == 405
    assert manager_client.post(url("offer-list", organization)).status_code == 405
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_offer_list_query_count_is_fixed(manager_client, organization, topic, django_assert_num_queries):
    for number in range(5):
        OfferFactory(organization=organization, title=f"Angebot {number}", topics=[topic])

    # session, user, organisation, offers, their topics, the navigation's counts (accounts.todo.nav_counts)
    with django_assert_num_queries(6):
        response = manager_client.get(url("offer-list", organization))

    assert len(response.context["items"]) == 6


# Contacts -----------------------------------------------------------------------------------------------


def test_contact_create_with_photo(manager_client, organization):
    response = manager_client.post(
        url("contact-create", organization),
        {
            "name": "Dr. Erika Muster",
            "role": "Leitung",
            "email": "erika@example.org",
            "phone": "+49 361 1",
            "photo": png(),
        },
    )

    assert response.status_code == 302
    contact = organization.contacts.get()
    assert contact.photo.name.startswith("contacts/bild")
    assert AuditLogEntry.objects.get().action == "directory.contact.created"


def test_contact_photo_must_be_an_image(manager_client, organization):
    response = manager_client.post(
        url("contact-create", organization),
        {"name": "Erika", "photo": SimpleUploadedFile("bild.png", b"not an image", content_type="image/png")},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["photo"]
    assert not Contact.objects.exists()


def test_contact_edit_and_delete(manager_client, organization):
    contact = ContactFactory(organization=organization, name="Alt")

    response = manager_client.post(
        url("contact-edit", organization, pk=contact.pk), {"name": "Neu", "email": "neu@example.org"}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.role, contact.phone) == ("Neu", "", "")

    manager_client.post(url("contact-delete", organization, pk=contact.pk))

    assert not Contact.objects.exists()
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "directory.contact.updated",
        "directory.contact.deleted",
    ]


# Videos -------------------------------------------------------------------------------------------------


def test_video_create_with_uploaded_file_poster_and_captions(manager_client, organization):
    response = manager_client.post(
        url("video-create", organization),
        {
            "title": "Imagefilm",
            "file": SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4"),
            "poster": png("poster.png"),
            "captions": SimpleUploadedFile("film.vtt", VTT, content_type="text/vtt"),
            "captions_language": "de",
            "url": "",
        },
    )

    assert response.status_code == 302
    video = organization.videos.get()
    assert video.file.name.startswith("videos/film")
    assert video.poster.name.startswith("videos/posters/poster")
    assert video.captions.read() == VTT
    assert not video.is_external
    assert AuditLogEntry.objects.get().action == "directory.video.created"


def test_video_create_with_external_url(manager_client, organization):
    response = manager_client.post(
        url("video-create", organization),
        {"title": "Extern", "url": "https://video.example.org/film", "captions_language": "de"},
    )

    assert response.status_code == 302
    assert organization.videos.get().is_external


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"url": "https://video.example.org/film", "file": "mp4"}, "url", "file_and_url"),
        ({}, "file", "no_video"),
        ({"file": "exe"}, "file", "invalid_extension"),
        ({"url": "https://video.example.org/film", "captions": "not-vtt"}, "captions", "not_vtt"),
        # BITV 2.0: a video served by us has captions; the gallery shows its poster
        ({"file": "mp4", "poster": "png"}, "captions", "captions_required"),
        ({"file": "mp4", "captions": "vtt"}, "poster", "poster_required"),
        # the content must be what the name claims
        ({"file": "fake-mp4", "poster": "png", "captions": "vtt"}, "file", "not_video"),
        ({"file": "fake-webm", "poster": "png", "captions": "vtt"}, "file", "not_video"),
    ],
)
def test_video_form_needs_exactly_one_valid_source(manager_client, organization, data, field, code):
    files = {
        "mp4": SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4"),
        "exe": SimpleUploadedFile("film.exe", MP4, content_type="application/octet-stream"),
        "not-vtt": SimpleUploadedFile("film.vtt", b"1\n00:00:00,000 --> 00:00:02,000\nSRT\n"),
        "vtt": SimpleUploadedFile("film.vtt", VTT, content_type="text/vtt"),
        "png": png("poster.png"),
        "fake-mp4": SimpleUploadedFile("film.mp4", b"<html>not a film</html>", content_type="video/mp4"),
        "fake-webm": SimpleUploadedFile("film.webm", MP4, content_type="video/webm"),
    }
    post = {"title": "Film", "captions_language": "de"}
    post |= {key: files.get(value, value) for key, value in data.items()}

    response = manager_client.post(url("video-create", organization), post)

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert [error.code for error in errors[field]] == [code]
    assert response.context["form"]["title"].value() == "Film"
    assert not Video.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_video_upload_over_the_size_limit_is_refused(manager_client, organization, settings):
    settings.MAX_VIDEO_UPLOAD_BYTES = 10

    response = manager_client.post(
        url("video-create", organization),
        {"title": "Zu groß", "file": SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4")},
    )

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["file"]] == ["file_too_large"]
    assert not Video.objects.exists()


def test_video_edit_switches_from_file_to_url_when_the_file_is_cleared(manager_client, organization):
    create = manager_client.post(
        url("video-create", organization),
        {
            "title": "Film",
            "file": SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4"),
            "poster": png("poster.png"),
            "captions": SimpleUploadedFile("film.vtt", VTT, content_type="text/vtt"),
            "captions_language": "de",
        },
    )
    assert create.status_code == 302
    video = organization.videos.get()

    response = manager_client.post(
        url("video-edit", organization, pk=video.pk),
        {
            "title": "Film",
            "file-clear": "on",
            "url": "https://video.example.org/film",
            "captions_language": "de",
        },
    )

    assert response.status_code == 302
    video.refresh_from_db()
    assert (video.file.name, video.url) == ("", "https://video.example.org/film")


def test_video_delete(manager_client, organization):
    video = VideoFactory(organization=organization)

    manager_client.post(url("video-delete", organization, pk=video.pk))

    assert not Video.objects.exists()


# History ------------------------------------------------------------------------------------------------


def test_history_shows_the_organisations_entries_newest_first(
    manager_client, manager, organization, other_organization
):
    offer = organization.offers.get()
    log_action("directory.offer.created", actor=manager, obj=offer, organization=organization)
    log_action(
        "directory.organization.updated",
        actor=manager,
        obj=organization,
        organization=organization,
        data={"changes": {"city": ["Erfurt", "Jena"], "website": ["a", "b"]}},
    )
    log_action("directory.offer.created", actor=None, obj=other_organization, organization=other_organization)

    response = manager_client.get(url("organization-history", organization))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["entry"].action for row in rows] == [
        "directory.organization.updated",
        "directory.offer.created",
    ]
    verbose = [str(Organization._meta.get_field(name).verbose_name) for name in ("city", "website")]
    assert rows[0]["fields"] == verbose
    assert rows[1]["label"] == str(manage_views.ACTION_LABELS["directory.offer.created"])
    html = response.content.decode()
    assert "Erika Muster" in html
    assert "Jena" not in html  # field names only, no values


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("directory.offer.updated", "Offer changed"),
        ("directory.offer.admin_changed", "Offer changed (in the admin)"),
        ("accounts.membership.admin_deleted", "Manager removed (in the admin)"),
        ("directory.something.new", "directory.something.new"),
    ],
)
def test_history_labels_actions_readably(action, expected):
    with translation.override("en"):
        assert manage_views.action_label(action) == expected


def test_history_query_count_is_fixed(manager_client, manager, organization, django_assert_num_queries):
    for number in range(10):
        log_action("directory.offer.updated", actor=manager, obj=organization, organization=organization)

    # session, user, organisation, count for the paginator, entries with their actors, the navigation's counts
    with django_assert_num_queries(6):
        response = manager_client.get(url("organization-history", organization))

    assert len(response.context["rows"]) == 10


def test_history_is_paginated(manager_client, organization, monkeypatch):
    monkeypatch.setattr(manage_views, "HISTORY_PAGE_SIZE", 2)
    for number in range(5):
        log_action(f"directory.test.{number}", obj=organization, organization=organization)

    response = manager_client.get(url("organization-history", organization) + "?page=3")

    assert [row["entry"].action for row in response.context["rows"]] == ["directory.test.0"]


# Pages as a whole ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "organization",
        "organization-edit",
        "organization-history",
        "offer-list",
        "offer-create",
        "contact-list",
        "contact-create",
        "video-list",
        "video-create",
    ],
)
def test_manage_pages_render_with_labelled_fields_and_navigation(coordinator_client, organization, name):
    response = coordinator_client.get(url(name, organization))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>" in html
    assert 'aria-label="' in html
    form = response.context.get("form")
    if form is not None:
        for field in form:
            if field.use_fieldset:
                assert f"<legend>{field.label}" in html
            else:
                assert f'<label for="{field.id_for_label}"' in html


def test_manage_pages_keep_unchanged_objects_as_stored(manager_client, organization):
    """The form validates a copy: the object handed to the service must not carry the typed values."""
    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, city="Gera")
    )

    assert response.status_code == 302
    entry = AuditLogEntry.objects.get()
    assert entry.data["changes"] == {"city": ["Erfurt", "Gera"]}
    assert Organization.objects.get(pk=organization.pk).city == "Gera"


def test_profile_edit_uploads_a_picture_resized_without_exif(manager_client, organization):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N"}  # a GPS block
    Image.new("RGB", (4000, 2000), "#0b5394").save(buffer, format="JPEG", exif=exif)
    photo = SimpleUploadedFile("dach.jpg", buffer.getvalue(), content_type="image/jpeg")

    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, picture=photo)
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    stored = Image.open(organization.picture)
    assert organization.picture.name.startswith("pictures/dach")
    assert stored.size == (1920, 960)
    assert not stored.getexif()


def test_profile_edit_refuses_a_file_that_only_claims_to_be_a_picture(manager_client, organization):
    fake = SimpleUploadedFile("logo.png", b"GIF89a not really", content_type="image/png")
    response = manager_client.post(
        url("organization-edit", organization), profile_data(organization, logo=fake)
    )
    assert response.status_code == 200
    organization.refresh_from_db()
    assert not organization.logo
