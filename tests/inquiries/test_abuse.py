"""Abuse of the public form: bots (honeypot), floods (rate limits), oversized input, and markup in what a
company types, which must never render as markup on a page or in an HTML mail."""

import re

import pytest

from crosscluster.accounts import throttling as accounts_throttling
from crosscluster.core.models import OutgoingMail, ThrottleSlot
from crosscluster.inquiries import services, views
from crosscluster.inquiries.forms import COORDINATION
from crosscluster.inquiries.models import Inquiry

FORM_URL = "/anfrage/"
XSS = "<script>alert(1)</script>"
VALID = {
    "text": "Wir suchen Beratung zum Recycling.",
    "company_name": "Muster GmbH",
    "contact_name": "Max Mustermann",
    "email": "max@muster.example",
    "phone": "",
    "company_size": "",
    "location": "",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def no_routing(monkeypatch):
    monkeypatch.setattr(views, "routing_suggest", lambda text, *, region, top: None)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(accounts_throttling, "_now", lambda: Clock.now)
    return Clock


def submit(client, data=None, address="203.0.113.9", prefix=""):
    """Both steps of the form; returns the second response."""
    values = {**VALID, **(data or {})}
    first = client.post(f"{prefix}{FORM_URL}", {**values, "step": "suggest"}, REMOTE_ADDR=address)
    assert first.status_code == 200, first.context["form"].errors
    values |= {
        "step": "send",
        "shown": first.context["shown"],
        "submission": first.context["submission"],
        "recipient": COORDINATION,
    }
    return client.post(f"{prefix}{FORM_URL}", values, REMOTE_ADDR=address)


# Honeypot


@pytest.mark.parametrize("step", ["suggest", "send"])
def test_abuse_honeypot_pretends_success_and_stores_nothing(client, region, coordinator, step):
    response = client.post(FORM_URL, {**VALID, "homepage": "https://spam.example", "step": step})
    assert response.status_code == 302
    assert response["Location"] == "/anfrage/danke/"
    assert Inquiry.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and thanks.context["inquiry"] is None


def test_abuse_honeypot_hits_do_not_use_up_the_limit(client, region, clock, settings):
    settings.INQUIRY_LIMIT_PER_CLIENT = 1
    for _ in range(3):
        client.post(FORM_URL, {**VALID, "homepage": "x", "step": "send"})
    assert submit(client).status_code == 302


# Rate limits


def test_abuse_limit_per_client_address(client, region, clock, settings):
    settings.INQUIRY_LIMIT_PER_CLIENT = 2
    for number in range(2):
        assert submit(client, {"email": f"person{number}@muster.example"}).status_code == 302

    refused = submit(client, {"email": "person9@muster.example"})
    from_elsewhere = submit(client, {"email": "person9@muster.example"}, address="198.51.100.1")

    assert refused.status_code == 429
    assert "Bitte warten Sie 60 Minuten" in refused.content.decode()
    assert refused.context["form"]["company_name"].value() == "Muster GmbH"  # nothing typed is lost
    assert from_elsewhere.status_code == 302
    assert Inquiry.objects.count() == 3


def test_abuse_limit_per_email_address(client, region, clock, settings):
    settings.INQUIRY_LIMIT_PER_EMAIL = 2
    for number in range(2):
        submit(client, address=f"192.0.2.{number}")
    refused = submit(client, {"email": "MAX@muster.example"}, address="192.0.2.99")
    assert refused.status_code == 429
    assert Inquiry.objects.count() == 2
    assert submit(client, {"email": "other@muster.example"}, address="192.0.2.99").status_code == 302


def test_abuse_limit_defaults_are_five_per_client_and_three_per_address(client, region, clock):
    for number in range(3):
        assert submit(client, address=f"192.0.2.{number}").status_code == 302
    assert submit(client, address="192.0.2.50").status_code == 429  # the address's fourth
    for number in range(5):
        assert submit(client, {"email": f"p{number}@muster.example"}, address="192.0.2.77").status_code == 302
    assert submit(client, {"email": "p9@muster.example"}, address="192.0.2.77").status_code == 429


def test_abuse_limit_ends_when_the_window_has_passed(client, region, clock, settings):
    settings.INQUIRY_LIMIT_PER_CLIENT = 1
    submit(client, {"email": "a@muster.example"})
    clock.now += 30 * 60
    refused = submit(client, {"email": "b@muster.example"})
    assert "Bitte warten Sie 30 Minuten" in refused.content.decode()
    clock.now += 30 * 60 + 1
    assert submit(client, {"email": "b@muster.example"}).status_code == 302


def test_abuse_limit_keeps_no_email_address_in_the_database(client, region, clock):
    submit(client)
    keys = set(ThrottleSlot.objects.values_list("key", flat=True))
    assert keys and not [key for key in keys if "muster" in key]


def test_abuse_limit_message_in_english(client, region, clock, settings):
    settings.INQUIRY_LIMIT_PER_CLIENT = 1
    submit(client, {"email": "a@muster.example"}, prefix="/en")
    refused = submit(client, {"email": "b@muster.example"}, prefix="/en")
    assert "Please wait 60 minutes" in refused.content.decode()


# Length limits


@pytest.mark.parametrize(
    ("field", "limit"),
    [("text", 5000), ("company_name", 200), ("contact_name", 150), ("phone", 40), ("location", 100)],
)
def test_abuse_lengths_are_limited_to_what_the_model_stores(client, region, field, limit):
    response = client.post(FORM_URL, {**VALID, field: "x" * (limit + 1), "step": "suggest"})
    assert list(response.context["form"].errors) == [field]
    assert f'maxlength="{limit}"' in response.content.decode()
    assert Inquiry.objects.count() == 0


# Markup in every text field is shown as text


MARKUP = {
    "text": f"Hilfe {XSS}",
    "company_name": f"Firma {XSS}",
    "contact_name": f"Max {XSS}",
    "email": "max@muster.example",
    "phone": f"0361{XSS}"[:40],
    "location": f"Jena {XSS}",
}


def assert_escaped(html: str) -> None:
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_abuse_markup_is_escaped_on_the_form(client, region):
    response = client.post(FORM_URL, {**VALID, **MARKUP, "step": "suggest"})
    assert_escaped(response.content.decode())


def test_abuse_markup_is_escaped_on_the_thank_you_and_status_pages(client, region, coordinator):
    response = submit(client, MARKUP)
    thanks = client.get(response["Location"]).content.decode()
    assert_escaped(thanks)
    assert thanks.count("&lt;script&gt;") == 5  # text, company, contact, phone, location

    link = re.search(r'href="http://[^"]+(/anfrage/status/[^"]+/)"', thanks).group(1)
    assert_escaped(client.get(link).content.decode())


def test_abuse_markup_is_escaped_in_html_mails_and_plain_in_text_mails(
    client, region, coordinator, organization
):
    submit(client, MARKUP)
    confirmation = OutgoingMail.objects.get(to="max@muster.example")
    assert_escaped(confirmation.body_html)
    # Plain text has no markup to run; the company reads exactly what it wrote.
    assert f"Hilfe {XSS}" in confirmation.body_text
    assert "&lt;" not in confirmation.body_text

    inquiry = Inquiry.objects.get()
    services.assign_inquiry(inquiry, organization, actor=coordinator, note=f"Notiz {XSS}")
    services.close_no_fit(inquiry, actor=coordinator, note=f"Leider {XSS}")
    no_fit = OutgoingMail.objects.filter(to="max@muster.example").latest("id")
    assert_escaped(no_fit.body_html)
    assert f"Leider {XSS}" in no_fit.body_text
    for staff_mail in OutgoingMail.objects.exclude(to="max@muster.example"):
        assert "&lt;" not in staff_mail.body_text and not staff_mail.body_html
