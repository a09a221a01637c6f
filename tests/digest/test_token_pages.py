"""The private link pages: confirm, manage and unsubscribe (one-click POST without CSRF; GET only asks)."""

import pytest
from django.test import Client

from crosscluster.core.models import OutgoingMail
from crosscluster.digest.models import Subscriber
from tests.digest.conftest import SubscriberFactory


@pytest.fixture
def csrf_client():
    """A client that checks CSRF tokens like the real site (the test client skips them by default)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def waiting(digitalisation):
    return SubscriberFactory(email="wartet@firma.example", confirmed_at=None, topics=[digitalisation])


@pytest.fixture
def subscriber(digitalisation):
    return SubscriberFactory(email="anna@firma.example", topics=[digitalisation])


def tampered(token: str) -> str:
    pk, _, signature = token.partition("-")
    return f"{pk}-{'0' if signature[0] != '0' else '1'}{signature[1:]}"


@pytest.mark.django_db
def test_confirm_link_get_asks_and_changes_nothing(client, waiting):
    response = client.get(f"/digest/confirm/{waiting.token}/")

    assert response.status_code == 200
    assert "Mein Abonnement bestätigen" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    waiting.refresh_from_db()
    assert waiting.confirmed_at is None


@pytest.mark.django_db
def test_confirm_post_confirms_and_leads_to_the_manage_page(client, waiting):
    response = client.post(f"/digest/confirm/{waiting.token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/digest/manage/{waiting.token}/?done=confirmed"
    waiting.refresh_from_db()
    assert waiting.confirmed_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Ihr Abonnement ist bestätigt" in page
    assert "wartet@firma.example" in page


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["confirm", "manage", "unsubscribe"])
def test_token_pages_refuse_unknown_and_tampered_tokens(client, subscriber, page):
    for token in (
        tampered(subscriber.token),
        "abc",
        f"{subscriber.pk + 1}-{subscriber.token.partition('-')[2]}",
    ):
        response = client.get(f"/digest/{page}/{token}/")
        assert response.status_code == 404
        assert "Dieser Link funktioniert nicht" in response.content.decode()


@pytest.mark.django_db
def test_manage_page_of_an_unconfirmed_subscription_leads_to_confirming(client, waiting):
    response = client.get(f"/digest/manage/{waiting.token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/digest/confirm/{waiting.token}/"


@pytest.mark.django_db
def test_manage_page_changes_topics_and_language(client, subscriber, energy):
    response = client.post(f"/digest/manage/{subscriber.token}/", {"topics": [energy.pk], "language": "en"})

    assert response.status_code == 302
    assert response["Location"] == f"/en/digest/manage/{subscriber.token}/?done=saved"
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
    assert list(subscriber.topics.all()) == [energy]


@pytest.mark.django_db
def test_manage_page_refuses_no_topics(client, subscriber, digitalisation):
    response = client.post(f"/digest/manage/{subscriber.token}/", {"language": "de"})

    assert response.status_code == 200
    assert "Bitte wählen Sie mindestens ein Thema" in response.content.decode()
    assert list(subscriber.topics.all()) == [digitalisation]


@pytest.mark.django_db
def test_manage_page_needs_the_csrf_token(csrf_client, subscriber, energy):
    response = csrf_client.post(
        f"/digest/manage/{subscriber.token}/", {"topics": [energy.pk], "language": "en"}
    )

    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.language == "de"


@pytest.mark.django_db
def test_unsubscribe_get_asks_and_never_unsubscribes(client, subscriber):
    response = client.get(f"/digest/unsubscribe/{subscriber.token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ja, abbestellen" in html
    assert f'action="/digest/unsubscribe/{subscriber.token}/"' in html
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


@pytest.mark.django_db
def test_one_click_post_unsubscribes_without_csrf_token_and_deletes_the_data(csrf_client, subscriber):
    OutgoingMail.objects.create(
        to=subscriber.email, subject="x", body_text="x", topic=f"digest.subscriber:{subscriber.pk}"
    )
    OutgoingMail.objects.create(
        to="andere@firma.example", subject="y", body_text="y", topic="digest.subscriber:0"
    )

    response = csrf_client.post(
        f"/digest/unsubscribe/{subscriber.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Sie haben abbestellt" in response.content.decode()
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == ["andere@firma.example"]


@pytest.mark.django_db
def test_one_click_post_twice_answers_the_same(csrf_client, subscriber):
    url = f"/digest/unsubscribe/{subscriber.token}/"
    first = csrf_client.post(url)
    second = csrf_client.post(url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_leave_button_on_the_manage_page_unsubscribes(client, subscriber):
    html = client.get(f"/digest/manage/{subscriber.token}/").content.decode()
    assert f'action="/digest/unsubscribe/{subscriber.token}/"' in html

    client.post(f"/digest/unsubscribe/{subscriber.token}/")

    assert not Subscriber.objects.exists()
    assert client.get(f"/digest/manage/{subscriber.token}/").status_code == 404


@pytest.mark.django_db
def test_full_double_opt_in_from_the_form_to_the_confirmed_subscription(client, digitalisation):
    client.post("/digest/", {"email": "neu@firma.example", "topics": [digitalisation.pk], "consent": "on"})
    link = OutgoingMail.objects.get().body_text.split("/digest/confirm/")[1].split("/")[0]

    client.post(f"/digest/confirm/{link}/")

    assert Subscriber.objects.get(email="neu@firma.example").is_confirmed
