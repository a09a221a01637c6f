"""Event services: who may change what, validation, sanitising, the audit log and the search text."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import Event
from crosscluster.events.services import EventError, create_event, delete_event, update_event
from tests.documents import document_text
from tests.factories import EventFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
START = dt.datetime(2027, 3, 4, 18, 0, tzinfo=BERLIN)


def fields(**overrides):
    return {
        "title": "Kunststofftag Thüringen",
        "description": "<p>Vorträge zur <strong>Kreislaufwirtschaft</strong></p>",
        "start": START,
        "end": START + dt.timedelta(hours=3),
        "city": "Jena",
        **overrides,
    }


def test_create_event_by_manager_saves_logs_and_indexes(manager, organization, topic):
    event = create_event(actor=manager, organizers=[organization], topics=[topic], **fields())

    event.refresh_from_db()
    assert event.start == START
    assert event.start.tzinfo == dt.UTC
    assert list(event.organizers.all()) == [organization]
    assert list(event.topics.all()) == [topic]
    assert "kreislaufwirtschaft" in document_text(event).split()
    assert "polym" in document_text(event)  # the topic name and organiser name count too
    entry = AuditLogEntry.objects.get(action="event.created")
    assert (entry.actor, entry.organization, entry.object_id) == (manager, organization, str(event.pk))


def test_create_event_sanitizes_the_description(manager, organization):
    event = create_event(
        actor=manager,
        organizers=[organization],
        **fields(description='<p onclick="x()">Hallo<script>alert(1)</script></p>'),
    )

    assert event.description == "<p>Hallo</p>"


def test_create_event_refuses_an_outsider(outsider, organization):
    with pytest.raises(PermissionDenied):
        create_event(actor=outsider, organizers=[organization], **fields())

    assert not Event.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_create_event_refuses_foreign_co_organizers_for_managers(manager, organization, other_organization):
    with pytest.raises(PermissionDenied):
        create_event(actor=manager, organizers=[organization, other_organization], **fields())

    assert not Event.objects.exists()


def test_create_event_lets_the_coordinator_name_any_organizer(coordinator, organization, other_organization):
    event = create_event(actor=coordinator, organizers=[organization, other_organization], **fields())

    assert set(event.organizers.all()) == {organization, other_organization}


def test_create_event_needs_an_organizer(coordinator):
    with pytest.raises(EventError, match="Veranstalter"):
        create_event(actor=coordinator, organizers=[], **fields())


def test_create_event_refuses_an_end_before_the_start(manager, organization):
    with pytest.raises(EventError):
        create_event(actor=manager, organizers=[organization], **fields(end=START - dt.timedelta(minutes=1)))

    assert not Event.objects.exists()


def test_create_event_refuses_naive_times(manager, organization):
    with pytest.raises(EventError):
        create_event(actor=manager, organizers=[organization], **fields(start=dt.datetime(2027, 3, 4, 18)))


def test_create_event_refuses_invalid_urls(manager, organization):
    with pytest.raises(EventError):
        create_event(
            actor=manager, organizers=[organization], **fields(registration_url="javascript:alert(1)")
        )

    assert not Event.objects.exists()


def test_create_event_all_day_ends_at_the_exclusive_midnight(manager, organization):
    event = create_event(
        actor=manager,
        organizers=[organization],
        **fields(all_day=True, start=START, end=START + dt.timedelta(days=1, hours=2)),
    )

    event.refresh_from_db()
    assert event.start == dt.datetime(2027, 3, 4, tzinfo=BERLIN)
    assert event.end == dt.datetime(2027, 3, 6, tzinfo=BERLIN)


def test_create_event_refuses_source_fields_from_people(coordinator, organization):
    with pytest.raises(PermissionDenied):
        create_event(actor=coordinator, organizers=[organization], source_uid="abc", **fields())


def test_update_event_logs_the_changes_and_refreshes_search(manager, organization):
    event = EventFactory(organizers=[organization], title="Alter Titel")

    update_event(event, actor=manager, title="Wasserstoffforum")

    event.refresh_from_db()
    assert event.title == "Wasserstoffforum"
    assert "wasserstoffforum" in document_text(event).split()
    entry = AuditLogEntry.objects.get(action="event.updated")
    assert entry.data == {"changes": {"title": ["Alter Titel", "Wasserstoffforum"]}}
    assert entry.organization == organization


def test_update_event_without_changes_writes_no_audit_entry(manager, organization):
    event = EventFactory(organizers=[organization])

    update_event(event, actor=manager, title=event.title)

    assert not AuditLogEntry.objects.exists()


def test_update_event_refuses_a_manager_of_another_organisation(manager, other_organization):
    event = EventFactory(organizers=[other_organization], title="Fremd")

    with pytest.raises(PermissionDenied):
        update_event(event, actor=manager, title="Gekapert")

    event.refresh_from_db()
    assert event.title == "Fremd"


def test_update_event_keeps_foreign_co_organizers_but_not_removing_own(
    coordinator, manager, organization, other_organization
):
    event = create_event(actor=coordinator, organizers=[organization, other_organization], **fields())

    update_event(event, actor=manager, organizers=[organization, other_organization], city="Erfurt")
    with pytest.raises(PermissionDenied):
        update_event(event, actor=manager, organizers=[other_organization])

    assert set(event.organizers.all()) == {organization, other_organization}


def test_update_event_by_coordinator_may_change_anything(coordinator, other_organization):
    event = EventFactory(organizers=[other_organization])

    update_event(event, actor=coordinator, status=Event.Status.CANCELLED)

    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED


def test_delete_event_logs_and_deletes(manager, organization):
    event = EventFactory(organizers=[organization], title="Weg damit")

    delete_event(event, actor=manager)

    assert not Event.objects.exists()
    entry = AuditLogEntry.objects.get(action="event.deleted")
    assert (entry.object_repr, entry.organization, entry.actor) == ("Weg damit", organization, manager)


def test_delete_event_refuses_an_outsider(outsider, organization):
    event = EventFactory(organizers=[organization])

    with pytest.raises(PermissionDenied):
        delete_event(event, actor=outsider)

    assert Event.objects.filter(pk=event.pk).exists()
