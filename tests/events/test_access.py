"""The choke points: which events a person may manage, and which the public sees."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from crosscluster.events.access import can_manage_event, events_managed_by, public_events
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def events(organization, other_organization):
    return {
        "own": EventFactory(organizers=[organization], title="Eigene"),
        "shared": EventFactory(organizers=[organization, other_organization], title="Gemeinsame"),
        "foreign": EventFactory(organizers=[other_organization], title="Fremde"),
    }


def managed_titles(user):
    return sorted(events_managed_by(user).values_list("title", flat=True))


def test_events_managed_by_manager_are_those_of_own_organisations(manager, events):
    assert managed_titles(manager) == ["Eigene", "Gemeinsame"]
    assert can_manage_event(manager, events["shared"])
    assert not can_manage_event(manager, events["foreign"])


def test_events_managed_by_manager_of_two_organisers_lists_an_event_once(manager, other_organization, events):
    MembershipFactory(user=manager, organization=other_organization)

    assert managed_titles(manager) == ["Eigene", "Fremde", "Gemeinsame"]


def test_events_managed_by_coordinator_and_admin_are_all(coordinator, admin_user, events):
    assert managed_titles(coordinator) == ["Eigene", "Fremde", "Gemeinsame"]
    assert managed_titles(admin_user) == ["Eigene", "Fremde", "Gemeinsame"]


def test_events_managed_by_nobody_else(outsider, events):
    assert managed_titles(outsider) == []
    assert managed_titles(AnonymousUser()) == []
    inactive = UserFactory(is_coordinator=True, is_active=False)
    assert managed_titles(inactive) == []


def test_public_events_need_publication_a_feed_presence_and_a_published_organiser(organization):
    EventFactory(organizers=[organization], title="Sichtbar")
    EventFactory(organizers=[organization, OrganizationFactory(published=False)], title="Auch sichtbar")
    EventFactory(organizers=[organization], title="Entwurf", published=False)
    EventFactory(organizers=[organization], title="Entfernt", removed_at=timezone.now())
    EventFactory(organizers=[OrganizationFactory(published=False)], title="Versteckt")

    assert sorted(public_events().values_list("title", flat=True)) == ["Auch sichtbar", "Sichtbar"]
