"""Clashes for the coordination office: events of different networks on one day and topic."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from crosscluster.events.clashes import find_clashes
from crosscluster.events.times import local
from tests.factories import EventFactory, OrganizationFactory, TopicFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db
URL = reverse("manage:event-clashes")


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


@pytest.fixture
def today():
    return local(timezone.now()).date()


def summary(days):
    return [
        (day.date, [(clash.topic.slug, [event.title for event in clash.events]) for clash in day.clashes])
        for day in days
    ]


def test_clashes_are_grouped_by_day_and_topic(today, organization, other_organization, topic):
    h2 = TopicFactory(slug="wasserstoff", name="Wasserstoff")
    day1, day2 = today + dt.timedelta(days=5), today + dt.timedelta(days=6)
    EventFactory(organizers=[organization], topics=[topic, h2], title="A", start=at(day1, 9))
    EventFactory(organizers=[other_organization], topics=[topic], title="B", start=at(day1, 14))
    # Same topic, same day, but the same network: planned together, no clash.
    EventFactory(organizers=[organization], topics=[h2], title="C", start=at(day1, 18))
    # A joint event with a shared organiser does not clash with that organiser's own.
    EventFactory(organizers=[organization, other_organization], topics=[h2], title="D", start=at(day2, 9))
    EventFactory(organizers=[other_organization], topics=[h2], title="E", start=at(day2, 12))
    # Different topics do not clash.
    EventFactory(organizers=[OrganizationFactory()], topics=[TopicFactory()], title="F", start=at(day2, 9))
    # A two-day event clashes on its second day.
    EventFactory(
        organizers=[OrganizationFactory(slug="dritte")],
        topics=[h2],
        title="G",
        all_day=True,
        start=at(day1, 0),
        end=at(day2 + dt.timedelta(days=1), 0),
    )

    assert summary(find_clashes(today)) == [
        (day1, [("kunststoffe", ["A", "B"]), ("wasserstoff", ["G", "A", "C"])]),
        (day2, [("wasserstoff", ["G", "D", "E"])]),
    ]


def test_clashes_look_90_days_ahead_at_public_events_only(today, organization, other_organization, topic):
    far = today + dt.timedelta(days=90)
    EventFactory(organizers=[organization], topics=[topic], start=at(far, 9))
    EventFactory(organizers=[other_organization], topics=[topic], start=at(far, 10))
    near = today + dt.timedelta(days=3)
    EventFactory(organizers=[organization], topics=[topic], start=at(near, 9))
    EventFactory(organizers=[other_organization], topics=[topic], start=at(near, 10), published=False)

    assert find_clashes(today) == []


@pytest.mark.parametrize(("role", "status"), [("manager", 403), ("outsider", 403), ("coordinator", 200)])
def test_clash_page_is_for_the_coordination_office(client, request, role, status):
    client.force_login(request.getfixturevalue(role))

    assert client.get(URL).status_code == status


def test_clash_page_asks_anonymous_visitors_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={URL}"


def test_clash_page_lists_the_clashing_events(
    client, coordinator, today, organization, other_organization, topic
):
    day = today + dt.timedelta(days=2)
    first = EventFactory(organizers=[organization], topics=[topic], title="Kunststofftag", start=at(day, 9))
    EventFactory(organizers=[other_organization], topics=[topic], title="Polymerabend", start=at(day, 18))
    client.force_login(coordinator)

    response = client.get(URL)

    html = response.content.decode()
    assert f'<time datetime="{day:%Y-%m-%d}">' in html
    assert "Kunststoffe und Polymere" in html
    assert f'href="{reverse("manage:event-edit", kwargs={"pk": first.pk})}"' in html
    assert html.index("Kunststofftag") < html.index("Polymerabend")
    assert "PolymerNetz Thüringen" in html and "Anderes Netzwerk" in html


def test_manager_event_list_links_the_clashes_for_the_office_only(client, coordinator, manager):
    client.force_login(coordinator)
    assert f'href="{URL}"' in client.get(reverse("manage:events")).content.decode()

    client.force_login(manager)
    assert f'href="{URL}"' not in client.get(reverse("manage:events")).content.decode()
