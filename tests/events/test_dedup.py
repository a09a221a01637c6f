"""Duplicates: one public entry per event with all organisers, and the office's decisions stick."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.access import public_events
from crosscluster.events.dedup import queries as dedup_queries
from crosscluster.events.dedup import services as dedup_services
from crosscluster.events.dedup import similarity
from crosscluster.events.dedup.services import merge_events, split_event
from crosscluster.events.dedup.similarity import title_similarity
from crosscluster.events.feeds.importing import import_feed
from crosscluster.events.models import DuplicateDecision, Event, FeedSubscription
from crosscluster.events.services import create_event, delete_event, update_event
from tests.events.feeds.conftest import LoopbackServer
from tests.factories import OrganizationFactory, TopicFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def ics(*events):
    body = "".join(
        "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n" for lines in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode()


# 10:00 Berlin on 10 March 2030 is 09:00 UTC.
FORUM = (
    "UID:forum-2030",
    "DTSTART:20300310T090000Z",
    "DTEND:20300310T120000Z",
    "SUMMARY:Wasserstoff-Forum Thüringen 2030",
    "LOCATION:Volkshaus, Carl-Zeiß-Platz 15, Jena",
)


def entered(organization, **fields):
    values = {
        "title": "Wasserstoffforum Thueringen 2030",
        "start": berlin(2030, 3, 10, 10, 0),
        "end": berlin(2030, 3, 10, 12, 0),
        "venue": "Volkshaus",
        "city": "Jena",
        **fields,
    }
    return create_event(actor=None, organizers=[organization], **values)


@pytest.fixture
def loopback():
    """The feed tests' loopback HTTP server, serving the feeds of both networks."""
    server = LoopbackServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def feed_a(organization, loopback, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feeds live on the loopback test server
    return FeedSubscription.objects.create(organization=organization, url=loopback.url("/a.ics"))


@pytest.fixture
def feed_b(other_organization, loopback, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True
    return FeedSubscription.objects.create(organization=other_organization, url=loopback.url("/b.ics"))


def public_titles():
    return list(public_events().order_by("start", "pk").values_list("title", flat=True))


def listed_organizers(client, **query):
    response = client.get(reverse("events:list"), {"date_from": "2030-03-01", **query})
    return [sorted(o.name for o in event.listed_organizers) for event in response.context["events"]]


# Matching -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Wasserstoff-Forum Thüringen 2030", "Wasserstoff Forum Thueringen 2030", True),
        ("Straßenbau: Fachtag", "Fachtag Strassenbau", True),  # ß folded, order and punctuation ignored
        ("Fördermittel für KMU", "Foerdermittel-Sprechstunde für KMU", True),  # one title plus words
        ("Fördermittel", "Fördermittel-Sprechstunde", False),  # one shared word is not enough
        ("Netzwerktreffen Kunststoffe", "Netzwerktreffen Wasserstoff", False),
        ("Der Workshop", "Die Konferenz", False),  # stopwords do not make titles alike
    ],
)
def test_title_similarity_folds_and_ignores_noise(a, b, alike):
    assert (title_similarity(a, b) >= similarity.AUTO_MERGE) is alike


def test_entered_and_feed_event_show_once_with_both_organisers(
    client,
    organization,
    other_organization,
    feed_b,
    loopback,
    topic,
):
    own = entered(organization, topics=[topic])
    loopback.serve("/b.ics", ics(FORUM))

    import_feed(feed_b, now=NOW)

    imported = Event.objects.get(feed=feed_b)
    imported.refresh_from_db()
    assert imported.duplicate_of == own  # the entered event is canonical
    assert public_titles() == ["Wasserstoffforum Thueringen 2030"]
    assert listed_organizers(client) == [["Anderes Netzwerk", "PolymerNetz Thüringen"]]
    # The organiser filter finds the event through its duplicate, too.
    assert listed_organizers(client, organizer="andere-org") == [
        ["Anderes Netzwerk", "PolymerNetz Thüringen"]
    ]
    html = client.get(own.get_absolute_url()).content.decode()
    assert "Anderes Netzwerk" in html and "PolymerNetz Thüringen" in html
    # Links to the duplicate lead to the event it is listed under.
    response = client.get(imported.get_absolute_url())
    assert (response.status_code, response["Location"]) == (302, own.get_absolute_url())
    response = client.get(reverse("events:ics", kwargs={"pk": imported.pk}))
    assert response["Location"] == reverse("events:ics", kwargs={"pk": own.pk})


def test_same_event_from_two_feeds_shows_once(client, feed_a, feed_b, loopback):
    loopback.serve("/a.ics", ics(FORUM))
    loopback.serve("/b.ics", ics((*FORUM[:1], "DTSTART:20300310T091500Z", *FORUM[2:])))

    import_feed(feed_a, now=NOW)
    import_feed(feed_b, now=NOW)

    first, second = Event.objects.order_by("pk")
    second.refresh_from_db()
    assert second.duplicate_of == first  # both imported: the earliest created is canonical
    assert listed_organizers(client) == [["Anderes Netzwerk", "PolymerNetz Thüringen"]]


@pytest.mark.parametrize(
    "other",
    [
        {"title": "Kunststofftag Jena"},  # another event at the same time and place
        {"start": berlin(2030, 3, 10, 15, 0), "end": berlin(2030, 3, 10, 17, 0)},  # same day, afternoon
        {"venue": "Kaisersaal", "city": "Erfurt"},  # same time, another city
        # The same venue word in another city: offices of two networks (as in the demo), not one place.
        {"venue": "Geschäftsstelle PolymerNetz", "city": "Ilmenau", "_venue": "Geschäftsstelle Andere"},
        {"all_day": True},  # an all-day event against a timed one
    ],
)
def test_different_events_on_the_same_day_are_not_merged(organization, other_organization, other):
    other = dict(other)
    entered(organization, **({"venue": other.pop("_venue")} if "_venue" in other else {}))
    entered(other_organization, **other)

    assert Event.objects.filter(duplicate_of__isnull=False).count() == 0
    assert len(public_titles()) == 2


def test_all_day_and_online_events_match(organization, other_organization):
    entered(
        organization,
        title="Messe Kunststoff",
        all_day=True,
        start=berlin(2030, 3, 10),
        end=berlin(2030, 3, 11),
    )
    online = {"format": Event.Format.ONLINE, "venue": "", "city": "", "online_url": "https://a.example.org"}
    entered(organization, title="Webinar KI im Mittelstand", **online)
    entered(
        other_organization,
        title="Kunststoff-Messe",
        all_day=True,
        start=berlin(2030, 3, 10),
        end=berlin(2030, 3, 11),
    )
    entered(other_organization, title="Webinar: KI im Mittelstand", **online)

    assert public_titles() == ["Messe Kunststoff", "Webinar KI im Mittelstand"]


def test_editing_an_event_apart_ends_the_merge(organization, other_organization):
    first = entered(organization)
    second = entered(other_organization)
    second.refresh_from_db()
    assert second.duplicate_of == first

    update_event(second, actor=None, start=berlin(2030, 3, 11, 10), end=berlin(2030, 3, 11, 12))

    second.refresh_from_db()
    assert second.duplicate_of is None
    assert len(public_titles()) == 2


def test_deleting_the_canonical_event_keeps_the_rest_together(organization, other_organization):
    first = entered(organization)
    second = entered(other_organization)
    third = entered(OrganizationFactory())

    delete_event(first, actor=None)

    third.refresh_from_db()
    assert third.duplicate_of == second
    assert public_titles() == ["Wasserstoffforum Thueringen 2030"]


def test_unpublishing_the_canonical_event_shows_the_duplicate(organization, other_organization):
    first = entered(organization)
    second = entered(other_organization)

    update_event(first, actor=None, published=False)

    second.refresh_from_db()
    assert second.duplicate_of is None
    assert public_events().get() == second


# Manual decisions -----------------------------------------------------------------------------------


def test_split_sticks_after_reimport(coordinator, organization, feed_a, feed_b, loopback):
    loopback.serve("/a.ics", ics(FORUM))
    loopback.serve("/b.ics", ics(FORUM))
    import_feed(feed_a, now=NOW)
    import_feed(feed_b, now=NOW)
    first, second = Event.objects.order_by("pk")
    assert len(public_titles()) == 1

    split_event(second, actor=coordinator)

    assert len(public_titles()) == 2
    assert DuplicateDecision.objects.get().decision == "different"
    entry = AuditLogEntry.objects.get(action="event.split")
    assert (entry.actor, entry.object_id, entry.data) == (coordinator, str(second.pk), {"from": [first.pk]})

    # The next import updates the event; and even when the event is recreated (deleted, imported anew),
    # its feed UID carries the decision.
    loopback.serve(
        "/b.ics", ics((*FORUM[:3], "SUMMARY:Wasserstoff-Forum Thüringen 2030 (Anmeldung)", *FORUM[4:]))
    )
    import_feed(feed_b, now=NOW)
    assert len(public_titles()) == 2
    Event.objects.filter(feed=feed_b).delete()
    loopback.serve("/b.ics", ics(FORUM))
    import_feed(feed_b, now=NOW)
    import_feed(feed_a, now=NOW)
    assert len(public_titles()) == 2
    assert not Event.objects.filter(duplicate_of__isnull=False).exists()


def test_merge_by_hand_sticks(coordinator, organization, other_organization, feed_b, loopback):
    own = entered(organization, title="Innovationsabend", venue="", city="")
    loopback.serve("/b.ics", ics((*FORUM[:3], "SUMMARY:Abend der Innovation: Wasserstoff")))
    import_feed(feed_b, now=NOW)
    imported = Event.objects.get(feed=feed_b)
    assert len(public_titles()) == 2

    canonical = merge_events(imported, own, actor=coordinator)

    assert canonical == own
    assert public_titles() == ["Innovationsabend"]
    entry = AuditLogEntry.objects.get(action="event.merged")
    assert (entry.actor, entry.object_id) == (coordinator, str(own.pk))
    assert entry.data["events"] == sorted([own.pk, imported.pk])

    # A later import that changes the time keeps the merge; so does recreating the imported event.
    loopback.serve(
        "/b.ics", ics(("UID:forum-2030", "DTSTART:20300310T180000Z", "SUMMARY:Abend der Innovation"))
    )
    import_feed(feed_b, now=NOW)
    assert public_titles() == ["Innovationsabend"]
    Event.objects.filter(feed=feed_b).delete()
    import_feed(feed_b, now=NOW)
    assert public_titles() == ["Innovationsabend"]
    assert Event.objects.get(feed=feed_b).duplicate_of == own


def test_merge_after_split_overrules_it(coordinator, organization, other_organization):
    first = entered(organization)
    second = entered(other_organization)
    split_event(second, actor=coordinator)

    merge_events(first, second, actor=coordinator)

    assert public_titles() == ["Wasserstoffforum Thueringen 2030"]
    assert DuplicateDecision.objects.get().decision == "same"


def test_merge_and_split_need_the_coordination_office(manager, organization, other_organization):
    first = entered(organization)
    second = entered(other_organization, title="Etwas anderes")

    with pytest.raises(PermissionDenied):
        merge_events(first, second, actor=manager)
    merge_events(first, second, actor=None)  # the system may
    second.refresh_from_db()
    with pytest.raises(PermissionDenied):
        split_event(second, actor=manager)
    assert second.duplicate_of == first
    assert not AuditLogEntry.objects.filter(action="event.split").exists()


def test_merge_and_split_refuse_nonsense(coordinator, organization):
    event = entered(organization)
    hidden = entered(organization, title="Entwurf", published=False)

    with pytest.raises(dedup_services.DuplicateError):
        merge_events(event, event, actor=coordinator)
    with pytest.raises(dedup_services.DuplicateError):
        merge_events(event, hidden, actor=coordinator)
    with pytest.raises(dedup_services.DuplicateError):
        split_event(event, actor=coordinator)


def test_suspected_duplicates_are_listed_but_not_merged(before_2030, organization, other_organization):
    a = entered(organization, title="Netzwerktreffen Kunststoff und Recycling")
    b = entered(
        other_organization,
        title="Kunststoff-Netzwerktreffen",
        start=berlin(2030, 3, 10, 14),
        end=berlin(2030, 3, 10, 16),
    )

    assert not Event.objects.filter(duplicate_of__isnull=False).exists()
    assert [(x, y) for x, y, _score in dedup_queries.suspected_duplicates()] == [(a, b)]
    # A decision of "different" takes the pair off the list.
    DuplicateDecision.objects.create(key_a=a.identity, key_b=b.identity, decision="different")
    assert dedup_queries.suspected_duplicates() == []


# Query counts ---------------------------------------------------------------------------------------


def test_event_list_query_count_with_duplicates_does_not_grow(
    client, organization, other_organization, django_assert_num_queries
):
    """Duplicates on the page add their organisers and topics: two queries, however many there are."""
    topic = TopicFactory()
    for day in (10, 11):
        entered(organization, start=berlin(2030, 3, day, 10), end=berlin(2030, 3, day, 12), topics=[topic])
        entered(other_organization, start=berlin(2030, 3, day, 10), end=berlin(2030, 3, day, 12))
    # count, events, organisers, topics, duplicates, their organisers and topics; after a write also the
    # cached facts (cities, longest duration) and the filter form's organiser and topic choices
    with django_assert_num_queries(11):
        assert len(listed_organizers(client)) == 2
    with django_assert_num_queries(7):
        assert len(listed_organizers(client)) == 2
    for day in (12, 13, 14):
        entered(organization, start=berlin(2030, 3, day, 10), end=berlin(2030, 3, day, 12), topics=[topic])
        entered(OrganizationFactory(), start=berlin(2030, 3, day, 10), end=berlin(2030, 3, day, 12))
    with django_assert_num_queries(11):
        assert len(listed_organizers(client)) == 5
    with django_assert_num_queries(7):
        assert len(listed_organizers(client)) == 5


def test_event_of_two_networks_imported_by_the_command_is_listed_once(client, feed_a, feed_b, loopback):
    """The whole path: two organisations' feeds on the loopback server, `import-feeds`, the public list."""
    from django.core.management import call_command
    from django.utils import timezone

    start = (timezone.now() + dt.timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    stamp = "%Y%m%dT%H%M%SZ"

    def feed(uid, title, minutes, other):
        begin = start + dt.timedelta(minutes=minutes)
        return ics(
            (
                f"UID:{uid}",
                f"DTSTART:{begin.strftime(stamp)}",
                f"DTEND:{(begin + dt.timedelta(hours=3)).strftime(stamp)}",
                f"SUMMARY:{title}",
                "LOCATION:Volkshaus, Carl-Zeiß-Platz 15, Jena",
            ),
            ("UID:other", f"DTSTART:{start.strftime(stamp)}", f"SUMMARY:{other}", "LOCATION:Gera"),
        )

    loopback.serve("/a.ics", feed("forum@netz-a", "Wasserstoff-Forum Thüringen", 0, "Kunststofftag"))
    loopback.serve("/b.ics", feed("wasserstoff@netz-b", "Wasserstoffforum Thueringen", 15, "Recyclingmesse"))

    call_command("import-feeds")

    response = client.get(reverse("events:list"))
    listed = [(e.title, sorted(o.name for o in e.listed_organizers)) for e in response.context["events"]]
    assert sorted(listed) == [
        ("Kunststofftag", ["PolymerNetz Thüringen"]),
        ("Recyclingmesse", ["Anderes Netzwerk"]),
        ("Wasserstoff-Forum Thüringen", ["Anderes Netzwerk", "PolymerNetz Thüringen"]),
    ]
    html = response.content.decode()
    assert html.count("Wasserstoff-Forum Thüringen") == 1 and "Wasserstoffforum Thueringen" not in html
