"""The Kooperationsbörse end to end: a company submits a technology request → confirms its e-mail → a manager
of the fitting network approves it → the office's board "Wer passt zu wem" shows the published offer as its
counterpart with reasons → the office introduces them → the offer's owner accepts → both get each other's
contact details. The profile is then found by the site search and is in the digest of its topic. Every page
passes axe-core, and no request leaves the host.

The proposals come from the real matching engine (cooperation.matching, the routing encoder), computed by
the task that runs when the request is published.
"""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from crosscluster.cooperation.models import CooperationProfile, Introduction, hash_token
from crosscluster.core.models import OutgoingMail
from crosscluster.digest.content import DigestMaterial
from crosscluster.directory.models import Organization, Topic
from tests.browser.pages import log_in
from tests.factories import CooperationProfileFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

REQUEST_TEXT = (
    "Wir fertigen Spritzgussteile und suchen ein Verfahren, um Mischkunststoffe aus der Produktion "
    "sortenrein zu recyceln und als Rezyklat wieder einzusetzen."
)


def link_path(mail: OutgoingMail, segment: str) -> str:
    """The path of the first link to `/kooperationen/<segment>/…` in the mail (mails name SITE_URL)."""
    found = re.search(rf"https?://\S+?(/kooperationen/{segment}/\S+?/)(?:\s|$)", mail.body_text)
    assert found, mail.body_text
    return urlsplit(found.group(1)).path


@pytest.fixture
def exchange(demo_directory):
    """The demo directory, the office, and a published technology offer about recycling plastics."""
    office = UserFactory(email="koordination@example.org", is_coordinator=True)
    topic = Topic.objects.get(slug="kreislaufwirtschaft")
    offer = CooperationProfileFactory(
        kind=CooperationProfile.Kind.TECHNOLOGY_OFFER,
        title="Sortiertechnik für Mischkunststoffe",
        text="Ein Institut bietet ein Verfahren, Mischkunststoffe sortenrein zu trennen und aufzubereiten.",
        contact_name="Otto Angebot",
        email="otto@angebot.example.org",
        company_name="Angebot Recycling AG",
        owner_token_hash=hash_token("angebots-token"),
        topics=[topic],
    )
    return office, topic, offer


def test_request_is_confirmed_approved_introduced_and_accepted(page, exchange, axe, request_log):
    office, topic, offer = exchange

    # The company: the exchange, "Profil einreichen", the form.
    page.goto("/kooperationen/")
    assert axe(page) == []
    page.get_by_role("link", name="Profil einreichen").click()
    page.wait_for_url("**/kooperationen/einreichen/")
    assert axe(page) == []
    page.get_by_label("Technologiegesuch").check()
    page.get_by_role("textbox", name="Titel").fill("Recycling von Mischkunststoffen gesucht")
    page.get_by_role("textbox", name="Beschreibung").fill(REQUEST_TEXT)
    page.get_by_role("checkbox", name="Kreislaufwirtschaft und Recycling").check()
    page.get_by_role("textbox", name="Unternehmen oder Institut").fill("Kunde Kunststofftechnik GmbH")
    page.get_by_role("textbox", name="Ansprechperson").fill("Klara Kunde")
    page.get_by_role("textbox", name="E-Mail").fill("klara@kunde.example.org")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Profil einreichen").click()
    page.wait_for_url("**/kooperationen/einreichen/danke/")
    assert axe(page) == []
    profile = CooperationProfile.objects.get(state=CooperationProfile.State.UNCONFIRMED)

    # It confirms its address with the link from the mail.
    owner_path = link_path(OutgoingMail.objects.get(to="klara@kunde.example.org"), "profil")
    page.goto(owner_path)
    assert axe(page) == []
    page.get_by_role("button", name="Meine E-Mail-Adresse bestätigen").click()
    page.wait_for_url(f"**{owner_path}")
    assert page.get_by_text("Wartet auf Prüfung").count() >= 1
    profile.refresh_from_db()
    network = profile.reviewing_organization
    assert network is not None and network.topics.filter(pk=topic.pk).exists()

    # A manager of that network approves it.
    reviewer = UserFactory(email="pruefung@netzwerk.example.org")
    MembershipFactory(user=reviewer, organization=network)
    log_in(page, reviewer.email)
    page.goto("/manage/kooperationen/")
    assert axe(page) == []
    page.get_by_role("link", name=re.compile("Recycling von Mischkunststoffen gesucht")).click()
    assert axe(page) == []
    page.get_by_role("button", name="Freigeben und veröffentlichen").click()
    page.wait_for_url(f"**/manage/kooperationen/{profile.pk}/")
    assert page.get_by_text("Das Profil wurde veröffentlicht.").count() == 1
    profile.refresh_from_db()
    assert profile.state == CooperationProfile.State.PUBLISHED
    page.get_by_role("button", name="Abmelden").click()

    # The office's board shows the offer as the request's counterpart, with reasons; it introduces them.
    log_in(page, office.email)
    page.goto("/manage/kooperationen/wer-passt-zu-wem/")
    assert axe(page) == []
    pair = page.locator(".pair-list > li").filter(has_text=offer.reference)
    assert pair.count() == 1
    assert profile.reference in pair.inner_text()
    assert pair.locator(".reasons li").count() >= 1
    pair.get_by_label("Hinweis für die Inhaber").fill("Ihr Verfahren passt genau zu diesem Gesuch.")
    pair.get_by_role("button", name=re.compile("Vorstellen")).click()
    page.wait_for_url("**/manage/kooperationen/wer-passt-zu-wem/")
    assert page.locator(".pair-list > li").filter(has_text=offer.reference).count() == 0
    introduction = Introduction.objects.get()
    assert (introduction.profile, introduction.counterpart) == (offer, profile)
    page.get_by_role("button", name="Abmelden").click()

    # The offer's owner reads the request (no address yet) and accepts.
    decision_path = link_path(OutgoingMail.objects.filter(to=offer.email).latest("id"), "kontakt")
    page.goto(decision_path)
    assert axe(page) == []
    assert page.get_by_text("klara@kunde.example.org").count() == 0
    page.get_by_role("button", name="Annehmen und Kontaktdaten austauschen").click()
    page.wait_for_url(f"**{decision_path}")
    assert page.get_by_role("link", name="klara@kunde.example.org").count() == 1
    assert axe(page) == []

    # Both have the other's contact details in their mail.
    to_offer = OutgoingMail.objects.filter(to=offer.email, subject__startswith="Kontaktdaten").get()
    to_request = OutgoingMail.objects.filter(
        to="klara@kunde.example.org", subject__startswith="Kontaktdaten"
    ).get()
    assert "klara@kunde.example.org" in to_offer.body_text and "Klara Kunde" in to_offer.body_text
    assert "otto@angebot.example.org" in to_request.body_text and "Otto Angebot" in to_request.body_text

    # The published request is found by the site search, anonymously, and is in its topic's digest.
    page.goto("/suche/?q=Mischkunststoffe")
    results = page.locator("#group-cooperation").locator("xpath=..")
    assert results.get_by_role("link", name="Recycling von Mischkunststoffen gesucht").count() == 1
    assert page.get_by_text("Kunde Kunststofftechnik GmbH").count() == 0
    assert axe(page) == []
    now = timezone.now()
    material = DigestMaterial(since=now - dt.timedelta(days=7), until=now)
    assert profile in material.for_topics([topic.pk]).cooperation
    assert request_log.external == []
    assert Organization.objects.filter(pk=network.pk).exists()
