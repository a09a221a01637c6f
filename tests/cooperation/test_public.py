"""The public Kooperationsbörse: the list with filters, the anonymous detail page, the form, the feeds,
English, and the owner's private pages through the token (which open exactly one profile)."""

import datetime as dt
import re
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from crosscluster.cooperation.models import CooperationProfile, hash_token
from crosscluster.core.models import OutgoingMail
from tests.factories import CooperationProfileFactory, RegionFactory

Kind = CooperationProfile.Kind
State = CooperationProfile.State


@pytest.fixture
def profiles(region, topic):
    other_region = RegionFactory(slug="sachsen", name="Sachsen")
    return {
        "offer": CooperationProfileFactory(title="Angebot Recycling", topics=[topic], region=region),
        "request": CooperationProfileFactory(
            title="Request for optics", kind=Kind.TECHNOLOGY_REQUEST, language="en", region=other_region
        ),
        "research": CooperationProfileFactory(title="Konsortium Wasserstoff", kind=Kind.RESEARCH_PARTNER),
        "draft": CooperationProfileFactory(title="Noch nicht geprüft", state=State.SUBMITTED),
        "withdrawn": CooperationProfileFactory(title="Zurückgezogen", state=State.WITHDRAWN),
    }


def titles(response) -> set[str]:
    return {profile.title for profile in response.context["profiles"]}


def test_list_shows_only_public_profiles(client, profiles, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get("/kooperationen/")
    assert response.status_code == 200
    assert titles(response) == {"Angebot Recycling", "Request for optics", "Konsortium Wasserstoff"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=technology-request", {"Request for optics"}),
        ("topic=kunststoffe", {"Angebot Recycling"}),
        ("region=sachsen", {"Request for optics"}),
        ("language=en", {"Request for optics"}),
        ("kind=research-partner&language=de", {"Konsortium Wasserstoff"}),
    ],
)
def test_list_filters_by_kind_topic_region_language(client, profiles, query, expected):
    assert titles(client.get(f"/kooperationen/?{query}")) == expected


def test_list_reports_an_invalid_filter_and_ignores_it(client, profiles):
    response = client.get("/kooperationen/?kind=nonsense")
    assert response.context["form"].errors
    assert len(titles(response)) == 3


def test_detail_is_anonymous_by_default(client, profiles):
    offer = profiles["offer"]
    response = client.get(f"/kooperationen/{offer.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert offer.title in body
    assert offer.company_name not in body
    assert offer.contact_name not in body
    assert offer.email not in body


def test_detail_shows_company_when_the_owner_chose_so(client, topic):
    profile = CooperationProfileFactory(show_identity=True, company_name="Offen GmbH")
    body = client.get(f"/kooperationen/{profile.pk}/").content.decode()
    assert "Offen GmbH" in body
    assert profile.email not in body


@pytest.mark.parametrize("name", ["draft", "withdrawn"])
def test_detail_of_a_profile_that_is_not_public_is_404(client, profiles, name):
    assert client.get(f"/kooperationen/{profiles[name].pk}/").status_code == 404


def test_list_and_detail_in_english(client, profiles):
    response = client.get("/en/kooperationen/")
    assert response.status_code == 200
    assert "Cooperation exchange" in response.content.decode()
    assert "Technology request" in client.get(f"/en/kooperationen/{profiles['request'].pk}/").content.decode()


def test_german_list_is_german(client, profiles):
    body = client.get("/kooperationen/").content.decode()
    assert "Kooperationsbörse" in body
    assert "Profil einreichen" in body


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_feeds_list_public_profiles_with_filters(client, profiles, feed):
    response = client.get(reverse(f"cooperation:{feed}") + "?kind=technology-offer")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    text = ElementTree.tostring(root, encoding="unicode")
    assert "Angebot Recycling" in text
    assert "Request for optics" not in text
    assert "Noch nicht geprüft" not in text
    assert profiles["offer"].email not in text


def form_data(topic, **fields):
    return {
        "kind": "technology-request",
        "title": "Gesucht: Sensorik für Spritzguss",
        "text": "Wir suchen Sensoren, die Fehler im Spritzguss früh erkennen.",
        "partner_wanted": "Institut",
        "topics": [topic.pk],
        "language": "de",
        "company_name": "Form GmbH",
        "contact_name": "Fritz Form",
        "email": "fritz@form.example",
        "consent": "on",
        **fields,
    }


def test_submit_form_stores_unconfirmed_and_mails_the_link(client, topic):
    response = client.post("/kooperationen/einreichen/", form_data(topic))
    assert response.status_code == 302
    profile = CooperationProfile.objects.get()
    assert profile.state == State.UNCONFIRMED
    assert list(profile.topics.all()) == [topic]
    mail = OutgoingMail.objects.get()
    assert re.search(r"/kooperationen/profil/[\w-]+/", mail.body_text)


def test_submit_form_without_consent_shows_the_error(client, topic):
    data = form_data(topic)
    del data["consent"]
    response = client.post("/kooperationen/einreichen/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["consent"]
    assert not CooperationProfile.objects.exists()


def test_submit_form_honeypot_stores_nothing(client, topic):
    response = client.post("/kooperationen/einreichen/", form_data(topic, homepage="http://spam.example"))
    assert response.status_code == 302
    assert not CooperationProfile.objects.exists()


def test_submit_form_renders_with_every_field_labelled(client, topic):
    response = client.get("/kooperationen/einreichen/")
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("title", "text", "company_name", "contact_name", "email", "call", "roles", "expires_at"):
        assert f'for="id_{name}"' in body


# The owner's token ------------------------------------------------------------------------------------


@pytest.fixture
def owned(db):
    mine = CooperationProfileFactory(
        title="Mein Profil", state=State.UNCONFIRMED, owner_token_hash=hash_token("mein-token")
    )
    theirs = CooperationProfileFactory(title="Fremdes Profil", owner_token_hash=hash_token("fremder-token"))
    return mine, theirs


def test_owner_page_shows_only_its_own_profile(client, owned):
    response = client.get("/kooperationen/profil/mein-token/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Mein Profil" in body
    assert "Fremdes Profil" not in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/kooperationen/profil/falsch/",
        "/kooperationen/profil/falsch/bearbeiten/",
        "/kooperationen/profil/falsch/zurueckziehen/",
    ],
)
def test_owner_pages_with_an_unknown_token_are_404(client, owned, path):
    assert client.get(path).status_code == 404


def test_owner_confirms_by_post_not_by_get(client, owned, topic):
    mine, _theirs = owned
    client.get("/kooperationen/profil/mein-token/")
    mine.refresh_from_db()
    assert mine.state == State.UNCONFIRMED

    response = client.post("/kooperationen/profil/mein-token/", {"action": "confirm"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == State.SUBMITTED


def test_owner_edits_own_profile_through_the_token(client, owned, topic):
    mine, theirs = owned
    data = form_data(topic, title="Geänderter Titel")
    del data["consent"]
    response = client.post("/kooperationen/profil/mein-token/bearbeiten/", data)
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.title == "Geänderter Titel"
    assert theirs.title == "Fremdes Profil"


def test_owner_withdraws_and_the_link_dies(client, owned):
    mine, theirs = owned
    response = client.post("/kooperationen/profil/mein-token/zurueckziehen/", {"confirm": "yes"})
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.state == State.WITHDRAWN and mine.erased_at is not None
    assert client.get("/kooperationen/profil/mein-token/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.erased_at is None


def test_owner_renews_a_published_profile(client, db, time_machine):
    time_machine.move_to(dt.datetime(2030, 5, 1, 9, tzinfo=dt.UTC))
    profile = CooperationProfileFactory(
        expires_at=dt.date(2030, 5, 10), owner_token_hash=hash_token("erneuern")
    )
    response = client.post("/kooperationen/profil/erneuern/verlaengern/")
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.expires_at == dt.date(2031, 5, 1)


def test_privacy_page_mentions_the_cooperation_exchange(client, db):
    body = client.get(reverse("directory:privacy")).content.decode()
    assert 'id="privacy-cooperation"' in body


def test_nav_links_to_the_cooperation_exchange(client, db):
    assert 'href="/kooperationen/"' in client.get(reverse("directory:list")).content.decode()


def test_submit_form_is_rate_limited_per_address(client, topic, settings):
    settings.COOPERATION_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        assert client.post("/kooperationen/einreichen/", form_data(topic)).status_code == 302
    response = client.post("/kooperationen/einreichen/", form_data(topic))
    assert response.status_code == 429
    assert CooperationProfile.objects.count() == 2
    assert OutgoingMail.objects.count() == 2
