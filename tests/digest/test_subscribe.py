"""The subscribe form: double opt-in, no leak about known addresses, honeypot and rate limits."""

import re

import pytest
from django.conf import settings

from crosscluster.accounts import throttling as accounts_throttling
from crosscluster.core.models import OutgoingMail
from crosscluster.digest.models import Subscriber
from tests.digest.conftest import SubscriberFactory

URL = "/digest/"


def form_data(*topics, email="anna@firma.example", **extra):
    return {"email": email, "topics": [topic.pk for topic in topics], "consent": "on", **extra}


def confirm_link(mail: OutgoingMail) -> str:
    return re.search(r"https?://\S+/digest/confirm/\S+/", mail.body_text).group(0)


@pytest.mark.django_db
def test_subscribe_form_lists_topics_as_checkboxes(client, digitalisation, energy):
    html = client.get(URL).content.decode()
    assert 'type="checkbox" name="topics"' in html
    assert "Digitalisierung" in html and "Energie" in html
    assert 'name="homepage"' in html
    assert "checked" not in html
    assert 'href="#privacy-digest"' in html
    assert f'id="privacy-digest">Wochenüberblick (Version {settings.DIGEST_CONSENT_VERSION})' in html


@pytest.mark.django_db
def test_subscribe_form_preselects_the_topic_from_the_query(client, digitalisation, energy):
    html = client.get(URL, {"topic": "digitalisierung"}).content.decode()
    checked = re.findall(r'<input type="checkbox" name="topics" value="(\d+)"[^>]*checked', html)
    assert checked == [str(digitalisation.pk)]


@pytest.mark.django_db
def test_subscribe_stores_an_unconfirmed_request_and_mails_a_confirmation(client, digitalisation):
    response = client.post(URL, form_data(digitalisation, email=" Anna@Firma.example "))

    assert response.status_code == 302
    assert response["Location"] == "/digest/check-inbox/"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "anna@firma.example"
    assert subscriber.confirmed_at is None
    assert subscriber.language == "de"
    assert subscriber.consent_version == settings.DIGEST_CONSENT_VERSION
    assert list(subscriber.topics.all()) == [digitalisation]
    mail = OutgoingMail.objects.get()
    assert mail.to == "anna@firma.example"
    assert "Bitte bestätigen" in mail.subject
    assert confirm_link(mail).endswith(f"/digest/confirm/{subscriber.token}/")
    assert "Digitalisierung" in mail.body_text
    assert mail.topic == f"digest.subscriber:{subscriber.pk}"


@pytest.mark.django_db
def test_subscribe_in_english_stores_english_and_mails_in_english(client, digitalisation):
    client.post("/en" + URL, form_data(digitalisation))

    subscriber = Subscriber.objects.get()
    assert subscriber.language == "en"
    mail = OutgoingMail.objects.get()
    assert mail.subject.startswith("Please confirm your subscription")
    assert f"/en/digest/confirm/{subscriber.token}/" in mail.body_text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": ""}, "Bitte stimmen Sie dem Datenschutzhinweis zu"),
        ({"topics": []}, "Bitte wählen Sie mindestens ein Thema"),
        ({"email": "keine-adresse"}, "gültige E-Mail-Adresse"),
    ],
)
def test_subscribe_refuses_incomplete_forms(client, digitalisation, change, message):
    response = client.post(URL, {**form_data(digitalisation), **change})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_subscribing_a_known_address_answers_the_same_and_changes_nothing(client, digitalisation, energy):
    known = SubscriberFactory(email="anna@firma.example", topics=[energy])
    new = client.post(URL, form_data(digitalisation, email="neu@firma.example"))
    again = client.post(URL, form_data(digitalisation, email="anna@firma.example"))

    assert (again.status_code, again["Location"]) == (new.status_code, new["Location"])
    known.refresh_from_db()
    assert list(known.topics.all()) == [energy]
    assert known.is_confirmed
    mail = OutgoingMail.objects.get(to="anna@firma.example")
    assert f"/digest/manage/{known.token}/" in mail.body_text
    assert "/confirm/" not in mail.body_text


@pytest.mark.django_db
def test_subscribing_again_before_confirming_takes_the_new_topics(client, digitalisation, energy):
    client.post(URL, form_data(energy))
    client.post("/en" + URL, form_data(digitalisation))

    subscriber = Subscriber.objects.get()
    assert list(subscriber.topics.all()) == [digitalisation]
    assert subscriber.language == "en"
    assert subscriber.confirmed_at is None
    assert OutgoingMail.objects.filter(to="anna@firma.example").count() == 2


@pytest.mark.django_db
def test_honeypot_pretends_success_and_stores_nothing(client, digitalisation):
    response = client.post(URL, form_data(digitalisation, homepage="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == "/digest/check-inbox/"
    assert not Subscriber.objects.exists()
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_rate_limit_per_address(client, digitalisation, settings):
    settings.DIGEST_LIMIT_PER_EMAIL = 2
    statuses = [client.post(URL, form_data(digitalisation)).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert OutgoingMail.objects.count() == 2
    assert "Bitte warten Sie" in client.post(URL, form_data(digitalisation)).content.decode()


@pytest.mark.django_db
def test_rate_limit_per_client_counts_different_addresses(client, digitalisation, settings):
    settings.DIGEST_LIMIT_PER_CLIENT = 2
    statuses = [
        client.post(URL, form_data(digitalisation, email=f"a{n}@firma.example")).status_code for n in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert Subscriber.objects.count() == 2


@pytest.mark.django_db
def test_rate_limit_ends_after_the_window(client, digitalisation, settings, monkeypatch):
    settings.DIGEST_LIMIT_PER_EMAIL = 1
    moment = [1_000_000.0]
    monkeypatch.setattr(accounts_throttling, "_now", lambda: moment[0])
    assert client.post(URL, form_data(digitalisation)).status_code == 302
    assert client.post(URL, form_data(digitalisation)).status_code == 429

    moment[0] += settings.DIGEST_LIMIT_WINDOW_SECONDS + 1
    assert client.post(URL, form_data(digitalisation)).status_code == 302


@pytest.mark.django_db
def test_privacy_page_includes_the_digest_notice(client):
    html = client.get("/datenschutz/").content.decode()

    assert f'id="privacy-digest">Wochenüberblick (Version {settings.DIGEST_CONSENT_VERSION})' in html
