"""The stored `Event.listed` flag follows every change it depends on (events.listing).

Every test of the suite also checks all flags afterwards (tests/conftest.py); these name the cases.
"""

import datetime as dt

from django.utils import timezone

from crosscluster.directory.services import update_organization
from crosscluster.events.access import public_events
from crosscluster.events.dedup.grouping import refresh_duplicates
from crosscluster.events.dedup.services import merge_events, split_event
from crosscluster.events.feeds.subscriptions import add_feed, remove_feed
from crosscluster.events.listing import refresh_all_listed
from crosscluster.events.models import Event
from crosscluster.events.services import delete_event, update_event
from tests.factories import EventFactory, OrganizationFactory


def listed() -> set[int]:
    return set(public_events().values_list("pk", flat=True))


def pair(first_org, second_org, first_fields=None, second_fields=None):
    """The same forum announced by two networks, merged automatically; the first is the canonical event."""
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    common = {"title": "Wasserstoff-Forum Erfurt", "start": start, "end": start + dt.timedelta(hours=2)}
    first = EventFactory(organizers=[first_org], **common, **(first_fields or {}))
    second = EventFactory(organizers=[second_org], **common, **(second_fields or {}))
    refresh_duplicates(second)
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second


def test_a_saved_event_is_listed_and_an_unpublished_one_is_not(organization):
    event = EventFactory(organizers=[organization])
    assert listed() == {event.pk}

    update_event(event, actor=None, published=False)
    assert listed() == set()


def test_an_event_of_an_unpublished_organisation_hides_and_returns_with_it(organization, coordinator):
    event = EventFactory(organizers=[organization])

    update_organization(organization, actor=coordinator, published=False)
    assert listed() == set()

    update_organization(organization, actor=coordinator, published=True)
    assert listed() == {event.pk}


def test_a_published_co_organiser_keeps_the_event_listed(organization, other_organization, coordinator):
    event = EventFactory(organizers=[organization, other_organization])

    update_organization(organization, actor=coordinator, published=False)
    assert listed() == {event.pk}

    update_event(event, actor=None, organizers=[organization])
    assert listed() == set()


def test_a_group_is_listed_through_any_published_organiser(organization, other_organization, coordinator):
    first, second = pair(organization, other_organization)
    assert second.duplicate_of_id == first.pk
    assert listed() == {first.pk}

    # The canonical event's own organiser goes offline; the duplicate's organiser still lists the group.
    update_organization(organization, actor=coordinator, published=False)
    assert listed() == {first.pk}

    update_organization(other_organization, actor=coordinator, published=False)
    assert listed() == set()


def test_split_and_merge_by_hand(organization, other_organization, coordinator):
    first, second = pair(organization, other_organization)

    split_event(second, actor=coordinator)
    assert listed() == {first.pk, second.pk}

    canonical = merge_events(first, second, actor=coordinator)
    assert listed() == {canonical.pk}


def test_deleting_the_canonical_event_lists_its_duplicate(organization, other_organization, coordinator):
    first, second = pair(organization, other_organization)

    delete_event(first, actor=coordinator)

    assert listed() == {second.pk}


def test_deleting_an_organisation_hides_the_events_it_alone_organised(organization, other_organization):
    alone = EventFactory(organizers=[organization])
    shared = EventFactory(organizers=[organization, other_organization])

    organization.delete()

    assert Event.objects.filter(pk=alone.pk).exists()
    assert listed() == {shared.pk}


def test_removing_a_feed_keeps_the_other_networks_duplicate(organization, other_organization, manager):
    """Its event was the canonical one of a group: the other network's announcement stays in the calendar."""
    feed = add_feed(organization, "https://example.org/a.ics", actor=manager)
    other_feed = add_feed(other_organization, "https://example.org/b.ics", actor=None)
    first, second = pair(
        organization,
        other_organization,
        {"source": "feed", "feed": feed, "source_uid": "forum"},
        {"source": "feed", "feed": other_feed, "source_uid": "forum"},
    )
    assert listed() == {first.pk}

    remove_feed(feed, actor=manager)

    assert listed() == {second.pk}
    assert Event.objects.get(pk=second.pk).duplicate_of_id is None


def test_refresh_all_listed_repairs_flags_written_past_the_services(organization):
    shown = EventFactory(organizers=[organization])
    hidden = EventFactory(organizers=[OrganizationFactory(published=False)])
    Event.objects.update(listed=False)
    Event.objects.filter(pk=hidden.pk).update(listed=True)

    assert refresh_all_listed() == 2
    assert listed() == {shown.pk}
    assert refresh_all_listed() == 0


def test_a_feed_import_announces_its_events_once(organization):
    """The bulk path sends one `events_changed` per feed (and regrouping one per batch), not one per event."""
    from crosscluster.core.signals import events_changed
    from crosscluster.events.feeds.sync import clean_feed_fields, sync_feed_events
    from crosscluster.events.models import FeedSubscription

    subscription = FeedSubscription.objects.create(organization=organization, url="https://example.org/c.ics")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    wanted = {
        f"uid-{n}": clean_feed_fields(
            {
                "title": f"Sprechstunde {n}",
                "start": start + dt.timedelta(days=n),
                "end": start + dt.timedelta(days=n, hours=1),
            }
        )
        for n in range(5)
    }
    sent = []

    def note(sender, ids, **kwargs):
        sent.append(sorted(ids))

    events_changed.connect(note)
    try:
        sync_feed_events(subscription, wanted, remove_ending_after=timezone.now())
    finally:
        events_changed.disconnect(note)

    new = sorted(Event.objects.filter(feed=subscription).values_list("pk", flat=True))
    assert sent == [new]
    assert listed() == set(new)  # written unlisted, listed by the flag's owner on the announcement
