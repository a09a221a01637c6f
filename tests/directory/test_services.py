"""directory.services: every change is checked, validated, saved atomically and audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory import services
from crosscluster.directory.models import Contact, Offer, Organization, Video
from crosscluster.directory.search import refresh_search_text
from crosscluster.directory.services import DirectoryError
from tests.documents import document_text
from tests.factories import ContactFactory, RegionFactory, TopicFactory, VideoFactory


def call_each_service(organization, actor):
    """One call of every service, as (action code, the changed object's model label, call)."""
    offer = organization.offers.get()
    contact = ContactFactory(organization=organization)
    video = VideoFactory(organization=organization)
    return {
        "directory.organization.updated": lambda: services.update_organization(
            organization, actor=actor, city="Jena"
        ),
        "directory.offer.created": lambda: services.create_offer(organization, actor=actor, title="Neu"),
        "directory.offer.updated": lambda: services.update_offer(offer, actor=actor, title="Anders"),
        "directory.offer.deleted": lambda: services.delete_offer(offer, actor=actor),
        "directory.contact.created": lambda: services.create_contact(organization, actor=actor, name="Neu"),
        "directory.contact.updated": lambda: services.update_contact(contact, actor=actor, role="Leitung"),
        "directory.contact.deleted": lambda: services.delete_contact(contact, actor=actor),
        "directory.video.created": lambda: services.create_video(
            organization, actor=actor, title="Neu", url="https://video.example.org/neu"
        ),
        "directory.video.updated": lambda: services.update_video(video, actor=actor, title="Anders"),
        "directory.video.deleted": lambda: services.delete_video(video, actor=actor),
    }


ACTIONS = [
    "directory.organization.updated",
    "directory.offer.created",
    "directory.offer.updated",
    "directory.offer.deleted",
    "directory.contact.created",
    "directory.contact.updated",
    "directory.contact.deleted",
    "directory.video.created",
    "directory.video.updated",
    "directory.video.deleted",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_service_writes_one_audit_entry_with_action_and_actor(organization, manager, action):
    call = call_each_service(organization, manager)[action]

    call()

    entry = AuditLogEntry.objects.get()
    assert entry.action == action
    assert entry.actor == manager
    assert entry.organization == organization
    assert entry.object_type == "directory." + action.split(".")[1]


@pytest.mark.parametrize("action", ACTIONS)
def test_service_refuses_an_outsider_and_changes_nothing(organization, outsider, action):
    call = call_each_service(organization, outsider)[action]
    before = snapshot(organization)

    with pytest.raises(PermissionDenied):
        call()

    assert snapshot(organization) == before
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_service_lets_the_coordination_office_change_any_organisation(organization, coordinator, action):
    call_each_service(organization, coordinator)[action]()

    assert AuditLogEntry.objects.get().actor == coordinator


def snapshot(organization):
    organization = Organization.objects.get(pk=organization.pk)
    return (
        {
            f.name: getattr(organization, f.name)
            for f in Organization._meta.concrete_fields
            if f.name != "logo"
        },
        list(Offer.objects.filter(organization=organization).values()),
        list(Contact.objects.filter(organization=organization).values()),
        list(Video.objects.filter(organization=organization).values()),
    )


def test_update_organization_records_what_changed(organization, manager):
    services.update_organization(organization, actor=manager, city="Jena", name=organization.name)

    assert AuditLogEntry.objects.get().data == {"changes": {"city": ["Erfurt", "Jena"]}}


def test_update_organization_without_changes_writes_nothing(organization, manager):
    services.update_organization(organization, actor=manager, city=organization.city)

    assert not AuditLogEntry.objects.exists()


def test_update_organization_refuses_publishing_by_a_manager(organization, manager):
    with pytest.raises(PermissionDenied):
        services.update_organization(organization, actor=manager, published=False)

    organization.refresh_from_db()
    assert organization.published is True
    assert not AuditLogEntry.objects.exists()


def test_update_organization_lets_a_manager_resend_the_unchanged_published_flag(organization, manager):
    services.update_organization(organization, actor=manager, published=True, city="Jena")

    organization.refresh_from_db()
    assert (organization.published, organization.city) == (True, "Jena")


def test_update_organization_lets_the_coordination_office_unpublish(organization, coordinator):
    services.update_organization(organization, actor=coordinator, published=False)

    organization.refresh_from_db()
    assert organization.published is False
    assert AuditLogEntry.objects.get().data == {"changes": {"published": ["True", "False"]}}


def test_update_organization_with_an_invalid_value_saves_nothing(organization, manager, topic):
    other_topic = TopicFactory(slug="wasserstoff", name="Wasserstoff")

    with pytest.raises(DirectoryError):
        services.update_organization(
            organization, actor=manager, city="Jena", website="kein link", topics=[other_topic]
        )

    organization.refresh_from_db()
    assert organization.city == "Erfurt"
    assert list(organization.topics.all()) == [topic]
    assert not AuditLogEntry.objects.exists()


def test_update_organization_topics_refresh_the_search_text(organization, manager):
    hydrogen = TopicFactory(slug="wasserstoff", name="Wasserstoff")

    services.update_organization(organization, actor=manager, topics=[hydrogen])

    organization.refresh_from_db()
    assert "wasserstoff" in document_text(organization)
    assert AuditLogEntry.objects.get().data == {"changes": {"topics": ["wasserstoff"]}}


def test_update_offer_refreshes_the_search_text(organization, manager):
    offer = organization.offers.get()
    refresh_search_text(organization)
    assert "kunststoffberat" in document_text(organization)

    services.update_offer(offer, actor=manager, title="Fördermittelberatung für Recycling")

    organization.refresh_from_db()
    assert "recycling" in document_text(organization)
    assert "fordermittelberat" in document_text(organization)
    assert "kunststoffberat" not in document_text(organization)


def test_create_and_delete_offer_refresh_the_search_text(organization, manager):
    offer = services.create_offer(organization, actor=manager, title="Wasserstoffnetzwerk")
    organization.refresh_from_db()
    assert "wasserstoffnetzwerk" in document_text(organization)

    services.delete_offer(offer, actor=manager)

    organization.refresh_from_db()
    assert "wasserstoffnetzwerk" not in document_text(organization)


def test_create_video_refuses_file_and_url_together_and_saves_nothing(organization, manager):
    with pytest.raises(DirectoryError):
        services.create_video(
            organization,
            actor=manager,
            title="Beides",
            file=SimpleUploadedFile("a.mp4", b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4"),
            url="https://video.example.org/a",
        )

    assert not Video.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_service_called_by_the_system_records_no_actor(organization):
    services.update_organization(organization, actor=None, city="Weimar")

    assert AuditLogEntry.objects.get().actor is None


def test_service_refuses_a_manager_of_another_organisation(organization, other_organization, manager):
    with pytest.raises(PermissionDenied):
        services.update_offer(other_organization.offers.get(), actor=manager, title="Übernommen")

    assert other_organization.offers.get().title == "Fremdes Angebot"


def test_create_offer_goes_after_the_last_position_even_with_gaps(organization, manager):
    from crosscluster.directory.services import create_offer
    from tests.factories import OfferFactory

    organization.offers.update(position=0)
    OfferFactory(organization=organization, title="Spät", position=7)
    offer = create_offer(organization, actor=manager, title="Neu", kind="advice")
    assert offer.position == 8
    assert list(organization.offers.values_list("title", flat=True))[-1] == "Neu"


def test_deleting_a_contact_removes_its_photo_from_storage(
    organization, manager, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from crosscluster.directory.services import delete_contact
    from tests.factories import ContactFactory

    contact = ContactFactory(organization=organization)
    contact.photo.save("erika.png", ContentFile(b"\x89PNG fake"), save=True)
    name = contact.photo.name
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        delete_contact(contact, actor=manager)

    assert not default_storage.exists(name)


def test_replacing_a_video_poster_removes_the_old_file(
    organization, manager, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crosscluster.directory.services import update_video
    from tests.factories import VideoFactory

    video = VideoFactory(organization=organization)
    video.poster.save("alt.png", ContentFile(b"old"), save=True)
    old_name = video.poster.name

    with django_capture_on_commit_callbacks(execute=True):
        update_video(
            video, actor=manager, poster=SimpleUploadedFile("neu.png", b"new", content_type="image/png")
        )

    assert not default_storage.exists(old_name)
    assert default_storage.exists(video.poster.name)


def test_create_organization_saves_audits_and_indexes(coordinator, region, topic):
    created = services.create_organization(
        actor=coordinator,
        region=region,
        slug="wasserstoff",
        name="Wasserstoffnetz",
        kind="network",
        topics=[topic],
    )

    assert (created.name_de, created.region, list(created.topics.all())) == (
        "Wasserstoffnetz",
        region,
        [topic],
    )
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.organization) == (
        "directory.organization.created",
        coordinator,
        created,
    )
    assert "wasserstoffnetz" in document_text(created)


def test_create_organization_refuses_managers_and_invalid_data(manager, coordinator, region):
    with pytest.raises(PermissionDenied):
        services.create_organization(actor=manager, region=region, slug="neu", name="Neu", kind="network")
    with pytest.raises(DirectoryError):
        services.create_organization(actor=coordinator, region=region, slug="neu", name="Neu", kind="unknown")

    assert not Organization.objects.filter(slug="neu").exists()
    assert not AuditLogEntry.objects.exists()


def test_delete_organization_removes_it_with_an_audit_entry(coordinator, organization):
    services.delete_organization(organization, actor=coordinator)

    assert not Organization.objects.exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_repr) == (
        "directory.organization.deleted",
        coordinator,
        "PolymerNetz Thüringen",
    )
    assert entry.data == {"slug": "polymer-netz"}


def test_delete_organization_refuses_its_own_manager(manager, organization):
    with pytest.raises(PermissionDenied):
        services.delete_organization(organization, actor=manager)

    assert Organization.objects.filter(pk=organization.pk).exists()


def test_update_organization_lets_only_the_office_change_slug_and_region(manager, coordinator, organization):
    other_region = RegionFactory()
    with pytest.raises(PermissionDenied):
        services.update_organization(organization, actor=manager, slug="anders")

    services.update_organization(organization, actor=coordinator, slug="anders", region=other_region)

    organization.refresh_from_db()
    assert (organization.slug, organization.region) == ("anders", other_region)
