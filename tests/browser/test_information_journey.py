"""Issue 5's journey: a company searches from the header, finds a notice, opens its topic page, subscribes to
the weekly digest, confirms through the link in the mail, receives a digest with an event of that topic, and
unsubscribes with one click (RFC 8058) — with axe checks on the digest pages and no request leaving the
host."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from crosscluster.core.models import OutgoingMail
from crosscluster.digest.models import Subscriber
from crosscluster.directory.models import Organization, Topic
from tests.factories import EventFactory, NoticeFactory

pytestmark = pytest.mark.browser

EMAIL = "einkauf@mustermann-gmbh.example"
# Links in mails start with settings.SITE_URL; the browser goes to the live server instead.
SITE_URL = settings.SITE_URL.rstrip("/")


@pytest.fixture
def information(demo_directory):
    """A notice about funding for digitalisation and a coming event of the same topic."""
    topic = Topic.objects.get(slug="digitalisierung")
    organization = Organization.objects.filter(topics=topic, published=True).order_by("name").first()
    notice = NoticeFactory(
        organization=organization,
        region=organization.region,
        title="Neue Fördermittel für die Digitalisierung im Mittelstand",
        body="Das Land fördert **Digitalisierungsprojekte** kleiner Unternehmen mit Zuschüssen.",
        topics=[topic],
    )
    event = EventFactory(
        title="Sprechtag Digitalbonus",
        organizers=[organization],
        topics=[topic],
        start=timezone.now().replace(microsecond=0) + datetime.timedelta(days=4),
    )
    return topic, notice, event


def mail_link(pattern: str) -> str:
    mail = OutgoingMail.objects.filter(to=EMAIL).order_by("-pk").first()
    return re.search(pattern, mail.body_text).group(0)


def test_information_journey_search_topic_subscribe_confirm_receive_unsubscribe(
    page, information, request_log, axe, live_server
):
    topic, notice, event = information

    # Search from the header of the home page; the results come grouped by kind.
    page.goto("/")
    header_search = page.get_by_role("search").first
    header_search.get_by_role("searchbox").fill("Fördermittel Digitalisierung")
    header_search.get_by_role("button").click()
    page.wait_for_url("**/suche/?*")
    groups = page.locator(".search-group h2").all_inner_texts()
    assert any(label.startswith("Hinweise") for label in groups), groups

    # The notice leads to its topic page, and the topic page to the digest with the topic preselected.
    page.locator(".search-group").get_by_role("link", name=notice.title).click()
    page.wait_for_url(f"**{notice.get_absolute_url()}")
    page.get_by_role("link", name=topic.name, exact=True).first.click()
    page.wait_for_url(f"**{topic.get_absolute_url()}")
    page.get_by_role("main").get_by_role("link", name="Wochenüberblick abonnieren").click()
    page.wait_for_url("**/digest/?topic=digitalisierung")
    assert page.get_by_role("checkbox", name=topic.name).is_checked()
    assert axe(page) == []

    page.get_by_role("textbox", name=re.compile("^E-Mail-Adresse")).fill(EMAIL)
    page.get_by_role("checkbox", name=re.compile("Ich bin einverstanden")).check()
    page.get_by_role("button", name="Abonnieren").click()
    page.wait_for_url("**/digest/check-inbox/")
    assert not Subscriber.objects.get(email=EMAIL).is_confirmed

    # Confirm through the link of the mail: the GET only asks, the button confirms.
    confirm_url = mail_link(r"https?://\S+/digest/confirm/[\w-]+/")
    page.goto(confirm_url.replace(SITE_URL, live_server.url))
    assert axe(page) == []
    assert not Subscriber.objects.get(email=EMAIL).is_confirmed
    page.get_by_role("button", name="Mein Abonnement bestätigen").click()
    page.wait_for_url("**/digest/manage/*/?done=confirmed")
    assert page.get_by_role("status").filter(has_text="bestätigt").count() == 1
    assert axe(page) == []
    subscriber = Subscriber.objects.get(email=EMAIL)
    assert subscriber.is_confirmed
    assert list(subscriber.topics.all()) == [topic]

    # The weekly run sends the digest: the event and the notice of the topic are in it.
    call_command("send-digest", "--force")
    digest = OutgoingMail.objects.filter(to=EMAIL, headers__has_key="List-Unsubscribe").get()
    assert event.title in digest.body_text and event.title in digest.body_html
    assert notice.title in digest.body_text
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # One click in the mail program: a POST without cookies or CSRF token to the List-Unsubscribe URL.
    unsubscribe_url = digest.headers["List-Unsubscribe"].strip("<>").replace(SITE_URL, live_server.url)
    page.goto(unsubscribe_url)  # opening the link only asks
    assert Subscriber.objects.filter(email=EMAIL).exists()
    assert axe(page) == []
    response = page.request.post(
        unsubscribe_url,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert not Subscriber.objects.filter(email=EMAIL).exists()
    assert not OutgoingMail.objects.filter(to=EMAIL).exists()
    assert request_log.external == []
