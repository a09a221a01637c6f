"""Express interest → introduction: a confirmed visitor, a manager, or the office from its board; the owner
accepts (contact details exchanged, only then) or declines; the outcome; the board's pairs and dismissals."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crosscluster.cooperation import matches, services
from crosscluster.cooperation.models import CooperationProfile, DismissedPair, Introduction
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from tests.factories import CooperationProfileFactory

Kind = CooperationProfile.Kind
IState = Introduction.State


@pytest.fixture
def offer(topic, network):
    return CooperationProfileFactory(
        kind=Kind.TECHNOLOGY_OFFER,
        title="Angebot: Recyclingverfahren",
        contact_name="Otto Angebot",
        email="otto@angebot.example",
        company_name="Angebot AG",
        reviewing_organization=network,
        topics=[topic],
    )


@pytest.fixture
def request_profile(topic, network):
    return CooperationProfileFactory(
        kind=Kind.TECHNOLOGY_REQUEST,
        title="Gesuch: Recycling",
        contact_name="Klara Kunde",
        email="klara@kunde.example",
        company_name="Kunde GmbH",
        reviewing_organization=network,
        topics=[topic],
    )


def link_in(mail, name: str) -> str:
    found = re.search(rf"https?://\S+/kooperationen/{name}/(\S+?)/", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def test_visitor_interest_waits_for_confirmation_then_reaches_the_owner(client, offer):
    response = client.post(
        f"/kooperationen/{offer.pk}/interesse/",
        {
            "message": "Wir hätten Mischkunststoffe zu recyceln.",
            "name": "Vera Besucher",
            "company_name": "Besuch KG",
            "email": "vera@besuch.example",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.state == IState.UNCONFIRMED
    confirmation = OutgoingMail.objects.get()
    assert confirmation.to == "vera@besuch.example"
    assert not OutgoingMail.objects.filter(to=offer.email).exists()

    token = link_in(confirmation, "interesse")
    assert client.get(f"/kooperationen/interesse/{token}/").status_code == 200
    introduction.refresh_from_db()
    assert introduction.state == IState.UNCONFIRMED  # GET only asks
    client.post(f"/kooperationen/interesse/{token}/")
    introduction.refresh_from_db()
    assert introduction.state == IState.INTEREST
    assert introduction.due_at is not None
    to_owner = OutgoingMail.objects.get(to=offer.email)
    assert "vera@besuch.example" not in to_owner.body_text
    assert "Vera Besucher" not in to_owner.body_text
    assert "/kooperationen/kontakt/" in to_owner.body_text


def test_owner_accepts_and_both_sides_get_contact_details(client, offer):
    introduction, _token = services.express_interest(
        offer, message="Hallo", name="Vera Besucher", email="vera@besuch.example", consent=True
    )
    services.confirm_interest(introduction)
    signed = link_in(OutgoingMail.objects.get(to=offer.email), "kontakt")
    page = client.get(f"/kooperationen/kontakt/{signed}/")
    assert page.status_code == 200
    assert "vera@besuch.example" not in page.content.decode()  # not before acceptance
    OutgoingMail.objects.all().delete()

    response = client.post(f"/kooperationen/kontakt/{signed}/", {"action": "accept"})

    assert response.status_code == 302
    introduction.refresh_from_db()
    assert introduction.state == IState.ACCEPTED
    mails = {mail.to: mail.body_text for mail in OutgoingMail.objects.all()}
    assert set(mails) == {"otto@angebot.example", "vera@besuch.example"}
    assert "vera@besuch.example" in mails["otto@angebot.example"]
    assert "otto@angebot.example" in mails["vera@besuch.example"]
    assert "vera@besuch.example" in client.get(f"/kooperationen/kontakt/{signed}/").content.decode()

    client.post(f"/kooperationen/kontakt/{signed}/", {"action": "started"})
    introduction.refresh_from_db()
    assert introduction.state == IState.STARTED
    codes = list(
        AuditLogEntry.objects.filter(object_type="cooperation.introduction")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert codes == [
        "cooperation.introduction.created",
        "cooperation.introduction.interest",
        "cooperation.introduction.accepted",
        "cooperation.introduction.started",
    ]


def test_owner_declines_and_nothing_is_passed_on(client, offer):
    introduction, _token = services.express_interest(
        offer, message="Hallo", name="Vera", email="vera@besuch.example", consent=True
    )
    services.confirm_interest(introduction)
    OutgoingMail.objects.all().delete()

    services.decide_introduction(introduction, accept=False)

    assert introduction.state == IState.DECLINED
    mail = OutgoingMail.objects.get()
    assert mail.to == "vera@besuch.example"
    assert offer.email not in mail.body_text
    with pytest.raises(services.CooperationError):
        services.decide_introduction(introduction, accept=True)


def test_decision_link_dies_when_the_profile_is_withdrawn(client, offer):
    introduction, _token = services.express_interest(
        offer, message="Hallo", name="Vera", email="vera@besuch.example", consent=True
    )
    services.confirm_interest(introduction)
    signed = link_in(OutgoingMail.objects.get(to=offer.email), "kontakt")
    services.withdraw_profile(offer)
    assert client.get(f"/kooperationen/kontakt/{signed}/").status_code == 404


def test_tampered_decision_link_is_404(client, offer):
    assert client.get("/kooperationen/kontakt/abc:def/").status_code == 404


def test_manager_expresses_interest_directly(client, offer, other_reviewer):
    client.force_login(other_reviewer)
    response = client.post(f"/kooperationen/{offer.pk}/interesse/", {"message": "Unser Mitglied passt."})
    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.state == IState.INTEREST
    assert introduction.created_by == other_reviewer
    assert introduction.email == "anderer@example.org"
    assert introduction.company_name == "Optik-Netzwerk"
    assert OutgoingMail.objects.filter(to=offer.email).exists()


def test_interest_in_a_profile_that_is_not_public_is_404(client, db):
    hidden = CooperationProfileFactory(state=CooperationProfile.State.SUBMITTED)
    assert client.get(f"/kooperationen/{hidden.pk}/interesse/").status_code == 404


def test_office_introduces_the_offer_owner_decides_and_the_request_owner_is_told(
    offer, request_profile, coordinator
):
    introduction = services.introduce(request_profile, offer, actor=coordinator, note="Passt gut zusammen.")

    assert introduction.profile == offer
    assert introduction.counterpart == request_profile
    assert introduction.state == IState.PROPOSED
    mails = {mail.to: mail.body_text for mail in OutgoingMail.objects.all()}
    assert set(mails) == {"otto@angebot.example", "klara@kunde.example"}
    assert "klara@kunde.example" not in mails["otto@angebot.example"]
    assert "otto@angebot.example" not in mails["klara@kunde.example"]
    with pytest.raises(services.CooperationError):
        services.introduce(offer, request_profile, actor=coordinator)

    OutgoingMail.objects.all().delete()
    services.decide_introduction(introduction, accept=True)
    mails = {mail.to: mail.body_text for mail in OutgoingMail.objects.all()}
    assert "klara@kunde.example" in mails["otto@angebot.example"]
    assert "otto@angebot.example" in mails["klara@kunde.example"]


def test_only_the_office_introduces_and_dismisses(offer, request_profile, reviewer):
    with pytest.raises(PermissionDenied):
        services.introduce(offer, request_profile, actor=reviewer)
    with pytest.raises(PermissionDenied):
        services.dismiss_pair(offer, request_profile, actor=reviewer)
    assert not Introduction.objects.exists()
    assert not DismissedPair.objects.exists()


def test_board_shows_pairs_once_with_reasons_and_hides_dismissed_and_introduced(
    offer, request_profile, coordinator, stand_in_matcher, topic
):
    research_a = CooperationProfileFactory(kind=Kind.RESEARCH_PARTNER, title="Forschung A")
    research_b = CooperationProfileFactory(kind=Kind.RESEARCH_PARTNER, title="Forschung B")
    matches.store_matches()

    pairs = matches.board_pairs()
    keys = {frozenset((pair.first.pk, pair.second.pk)) for pair in pairs}
    assert keys == {frozenset((offer.pk, request_profile.pk)), frozenset((research_a.pk, research_b.pk))}
    pair = next(pair for pair in pairs if offer in (pair.first, pair.second))
    assert pair.score == 0.8
    assert "gleiche Begriffe: Kunststoff" in pair.reasons

    assert {frozenset((p.first.pk, p.second.pk)) for p in matches.board_pairs(topic=topic)} == {
        frozenset((offer.pk, request_profile.pk))
    }

    services.dismiss_pair(research_b, research_a, actor=coordinator)
    services.dismiss_pair(research_a, research_b, actor=coordinator)  # remembered once
    assert DismissedPair.objects.get().score == 0.8
    services.introduce(offer, request_profile, actor=coordinator)
    assert matches.board_pairs() == []


def test_board_threshold_leaves_out_weak_pairs(offer, request_profile, stand_in_matcher, settings):
    matches.store_matches()
    settings.COOPERATION_BOARD_MIN_SCORE = 0.9
    assert matches.board_pairs() == []


def test_unanswered_introduction_reminds_the_owner_once(offer, time_machine):
    time_machine.move_to(dt.datetime(2030, 4, 1, 9, tzinfo=dt.UTC))
    offer.expires_at = dt.date(2031, 1, 1)
    offer.save()
    introduction, _token = services.express_interest(
        offer, message="Hallo", name="Vera", email="vera@besuch.example", consent=True
    )
    services.confirm_interest(introduction)
    OutgoingMail.objects.all().delete()

    time_machine.move_to(dt.datetime(2030, 4, 20, 9, tzinfo=dt.UTC))
    assert services.process_deadlines()["answer_reminders"] == 1
    assert services.process_deadlines()["answer_reminders"] == 0
    assert [mail.to for mail in OutgoingMail.objects.all()] == ["otto@angebot.example"]


def test_erase_expired_erases_closed_introductions_after_retention(offer, time_machine, settings):
    settings.COOPERATION_RETENTION_DAYS = 30
    time_machine.move_to(dt.datetime(2030, 4, 1, 9, tzinfo=dt.UTC))
    offer.expires_at = dt.date(2031, 1, 1)
    offer.save()
    introduction, _token = services.express_interest(
        offer, message="Geheim", name="Vera", email="vera@besuch.example", consent=True
    )
    services.confirm_interest(introduction)
    services.decide_introduction(introduction, accept=False)

    time_machine.move_to(dt.datetime(2030, 5, 5, 9, tzinfo=dt.UTC))
    assert services.erase_expired() == (0, 1)
    introduction.refresh_from_db()
    assert (introduction.message, introduction.email, introduction.name) == ("", "", "")


def test_store_helpers_keeps_organisations_and_coming_events_for_the_pages(
    client, offer, network, monkeypatch
):
    from types import SimpleNamespace

    from crosscluster.cooperation import matching
    from tests.factories import EventFactory

    event = EventFactory(title="Recyclingtag Kunststoff", start=timezone.now() + dt.timedelta(days=10))
    EventFactory(title="Vorbei", start=timezone.now() - dt.timedelta(days=10))
    seen = {}

    def fake_texts(profile, items, **kwargs):
        seen["items"] = [item.title for item in items]
        return [matching.Match(str(event.pk), 0.9, ("Shared terms: Recycling",))]

    suggestion = SimpleNamespace(organization=network, reasons=["Topic: Kunststoffe"])
    monkeypatch.setattr(
        matching, "match_organizations", lambda profile, **kw: SimpleNamespace(results=[suggestion])
    )
    monkeypatch.setattr(matching, "match_texts", fake_texts)

    assert matches.store_helpers(offer.pk) is True

    offer.refresh_from_db()
    assert seen["items"] == ["Recyclingtag Kunststoff"]
    assert offer.helpers == {
        "organizations": [{"slug": network.slug, "name": network.name, "reasons": ["Topic: Kunststoffe"]}],
        "events": [
            {"id": event.pk, "title": "Recyclingtag Kunststoff", "reasons": ["Shared terms: Recycling"]}
        ],
    }
    body = client.get(f"/kooperationen/{offer.pk}/").content.decode()
    assert f'href="/organisationen/{network.slug}/"' in body
    assert f'href="/veranstaltungen/{event.pk}/"' in body


def test_store_helpers_clears_them_for_a_profile_that_is_not_public(db, offer):
    CooperationProfile.objects.filter(pk=offer.pk).update(
        helpers={"organizations": [{"slug": "x"}]}, state=CooperationProfile.State.WITHDRAWN
    )
    assert matches.store_helpers(offer.pk) is False
    offer.refresh_from_db()
    assert offer.helpers == {}
