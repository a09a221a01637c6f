"""Sending the form twice stores one inquiry: a one-time key per form (inquiries.views, create_inquiry)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from crosscluster.core.models import OutgoingMail, ThrottleSlot
from crosscluster.inquiries import services, views
from crosscluster.inquiries.forms import COORDINATION
from crosscluster.inquiries.models import Inquiry

FORM_URL = "/anfrage/"
VALID = {
    "text": "Wir suchen Beratung zum Recycling.",
    "company_name": "Muster GmbH",
    "contact_name": "Max Mustermann",
    "email": "max@muster.example",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def no_routing(monkeypatch):
    monkeypatch.setattr(views, "routing_suggest", lambda text, *, region, top: None)


def second_step(client) -> dict[str, str]:
    """What the browser posts when the company presses "Send" (after the first step)."""
    first = client.post(FORM_URL, {**VALID, "step": "suggest"})
    assert first.status_code == 200
    return {
        **VALID,
        "step": "send",
        "shown": first.context["shown"],
        "submission": first.context["submission"],
        "recipient": COORDINATION,
    }


def test_form_posted_twice_stores_and_mails_one_inquiry(client, region, coordinator):
    data = second_step(client)

    first = client.post(FORM_URL, data)
    mails = OutgoingMail.objects.count()
    again = client.post(FORM_URL, data)  # the browser's "resend", or a second click

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == "/anfrage/danke/"
    inquiry = Inquiry.objects.get()
    assert inquiry.submission_key == data["submission"]
    assert OutgoingMail.objects.count() == mails
    thanks = client.get(again["Location"])
    assert thanks.context["inquiry"] == inquiry  # this session sent it: reference and status link again


def test_form_posted_twice_counts_once_against_the_rate_limit(client, region, coordinator, settings):
    settings.INQUIRY_LIMIT_PER_CLIENT = 1
    data = second_step(client)

    assert client.post(FORM_URL, data).status_code == 302
    assert client.post(FORM_URL, data).status_code == 302  # not "too many": the same inquiry
    submissions = ThrottleSlot.objects.filter(key__startswith="inquiry-submissions:", busy_until__gt=0)
    assert submissions.count() == 2  # client and address, once each


def test_form_shows_every_new_form_a_new_key(client, region, coordinator):
    first, second = client.get(FORM_URL), client.get(FORM_URL)
    assert first.context["submission"] != second.context["submission"]
    assert f'name="submission" value="{first.context["submission"]}"' in first.content.decode()

    for _ in range(2):
        assert client.post(FORM_URL, second_step(client)).status_code == 302

    assert Inquiry.objects.count() == 2  # two forms, two inquiries


def test_form_keeps_its_key_through_errors(client, region):
    data = second_step(client)

    response = client.post(FORM_URL, {**data, "contact_name": ""})

    assert response.status_code == 200 and Inquiry.objects.count() == 0
    assert response.context["submission"] == data["submission"]


@pytest.mark.parametrize("key", [None, "", "short", "<script>x</script>" * 3])
def test_form_without_a_valid_key_is_shown_again_not_sent(client, region, key):
    data = second_step(client)
    data.pop("submission")
    if key is not None:
        data["submission"] = key

    response = client.post(FORM_URL, data)

    assert response.status_code == 200 and Inquiry.objects.count() == 0
    assert response.context["submission"] != key and len(response.context["submission"]) >= 20


def test_create_inquiry_with_a_used_key_stores_nothing(region):
    values = {
        "region": region,
        "text": "t",
        "company_name": "c",
        "contact_name": "n",
        "email": "a@b.example",
        "consent": True,
    }
    inquiry, _token = services.create_inquiry(**values, submission_key="k" * 24)

    with pytest.raises(services.AlreadySubmitted) as repeated:
        services.create_inquiry(**values, submission_key="k" * 24)

    assert repeated.value.inquiry == inquiry
    assert Inquiry.objects.count() == 1
    services.create_inquiry(**values)  # without a key (other callers): no idempotency, no error
    services.create_inquiry(**values)
    assert Inquiry.objects.count() == 3


def test_form_posted_twice_at_the_same_moment_stores_one_inquiry(transactional_db, region, coordinator):
    """A double click: both posts arrive together, in two server threads with their own connections."""
    client = Client()
    data = second_step(client)
    barrier = threading.Barrier(2)
    answers = []

    def post() -> None:
        try:
            barrier.wait()
            answers.append(client.post(FORM_URL, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert answers == [302, 302]
    assert Inquiry.objects.count() == 1
    assert OutgoingMail.objects.filter(to=VALID["email"]).count() == 1


def test_create_inquiry_recognises_a_key_stored_by_a_concurrent_call(region, monkeypatch):
    """The other call stored the key after this one checked: the unique key refuses the insert."""
    values = {
        "region": region,
        "text": "t",
        "company_name": "c",
        "contact_name": "n",
        "email": "a@b.example",
        "consent": True,
    }
    first, _token = services.create_inquiry(**values, submission_key="k" * 24)
    checks = []
    real_check = services._refuse_repeated

    def check_too_early_once(key: str) -> None:
        checks.append(key)
        if len(checks) > 1:  # the first check ran before the other call committed
            real_check(key)

    monkeypatch.setattr(services, "_refuse_repeated", check_too_early_once)

    with pytest.raises(services.AlreadySubmitted) as repeated:
        services.create_inquiry(**values, submission_key="k" * 24)

    assert repeated.value.inquiry == first and len(checks) == 2
    assert Inquiry.objects.count() == 1
    assert not OutgoingMail.objects.exclude(topic=f"inquiries.inquiry:{first.pk}").exists()
