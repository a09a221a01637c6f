"""The embeddable widget: a frameable list of upcoming events, the script that inserts it, the embed code."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db
WIDGET = reverse("events:widget")


def test_widget_lists_upcoming_events_of_the_organization(client, organization, other_organization):
    soon = EventFactory(organizers=[organization], title="Kunststofftag")
    EventFactory(organizers=[other_organization], title="Fremd")
    EventFactory(organizers=[organization], title="Vorbei", start=timezone.now() - dt.timedelta(days=2))

    response = client.get(f"{WIDGET}?organizer=polymer-netz")

    assert response.status_code == 200
    assert [event.title for event in response.context["events"]] == ["Kunststofftag"]
    html = response.content.decode()
    assert f'href="http://testserver{soon.get_absolute_url()}" target="_blank" rel="noopener"' in html
    assert 'class="site-header"' not in html  # no site chrome
    assert '<html lang="de">' in html
    # Nothing but this site: no third-party scripts, styles or fonts.
    assert "<script" not in html
    assert "https://" not in html.replace("https://schema.org", "")


def test_widget_by_topic(client, organization, other_organization, topic):
    EventFactory(organizers=[other_organization], topics=[topic], title="Polymerabend")
    EventFactory(organizers=[organization], title="Ohne Thema")

    response = client.get(f"{WIDGET}?topic=kunststoffe")

    assert [event.title for event in response.context["events"]] == ["Polymerabend"]


def test_only_the_widget_may_be_framed(client, organization):
    event = EventFactory(organizers=[organization])

    assert "X-Frame-Options" not in client.get(f"{WIDGET}?organizer=polymer-netz")
    for url in (reverse("events:list"), event.get_absolute_url(), organization.get_absolute_url()):
        assert client.get(url)["X-Frame-Options"] == "DENY"


def test_widget_script_inserts_a_titled_iframe_from_its_own_origin(client):
    from django.contrib.staticfiles import finders

    script = Path(finders.find("events/widget.js")).read_text(encoding="utf-8")

    assert 'createElement("iframe")' in script
    assert "/veranstaltungen/widget/" in script
    assert "frame.title" in script
    assert "new URL(script.src, document.baseURI).origin" in script
    # No request to anywhere but the origin the script came from.
    assert "http" not in script.replace("https://…/static/events/widget.js", "")


def test_organization_page_shows_its_events_and_the_embed_code(client, organization):
    EventFactory(organizers=[organization], title="Kunststofftag")

    html = client.get(organization.get_absolute_url()).content.decode()

    assert "Kunststofftag" in html
    assert (
        '&lt;script src="http://testserver/static/events/widget.js" data-organizer="polymer-netz"'
    ) in html
    assert '&lt;iframe src="http://testserver/veranstaltungen/widget/?organizer=polymer-netz"' in html
    assert 'value="http://testserver/organisationen/polymer-netz/veranstaltungen.ics"' in html
