"""The public form "Anfrage stellen": two steps without JavaScript, suggestions with reasons, nothing stored
until the company sends, and everything typed kept on every error."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.directory.models import Organization
from crosscluster.inquiries import views
from crosscluster.inquiries.forms import COORDINATION
from crosscluster.inquiries.models import Inquiry
from tests.factories import OrganizationFactory, RegionFactory, TopicFactory

FORM_URL = "/anfrage/"
VALID = {
    "text": "Wir möchten Kunststoffabfälle aus unserer Spritzgießerei recyceln und suchen Beratung.",
    "company_name": "Muster Kunststoff GmbH",
    "contact_name": "Max Mustermann",
    "email": "Max@Muster.example",
    "phone": "+49 3641 55555",
    "company_size": "10-49",
    "location": "Jena",
    "consent": "on",
}


def outbox() -> list[tuple[str, str]]:
    """The queued mails as (recipient, subject); delivery itself is tested in test_mail_delivery.py."""
    return sorted(OutgoingMail.objects.values_list("to", "subject"))


@dataclass
class FakeSuggestion:
    organization: Organization
    score: float
    reasons: list[str] = field(default_factory=list)
    fit: str = "maybe"


@dataclass
class FakeResult:
    results: list[FakeSuggestion]
    confident: bool


class RoutingCalls(list):
    """The calls the fake engine received; `confident` is what it answers."""

    confident = True


@pytest.fixture
def routing(monkeypatch, organization, other_organization):
    """The routing engine's contract: PolymerNetz fits best, the other network less."""
    calls = RoutingCalls()

    def suggest(text, *, region, top):
        calls.append({"text": text, "region": region, "top": top})
        return FakeResult(
            [
                FakeSuggestion(
                    organization,
                    0.8234567,
                    ["Thema: Kunststoffe und Polymere", "Angebot: Beratung"],
                    fit="very_good",
                ),
                FakeSuggestion(other_organization, 0.31, ["Ähnliche frühere Anfragen"]),
            ],
            confident=calls.confident,
        )

    monkeypatch.setattr(views, "routing_suggest", suggest)
    return calls


@pytest.fixture
def coordination_office(region, coordinator):
    return OrganizationFactory(
        region=region,
        slug="koordinierungsstelle",
        name="Koordinierungsstelle",
        kind=Organization.Kind.COORDINATION,
    )


def find_suggestions(client, data=None, prefix="", **extra):
    return client.post(f"{prefix}{FORM_URL}", {**VALID, **(data or {}), "step": "suggest"}, **extra)


def send(client, first, data=None, prefix="", **extra):
    """The second POST, with the suggestions of the first response and its checked choice (or `recipient`)."""
    values = {
        **VALID,
        "step": "send",
        "shown": first.context["shown"],
        "submission": first.context["submission"],
        "recipient": first.context["checked"],
    }
    values.update(data or {})
    return client.post(f"{prefix}{FORM_URL}", {k: v for k, v in values.items() if v is not None}, **extra)


class Outline(HTMLParser):
    """Fields, labels, fieldsets, headings and radio buttons of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.headings: list[int] = []
        self.legends = 0
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag in {"input", "select", "textarea"} and attributes.get("type") not in {"hidden", "submit"}:
            self.fields.append(attributes)
        elif tag == "label" and attributes.get("for"):
            self.labels.add(attributes["for"])
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "legend":
            self.legends += 1


def outline(response) -> Outline:
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


def radios(response) -> list[dict[str, str]]:
    return [attrs for tag, attrs in outline(response).tags if tag == "input" and attrs.get("type") == "radio"]


# Step 1: the form


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_form_labels_every_field_and_keeps_headings_in_order(client, region, prefix):
    response = client.get(f"{prefix}{FORM_URL}")
    page = outline(response)
    assert response.status_code == 200
    assert {field["id"] for field in page.fields} <= page.labels
    assert [field["name"] for field in page.fields if field["name"] != "q"] == [
        "text",
        "company_name",
        "contact_name",
        "email",
        "phone",
        "company_size",
        "location",
        "consent",
        "homepage",
    ]
    assert page.headings == sorted(page.headings) and page.headings[0] == 1
    assert page.legends == 2  # contact and company fieldsets


def test_form_names_the_privacy_notice_and_its_version(client, region, settings):
    settings.INQUIRY_CONSENT_VERSION = "2027-01"
    html = client.get(FORM_URL).content.decode()
    assert f'href="{reverse("directory:privacy")}#privacy-inquiries"' in html
    assert "Version 2027-01" in html
    assert 'aria-describedby="consent-notice"' in html


def test_form_hides_the_honeypot_from_people_and_assistive_technology(client, region):
    page = outline(client.get(FORM_URL))
    honeypot = next(attrs for tag, attrs in page.tags if attrs.get("name") == "homepage")
    wrapper = next(attrs for tag, attrs in page.tags if tag == "div" and attrs.get("aria-hidden") == "true")
    assert honeypot["tabindex"] == "-1"
    assert honeypot["autocomplete"] == "off"
    assert "visually-hidden" in wrapper["class"]


def test_form_english_variant_speaks_english(client, region):
    html = client.get("/en/anfrage/").content.decode()
    assert '<html lang="en">' in html
    assert "Send an inquiry" in html
    assert "Find who fits" in html


def test_form_german_variant_speaks_german(client, region):
    html = client.get(FORM_URL).content.decode()
    assert '<html lang="de">' in html
    assert "Anfrage stellen" in html
    assert "Passende Ansprechpartner finden" in html


def test_pages_link_to_the_form(client, organization):
    home = client.get("/").content.decode()
    page = client.get(organization.get_absolute_url()).content.decode()
    assert f'href="{FORM_URL}"' in home
    assert f'href="{FORM_URL}?organisation=polymer-netz"' in page
    assert "Anfrage stellen" in page


# Step 1 → step 2: the suggestions


def test_form_suggestions_show_name_kind_city_and_reasons_and_keep_every_value(client, routing, organization):
    response = find_suggestions(client)
    html = response.content.decode()

    assert response.status_code == 200
    assert Inquiry.objects.count() == 0 and OutgoingMail.objects.count() == 0
    assert [radio["value"] for radio in radios(response)] == ["polymer-netz", "andere-org", COORDINATION]
    assert radios(response)[0].get("checked") is not None  # confident: the best fit is checked
    assert "PolymerNetz Thüringen" in html and "Anderes Netzwerk" in html
    assert "Netzwerk · Erfurt" in html
    assert "Thema: Kunststoffe und Polymere" in html and "Ähnliche frühere Anfragen" in html
    assert "Die Koordinierungsstelle soll entscheiden" in html
    assert "<legend>Wer soll Ihre Anfrage erhalten?" in html
    assert "Muster Kunststoff GmbH" in html and "Wir möchten Kunststoffabfälle" in html
    assert 'value="10-49" selected' in html
    consent = next(attrs for tag, attrs in outline(response).tags if attrs.get("name") == "consent")
    assert "checked" in consent
    assert routing == [{"text": VALID["text"], "region": organization.region, "top": 5}]


def test_form_suggestions_show_the_fit_in_words_not_a_score(client, routing):
    html = find_suggestions(client).content.decode()

    assert '<span class="fit fit-very_good">passt sehr gut</span>' in html
    assert '<span class="fit fit-maybe">passt vielleicht</span>' in html
    assert "0,82" not in html and "0.82" not in html and "Punktzahl" not in html


def test_finding_suggestions_takes_the_browser_to_them_without_javascript(client, routing):
    """The button posts to the form's address with the fragment of the suggestions, which take the focus."""
    first = outline(client.get(FORM_URL))
    button = next(attrs for tag, attrs in first.tags if attrs.get("value") == "suggest")
    assert button["formaction"] == f"{FORM_URL}#recipients"

    second = find_suggestions(client)
    html = second.content.decode()
    assert 'id="recipients"' in html and "autofocus" in html.split('id="recipients"')[1].split(">")[0]
    update = next(attrs for tag, attrs in outline(second).tags if attrs.get("value") == "suggest")
    assert update["formaction"] == f"{FORM_URL}#recipients"
    send_button = next(attrs for tag, attrs in outline(second).tags if attrs.get("value") == "send")
    assert "formaction" not in send_button


def test_form_suggestions_not_confident_check_the_coordination_office(client, routing):
    routing.confident = False
    response = find_suggestions(client)
    checked = [radio["value"] for radio in radios(response) if "checked" in radio]
    assert checked == [COORDINATION]
    assert "nicht sicher" in response.content.decode()


def test_form_suggestions_leave_out_the_coordination_office_organisation(
    client, monkeypatch, coordination_office
):
    monkeypatch.setattr(
        views,
        "routing_suggest",
        lambda text, *, region, top: FakeResult(
            [FakeSuggestion(coordination_office, 0.1, ["Unklar"])], False
        ),
    )
    response = find_suggestions(client)
    assert [radio["value"] for radio in radios(response)] == [COORDINATION]


def test_form_without_a_routing_engine_leaves_the_choice_to_the_coordination_office(
    client, monkeypatch, region
):
    monkeypatch.setattr(views.apps, "is_installed", lambda name: False)
    response = find_suggestions(client)
    assert [radio["value"] for radio in radios(response)] == [COORDINATION]
    assert "checked" in radios(response)[0]


def test_form_with_a_failing_routing_engine_still_takes_the_inquiry(client, monkeypatch, region, coordinator):
    def broken(text, *, region, top):
        raise RuntimeError("index missing")

    monkeypatch.setattr(views, "routing_suggest", broken)
    first = find_suggestions(client)
    response = send(client, first)

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert inquiry.organization is None and inquiry.suggestions == []


# Step 2: sending


def test_form_send_stores_the_inquiry_with_the_suggestions_shown(client, routing, organization, manager):
    first = find_suggestions(client)
    response = send(client, first, {"recipient": "polymer-netz"})

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inquiries:thanks")
    assert inquiry.organization == organization
    assert inquiry.state == Inquiry.State.ASSIGNED
    assert inquiry.region == organization.region
    assert inquiry.text == VALID["text"]
    assert inquiry.company_name == "Muster Kunststoff GmbH"
    assert inquiry.email == "max@muster.example"
    assert inquiry.company_size == "10-49"
    assert inquiry.language == "de"
    assert inquiry.suggestions == [
        {
            "organization": "polymer-netz",
            "score": 0.8235,
            "fit": "very_good",
            "reasons": ["Thema: Kunststoffe und Polymere", "Angebot: Beratung"],
        },
        {
            "organization": "andere-org",
            "score": 0.31,
            "fit": "maybe",
            "reasons": ["Ähnliche frühere Anfragen"],
        },
    ]
    assert AuditLogEntry.objects.get(action="inquiry.submitted").data == {"chosen": "polymer-netz"}
    assert outbox() == [
        ("manager@example.org", f"Neue Anfrage {inquiry.reference} für PolymerNetz Thüringen"),
        ("max@muster.example", f"Ihre Anfrage {inquiry.reference} ist eingegangen"),
    ]
    assert len(routing) == 1  # the second step stores what was shown, it does not ask again


def test_form_send_to_the_coordination_office(client, routing, coordinator):
    first = find_suggestions(client)
    send(client, first, {"recipient": COORDINATION})

    inquiry = Inquiry.objects.get()
    assert inquiry.organization is None
    assert inquiry.state == Inquiry.State.SUBMITTED
    assert (
        "koordination@example.org",
        f"Neue Anfrage {inquiry.reference} für die Koordinierungsstelle",
    ) in outbox()


def test_form_send_without_a_choice_asks_for_one_and_stores_nothing(client, routing):
    first = find_suggestions(client)
    response = send(client, first, {"recipient": None})
    html = response.content.decode()
    assert Inquiry.objects.count() == 0
    assert "Bitte wählen Sie, wer Ihre Anfrage erhalten soll." in html
    assert 'href="#id_recipient_0"' in html
    assert not [radio for radio in radios(response) if "checked" in radio]


def test_form_send_to_an_organisation_that_was_not_suggested_is_refused(client, routing, region):
    elsewhere = OrganizationFactory(region=region, slug="nicht-vorgeschlagen")
    first = find_suggestions(client)
    response = send(client, first, {"recipient": elsewhere.slug})
    assert Inquiry.objects.count() == 0
    assert "Bitte wählen Sie einen der Vorschläge." in response.content.decode()


def test_form_send_to_an_organisation_unpublished_meanwhile_is_refused(client, routing, organization):
    first = find_suggestions(client)
    Organization.objects.filter(pk=organization.pk).update(published=False)
    response = send(client, first, {"recipient": "polymer-netz"})
    assert Inquiry.objects.count() == 0
    assert [radio["value"] for radio in radios(response)] == ["andere-org", COORDINATION]


def test_form_send_with_forged_suggestions_shows_fresh_ones_and_stores_nothing(client, routing):
    first = find_suggestions(client)
    response = send(client, first, {"shown": first.context["shown"] + "x"})
    assert response.status_code == 200
    assert Inquiry.objects.count() == 0
    assert len(routing) == 2
    assert len(radios(response)) == 3


def test_form_update_suggestions_asks_again_with_the_changed_text(client, routing):
    first = find_suggestions(client)
    response = send(client, first, {"step": "suggest", "text": "Wir suchen Fachkräfte."})
    assert Inquiry.objects.count() == 0
    assert routing[-1]["text"] == "Wir suchen Fachkräfte."
    assert response.context["form"]["text"].value() == "Wir suchen Fachkräfte."


# Errors keep everything typed and store nothing


def test_form_errors_keep_every_value_and_store_nothing(client, routing):
    response = find_suggestions(client, {"text": "", "email": "keine-adresse"})
    html = response.content.decode()
    assert response.status_code == 200
    assert Inquiry.objects.count() == 0 and not outbox()
    assert routing == []  # no suggestions for an invalid form
    assert 'class="message message-error error-summary"' in html
    assert 'href="#id_text"' in html and 'href="#id_email"' in html
    assert 'value="keine-adresse"' in html and 'value="Muster Kunststoff GmbH"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("step", ["suggest", "send"])
def test_form_without_consent_is_refused_and_stores_nothing(client, routing, step):
    first = find_suggestions(client)
    if step == "suggest":
        response = find_suggestions(client, {"consent": ""})
    else:
        response = send(client, first, {"consent": None})
    html = response.content.decode()
    assert Inquiry.objects.count() == 0 and not outbox()
    assert "Bitte stimmen Sie den Datenschutzhinweisen zu" in html
    assert 'href="#id_consent"' in html
    assert "Muster Kunststoff GmbH" in html


def test_form_text_longer_than_5000_characters_is_refused(client, routing):
    response = find_suggestions(client, {"text": "x" * 5001})
    assert Inquiry.objects.count() == 0
    assert response.context["form"].errors["text"]
    assert response.context["form"]["text"].value() == "x" * 5001
    accepted = find_suggestions(client, {"text": "x" * 5000})
    assert not accepted.context["form"].errors


def test_form_without_a_default_region_says_so(client, db, settings):
    settings.DEFAULT_REGION = "nirgendwo"
    response = find_suggestions(client)
    assert Inquiry.objects.count() == 0
    assert "nicht möglich" in response.content.decode() or "derzeit" in response.content.decode()


# Pre-selection from an organisation's page or a topic page


def test_form_preselects_the_organisation_of_its_page(client, routing, organization, other_organization):
    page = client.get(f"{FORM_URL}?organisation={other_organization.slug}").content.decode()
    assert "Anderes Netzwerk" in page
    assert 'name="organisation" value="andere-org"' in page

    response = find_suggestions(client, {"organisation": other_organization.slug})
    choices = radios(response)
    assert [radio["value"] for radio in choices] == ["andere-org", "polymer-netz", COORDINATION]
    assert "checked" in choices[0]
    assert "Ähnliche frühere Anfragen" in response.content.decode()  # its reasons stay with it

    send(client, response, {"organisation": other_organization.slug})
    assert Inquiry.objects.get().organization == other_organization


def test_form_preselected_organisation_of_another_region_sets_the_region(client, monkeypatch, region):
    saxony = OrganizationFactory(region=RegionFactory(slug="sachsen", name="Sachsen"), slug="saechsisch")
    asked = []
    monkeypatch.setattr(
        views, "routing_suggest", lambda text, *, region, top: asked.append(region) or FakeResult([], False)
    )
    first = find_suggestions(client, {"organisation": saxony.slug})
    send(client, first, {"organisation": saxony.slug})
    assert asked == [saxony.region]
    assert Inquiry.objects.get().region == saxony.region


def test_form_ignores_an_unknown_or_unpublished_organisation(client, routing, region):
    hidden = OrganizationFactory(region=region, slug="versteckt", published=False)
    for slug in ("gibt-es-nicht", hidden.slug):
        html = client.get(f"{FORM_URL}?organisation={slug}").content.decode()
        assert 'name="organisation"' not in html


def test_form_topic_is_context_for_the_suggestions(client, routing, topic):
    page = client.get(f"{FORM_URL}?thema={topic.slug}").content.decode()
    assert "Kunststoffe und Polymere" in page

    find_suggestions(client, {"thema": topic.slug})
    assert routing[0]["text"] == f"Kunststoffe und Polymere\n{VALID['text']}"


def test_form_unknown_topic_is_ignored(client, routing):
    TopicFactory(slug="anderes")
    find_suggestions(client, {"thema": "gibt-es-nicht"})
    assert routing[0]["text"] == VALID["text"]


# English


def test_form_english_inquiry_is_answered_in_english(client, routing, manager):
    first = find_suggestions(client, prefix="/en")
    assert "Who should receive your inquiry?" in first.content.decode()
    response = send(client, first, prefix="/en")

    inquiry = Inquiry.objects.get()
    assert response["Location"] == "/en/anfrage/danke/"
    assert inquiry.language == "en"
    confirmation = OutgoingMail.objects.get(to="max@muster.example")
    staff = OutgoingMail.objects.get(to="manager@example.org")
    assert confirmation.subject == f"Your inquiry {inquiry.reference} has arrived"
    assert "/en/anfrage/status/" in confirmation.body_text
    assert staff.subject.startswith("Neue Anfrage")  # staff mails are German


# Thank-you page


def test_thanks_shows_reference_recipient_and_status_link(client, routing, organization):
    first = find_suggestions(client)
    response = client.get(send(client, first)["Location"])
    html = response.content.decode()
    inquiry = Inquiry.objects.get()
    assert inquiry.reference in html
    assert "PolymerNetz Thüringen" in html
    link = re.search(r'href="(http://[^"]+/anfrage/status/[^"]+/)"', html).group(1)
    assert link in OutgoingMail.objects.get(to="max@muster.example").body_text
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_thanks_session_is_short_for_anonymous_visitors(client, routing):
    send(client, find_suggestions(client))
    assert client.session.get_expiry_age() == 60 * 60


def test_thanks_without_a_session_is_neutral(client, db):
    response = client.get("/anfrage/danke/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vielen Dank" in html
    assert "/anfrage/status/" not in html
