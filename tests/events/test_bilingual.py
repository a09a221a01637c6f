"""Events in German and English: the manager form, the English pages and the German fallback."""

import datetime as dt

import pytest
from django.urls import reverse

from crosscluster.events.models import Event
from tests.factories import EventFactory

from .test_manage_views import event_data

pytestmark = pytest.mark.django_db


def test_manager_enters_an_english_title_and_description(client, manager, organization):
    client.force_login(manager)

    client.post(
        reverse("manage:event-create"),
        event_data(organization, title_en="New event", description_en="<p>Text <script>x</script></p>"),
    )

    event = Event.objects.get(title="Neue Veranstaltung")
    assert (event.title_de, event.title_en) == ("Neue Veranstaltung", "New event")
    assert event.description_en == "<p>Text </p>"


def test_english_event_page_shows_english_and_marks_german_fallback(client, organization):
    event = EventFactory(organizers=[organization], title="Tagung", title_en="Conference")
    german_only = EventFactory(
        organizers=[organization],
        title="Stammtisch",
        venue="Ratskeller",
        start=event.start + dt.timedelta(days=1),
    )
    urls = ["/en" + event.get_absolute_url(), "/en" + reverse("events:list")]  # before /en/ is active

    page, listing = (client.get(url).content.decode() for url in urls)

    assert "<h1>Conference</h1>" in page
    assert '<div class="event-description" lang="de">' in page
    assert f'<a href="/en/veranstaltungen/{german_only.pk}/" lang="de">Stammtisch</a>' in listing
    assert f'<a href="/en/veranstaltungen/{event.pk}/">Conference</a>' in listing
