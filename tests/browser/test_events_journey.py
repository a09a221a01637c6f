"""A company filters the Netzwerktimer by topic and organiser, opens an event and downloads its .ics; the
subscription URL of the same filters returns a calendar with the same events."""

import datetime
from pathlib import Path

import icalendar
import pytest
from django.utils import timezone

from crosscluster.directory.models import Organization, Topic
from tests.factories import EventFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def calendar(demo_directory):
    """Events of several networks: two match topic + organiser, the others one filter each."""
    topic = Topic.objects.get(slug="kunststoffe")
    organizer = Organization.objects.filter(topics=topic).order_by("name").first()
    other = Organization.objects.exclude(pk=organizer.pk).order_by("name").first()
    soon = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    matching = [
        EventFactory(title="Rezyklat im Spritzguss", organizers=[organizer], topics=[topic], start=soon),
        EventFactory(
            title="Werkstofftag Kunststoffe",
            organizers=[organizer, other],
            topics=[topic],
            start=soon + datetime.timedelta(days=5),
        ),
    ]
    EventFactory(title="Fremdes Thema", organizers=[organizer], start=soon)
    EventFactory(title="Anderer Veranstalter", organizers=[other], topics=[topic], start=soon)
    return topic, organizer, matching


def test_events_journey_filter_open_download_and_subscribe(page, calendar, request_log):
    topic, organizer, matching = calendar

    page.goto("/")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Veranstaltungen").click()
    page.wait_for_url("**/veranstaltungen/")
    page.select_option("#id_topic", topic.slug)
    page.get_by_label("Veranstalter").select_option(label=organizer.name)
    page.get_by_role("button", name="Veranstaltungen anzeigen").click()
    page.wait_for_url("**/veranstaltungen/?*")
    shown = page.locator(".event-card .card-title a").all_inner_texts()
    assert sorted(shown) == sorted(event.title for event in matching)
    filtered_url = page.url

    page.get_by_role("link", name="Werkstofftag Kunststoffe").click()
    page.wait_for_url("**/veranstaltungen/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Werkstofftag Kunststoffe"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="In meinen Kalender").click()
    single = icalendar.Calendar.from_ical(Path(download_info.value.path()).read_bytes())
    assert [str(e["SUMMARY"]) for e in single.walk("VEVENT")] == ["Werkstofftag Kunststoffe"]

    # The subscription URL of the same filters returns the same events.
    query = filtered_url.split("?", 1)[1]
    response = page.request.get(f"/veranstaltungen/kalender.ics?{query}")
    assert response.ok
    assert response.headers["content-type"].startswith("text/calendar")
    subscribed = icalendar.Calendar.from_ical(response.body())
    assert sorted(str(e["SUMMARY"]) for e in subscribed.walk("VEVENT")) == sorted(e.title for e in matching)
    assert request_log.external == []
