"""The inbox, an inquiry's page and its steps in the manager area, and the history read from the audit log."""

import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from crosscluster.core.models import OutgoingMail
from crosscluster.directory.models import Organization
from crosscluster.inquiries import services
from crosscluster.inquiries.history import inquiry_history
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, MembershipFactory, OrganizationFactory, TopicFactory, UserFactory

State = Inquiry.State
INBOX_URL = reverse("manage:inquiries")


def inquiry_url(inquiry, name="inquiry"):
    return reverse(f"manage:{name}", kwargs={"pk": inquiry.pk})


@pytest.fixture
def other_manager(other_organization):
    user = UserFactory(email="b-manager@example.org", first_name="Berta", last_name="Beispiel")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def third_organization(region):
    return OrganizationFactory(region=region, slug="dritte-org", name="Drittes Netzwerk")


def make(organization=None, state=None, **fields):
    """An inquiry as stored, without history; `state` defaults to assigned when it has an organisation."""
    state = state or (State.ASSIGNED if organization else State.SUBMITTED)
    region = organization.region if organization else fields.pop("region")
    return InquiryFactory(region=region, organization=organization, state=state, **fields)


def listed(response):
    return [inquiry.reference for inquiry in response.context["page"].object_list]


def tab_counts(response):
    return {tab["state"]: tab["count"] for tab in response.context["tabs"]}


def submit(region, **kwargs):
    inquiry, _token = services.create_inquiry(
        region=region,
        text="Wir suchen Hilfe beim Recycling von Kunststoffabfällen.",
        company_name="Muster GmbH",
        contact_name="Max Muster",
        email="max@example.com",
        consent=True,
        **kwargs,
    )
    return inquiry


# The inbox --------------------------------------------------------------------------------------------


def test_inbox_manager_sees_inquiries_with_or_involving_their_organisation(
    client, region, manager, organization, other_organization
):
    own = make(organization)
    involving = make(other_organization)
    involving.involved.add(organization)
    make(other_organization)  # not theirs
    make(region=region)  # with the coordination office
    client.force_login(manager)

    response = client.get(INBOX_URL)

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted([own.reference, involving.reference])
    assert "organization" not in response.context["filter_form"].fields


def test_inbox_coordination_office_sees_every_inquiry(
    client, region, coordinator, organization, other_organization
):
    inquiries = [make(organization), make(other_organization), make(region=region)]
    client.force_login(coordinator)

    response = client.get(INBOX_URL)

    assert sorted(listed(response)) == sorted(inquiry.reference for inquiry in inquiries)
    assert "organization" in response.context["filter_form"].fields


def test_inbox_sorts_by_urgency(client, region, coordinator, organization):
    now = timezone.now()
    accepted = make(organization, State.ACCEPTED)
    due_later = make(organization, due_at=now + timedelta(days=2))
    due_soon = make(organization, due_at=now + timedelta(hours=2))
    waiting = make(region=region)
    overdue_long = make(organization, due_at=now - timedelta(days=2))
    overdue_short = make(organization, due_at=now - timedelta(hours=1))
    resolved_earlier = make(organization, State.RESOLVED, closed_at=now - timedelta(days=3))
    resolved_recently = make(organization, State.RESOLVED, closed_at=now - timedelta(days=1))
    client.force_login(coordinator)

    response = client.get(INBOX_URL, {"state": "all"})

    assert listed(response) == [
        item.reference
        for item in (
            overdue_long,
            overdue_short,
            waiting,
            due_soon,
            due_later,
            accepted,
            resolved_recently,
            resolved_earlier,
        )
    ]
    assert [inquiry.overdue for inquiry in response.context["page"].object_list][:3] == [True, True, False]
    assert response.content.decode().count('class="overdue"') == 2


def test_inbox_shows_open_inquiries_first_and_counts_every_state(client, region, manager, organization):
    make(organization)
    make(organization, State.ACCEPTED)
    make(organization, State.RESOLVED)
    make(organization, State.NO_FIT)
    client.force_login(manager)

    response = client.get(INBOX_URL)

    assert len(listed(response)) == 2
    assert tab_counts(response) == {
        "open": 2,
        "submitted": 0,
        "assigned": 1,
        "accepted": 1,
        "resolved": 1,
        "no_fit": 1,
        "withdrawn": 0,
        "all": 4,
    }
    assert [tab["state"] for tab in response.context["tabs"] if tab["current"]] == ["open"]


def test_inbox_counts_an_inquiry_once_however_many_organisations_are_involved(
    client, manager, organization, other_organization, third_organization
):
    inquiry = make(organization)
    inquiry.involved.add(other_organization, third_organization)
    client.force_login(manager)

    response = client.get(INBOX_URL)

    assert listed(response) == [inquiry.reference]
    assert tab_counts(response)["open"] == 1


def test_inbox_filters_by_state(client, manager, organization):
    make(organization)
    resolved = make(organization, State.RESOLVED)
    client.force_login(manager)

    response = client.get(INBOX_URL, {"state": "resolved"})

    assert listed(response) == [resolved.reference]
    assert [tab["state"] for tab in response.context["tabs"] if tab["current"]] == ["resolved"]


def test_inbox_filters_by_organisation_topic_and_overdue(
    client, region, coordinator, organization, other_organization
):
    recycling = TopicFactory(slug="recycling", name="Recycling")
    overdue = make(organization, due_at=timezone.now() - timedelta(hours=1))
    with_topic = make(other_organization, topics=[recycling])
    client.force_login(coordinator)

    assert listed(client.get(INBOX_URL, {"organization": organization.pk})) == [overdue.reference]
    assert listed(client.get(INBOX_URL, {"topic": recycling.pk})) == [with_topic.reference]
    assert listed(client.get(INBOX_URL, {"overdue": "on"})) == [overdue.reference]


@pytest.mark.parametrize("query", ["{ref}", "{ref_lower}", "{pk}", "muster", "MUSTER GMBH"])
def test_inbox_searches_reference_and_company(client, coordinator, organization, query):
    wanted = make(organization, company_name="Muster GmbH")
    make(organization, company_name="Beispiel AG")
    client.force_login(coordinator)

    text = query.format(ref=wanted.reference, ref_lower=wanted.reference.lower(), pk=wanted.pk)
    response = client.get(INBOX_URL, {"q": text})

    assert listed(response) == [wanted.reference]


def test_inbox_manager_cannot_filter_by_another_organisation(
    client, manager, organization, other_organization
):
    own = make(organization)
    make(other_organization)
    client.force_login(manager)

    response = client.get(INBOX_URL, {"organization": other_organization.pk})

    assert listed(response) == [own.reference]


def test_inbox_invalid_filter_is_shown_and_left_out(client, manager, organization):
    own = make(organization)
    client.force_login(manager)

    response = client.get(INBOX_URL, {"state": "verloren", "topic": "999999"})

    assert response.status_code == 200
    assert listed(response) == [own.reference]
    assert set(response.context["filter_form"].errors) == {"state", "topic"}
    assert 'role="alert"' in response.content.decode()


def test_inbox_pages_keep_the_filters(client, coordinator, organization, monkeypatch):
    monkeypatch.setattr("crosscluster.inquiries.manage_views.INBOX_PAGE_SIZE", 2)
    for _i in range(3):
        make(organization, company_name="Muster GmbH")
    client.force_login(coordinator)

    response = client.get(INBOX_URL, {"q": "muster", "page": "1"})

    assert len(listed(response)) == 2
    html = response.content.decode()
    assert 'href="?q=muster&amp;page=2"' in html
    assert {tab["state"]: tab["query"] for tab in response.context["tabs"]}[
        "resolved"
    ] == "q=muster&state=resolved"
    assert len(listed(client.get(INBOX_URL, {"q": "muster", "page": "2"}))) == 1


def test_inbox_erased_inquiry_shows_no_company(client, coordinator, organization):
    inquiry = make(organization, State.RESOLVED, company_name="Muster GmbH")
    services.erase_personal_data(inquiry, reason="retention")
    client.force_login(coordinator)

    response = client.get(INBOX_URL, {"state": "all"})

    assert listed(response) == [inquiry.reference]
    assert "Muster GmbH" not in response.content.decode()


# Pinned query counts: session, user, counts per state, page count, page rows, choices of the filter selects,
# the navigation's counts (accounts.todo.nav_counts).
@pytest.mark.parametrize(("role", "queries"), [("manager", 7), ("coordinator", 8)])
@pytest.mark.parametrize("size", [1, 12])
def test_inbox_query_count_does_not_grow_with_the_list(
    client, request, django_assert_num_queries, organization, other_organization, role, queries, size
):
    topic = TopicFactory(slug="recycling")
    for index in range(size):
        inquiry = make(organization, topics=[topic], due_at=timezone.now() - timedelta(hours=index))
        inquiry.involved.add(other_organization)
    client.force_login(request.getfixturevalue(role))

    with django_assert_num_queries(queries):
        response = client.get(INBOX_URL)

    assert len(listed(response)) == size


# One inquiry --------------------------------------------------------------------------------------------


def test_inquiry_page_shows_text_company_suggestions_and_deadline(
    client, region, manager, organization, other_organization, coordinator
):
    inquiry = submit(
        region,
        phone="+49 3641 55555",
        suggestions=[
            {"organization": other_organization.slug, "score": 0.91, "fit": "good", "reasons": ["Recycling"]},
            {"organization": organization.slug, "score": 0.5, "reasons": "Kunststoffe"},
            {"organization": "geloescht", "score": 0.2, "reasons": []},
        ],
    )
    services.assign_inquiry(inquiry, organization, actor=coordinator)
    client.force_login(manager)

    response = client.get(inquiry_url(inquiry))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Wir suchen Hilfe beim Recycling",
        "Muster GmbH",
        "Max Muster",
        "max@example.com",
        "+49 3641 55555",
    ):
        assert text in html
    assert [
        (item["organization"], item["key"], item["reasons"]) for item in response.context["suggestions"]
    ] == [
        (other_organization, "andere-org", ["Recycling"]),
        (organization, "polymer-netz", ["Kunststoffe"]),
        (None, "geloescht", []),
    ]
    assert "(passt gut)" in html  # the fit in words; a suggestion stored before fits existed shows none
    assert "Punktzahl" not in html and "0,91" not in html and "0,50" not in html
    inquiry.refresh_from_db()
    due = inquiry.due_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))  # shown in Berlin time
    assert f'datetime="{due.isoformat()}"' in html
    assert response.context["overdue"] is False


def test_inquiry_page_offers_the_steps_of_the_role_and_state(
    client, region, manager, coordinator, organization, other_organization, other_manager
):
    inquiry = make(organization)
    inquiry.involved.add(other_organization)

    def steps(user):
        client.force_login(user)
        return [item["step"].name for item in client.get(inquiry_url(inquiry)).context["steps"]]

    assert steps(manager) == ["accept", "forward", "involve", "hand-back", "resolve"]
    assert steps(coordinator) == ["accept", "forward", "involve", "hand-back", "resolve", "assign", "close"]
    assert steps(other_manager) == []  # involved: sees it, acts through the responsible organisation
    Inquiry.objects.filter(pk=inquiry.pk).update(state=State.ACCEPTED)
    assert steps(manager) == ["forward", "involve", "hand-back", "resolve"]
    Inquiry.objects.filter(pk=inquiry.pk).update(state=State.SUBMITTED, organization=None)
    assert steps(coordinator) == ["involve", "assign", "close"]
    Inquiry.objects.filter(pk=inquiry.pk).update(state=State.RESOLVED)
    assert steps(coordinator) == []


def test_inquiry_page_offers_published_organisations_of_the_region_suggestions_first(
    client, region, coordinator, organization, other_organization, third_organization
):
    OrganizationFactory(region=region, slug="versteckt", name="Aaa Unveröffentlicht", published=False)
    OrganizationFactory(region=region, slug="office", name="Aaa Office", kind=Organization.Kind.COORDINATION)
    OrganizationFactory(
        region__slug="sachsen", region__name="Sachsen", slug="sachsen-org", name="Aaa Sachsen"
    )
    inquiry = make(organization, suggestions=[{"organization": third_organization.slug, "score": 1}])
    client.force_login(coordinator)

    response = client.get(inquiry_url(inquiry))

    forms = {item["step"].name: item["form"] for item in response.context["steps"]}
    forward = forms["forward"].fields["organization"].choices
    assert [[pk for pk, _name in group] for _label, group in forward[1:]] == [
        [third_organization.pk],
        [other_organization.pk],
    ]
    assign = forms["assign"].fields["organization"].choices
    assert [[pk for pk, _name in group] for _label, group in assign[1:]] == [
        [third_organization.pk],
        [other_organization.pk],
    ]


def test_inquiry_page_shows_the_whole_history_to_the_receiver(
    client, region, manager, other_manager, organization, other_organization, coordinator
):
    inquiry = submit(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Kunststoff passt")
    services.accept_inquiry(inquiry, actor=manager)
    services.forward_inquiry(
        inquiry, other_organization, actor=manager, note="Eher Recycling, bitte übernehmen"
    )
    client.force_login(other_manager)

    response = client.get(inquiry_url(inquiry))

    assert response.status_code == 200
    assert [(item.action, item.note) for item in response.context["history"]] == [
        ("inquiry.submitted", ""),
        ("inquiry.assigned", "Kunststoff passt"),
        ("inquiry.accepted", ""),
        ("inquiry.forwarded", "Eher Recycling, bitte übernehmen"),
    ]
    html = response.content.decode()
    assert "Eher Recycling, bitte übernehmen" in html
    assert "Erika Muster" in html  # who forwarded it
    assert "Anderes Netzwerk" in response.context["history"][-1].label


def test_inquiry_page_of_an_erased_inquiry_shows_no_personal_data(client, region, coordinator, organization):
    inquiry = submit(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Bitte rasch")
    services.withdraw_inquiry(inquiry)
    client.force_login(coordinator)

    response = client.get(inquiry_url(inquiry))

    html = response.content.decode()
    for text in ("Muster GmbH", "max@example.com", "Recycling von Kunststoff", "Bitte rasch"):
        assert text not in html
    assert 'class="notice"' in html


# Pinned: session, user, inquiry, involved, topics, organisations of the region, responsibility, history (2),
# the navigation's counts (accounts.todo.nav_counts).
@pytest.mark.parametrize(("role", "queries"), [("manager", 10), ("coordinator", 9)])
def test_inquiry_page_query_count(
    client,
    request,
    region,
    django_assert_num_queries,
    organization,
    other_organization,
    coordinator,
    role,
    queries,
):
    inquiry = submit(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Bitte")
    services.involve_organization(inquiry, other_organization, actor=coordinator)
    client.force_login(request.getfixturevalue(role))

    with django_assert_num_queries(queries):
        response = client.get(inquiry_url(inquiry))

    assert response.status_code == 200


# Steps through the views ----------------------------------------------------------------------------------


def test_step_accept_redirects_to_the_inquiry_with_a_message(client, manager, organization):
    inquiry = make(organization)
    client.force_login(manager)

    response = client.post(inquiry_url(inquiry, "inquiry-accept"))

    assert response.status_code == 302
    assert response["Location"] == inquiry_url(inquiry)
    assert Inquiry.objects.get(pk=inquiry.pk).state == State.ACCEPTED
    assert [inquiry.reference in str(message) for message in get_messages(response.wsgi_request)] == [True]


def test_step_forward_leaves_the_senders_inbox(
    client, manager, other_manager, organization, other_organization
):
    inquiry = make(organization)
    client.force_login(manager)

    response = client.post(
        inquiry_url(inquiry, "inquiry-forward"),
        {"forward-organization": other_organization.pk, "forward-note": "Passt besser zu euch"},
    )

    assert response.status_code == 302
    assert response["Location"] == INBOX_URL  # no longer theirs to see
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.organization) == (State.ASSIGNED, other_organization)
    assert OutgoingMail.objects.filter(to=other_manager.email).exists()


def test_step_forward_without_note_shows_the_error_and_changes_nothing(
    client, manager, organization, other_organization
):
    inquiry = make(organization)
    client.force_login(manager)

    response = client.post(
        inquiry_url(inquiry, "inquiry-forward"),
        {"forward-organization": other_organization.pk, "forward-note": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].prefix == "forward"
    assert list(response.context["form"].errors) == ["note"]
    html = response.content.decode()
    assert 'class="message message-error error-summary"' in html
    assert 'href="#id_forward-note"' in html
    assert "<title>Fehler: " in html
    assert Inquiry.objects.get(pk=inquiry.pk).organization == organization
    assert not OutgoingMail.objects.exists()


@pytest.mark.parametrize("target", ["unpublished", "current", "unknown"])
def test_step_forward_refuses_organisations_not_offered(client, region, manager, organization, target):
    choice = {
        "unpublished": lambda: OrganizationFactory(region=region, published=False).pk,
        "current": lambda: organization.pk,
        "unknown": lambda: 999999,
    }[target]()
    inquiry = make(organization)
    client.force_login(manager)

    response = client.post(
        inquiry_url(inquiry, "inquiry-forward"), {"forward-organization": choice, "forward-note": "Bitte"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["organization"]
    assert Inquiry.objects.get(pk=inquiry.pk).organization == organization


def test_step_in_the_wrong_state_is_a_form_error(client, manager, organization):
    """A stale page: somebody else accepted the inquiry meanwhile."""
    inquiry = make(organization, State.ACCEPTED)
    client.force_login(manager)

    response = client.post(inquiry_url(inquiry, "inquiry-accept"))

    assert response.status_code == 200
    assert len(response.context["form"].non_field_errors()) == 1
    assert response.context["steps"][0]["step"].name == "accept"  # shown with its error
    assert Inquiry.objects.get(pk=inquiry.pk).state == State.ACCEPTED


def test_step_assign_by_the_coordination_office(client, region, coordinator, manager, organization):
    inquiry = submit(region)
    client.force_login(coordinator)

    response = client.post(
        inquiry_url(inquiry, "inquiry-assign"),
        {"assign-organization": organization.pk, "assign-note": "Bitte"},
    )

    assert response.status_code == 302
    assert response["Location"] == inquiry_url(inquiry)
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.organization) == (State.ASSIGNED, organization)


def test_step_hand_back_and_close(client, region, manager, coordinator, organization):
    inquiry = make(organization)
    client.force_login(manager)
    response = client.post(inquiry_url(inquiry, "inquiry-hand-back"), {"hand-back-note": "Passt nicht"})
    assert (response.status_code, response["Location"]) == (302, INBOX_URL)

    client.force_login(coordinator)
    response = client.post(inquiry_url(inquiry, "inquiry-close"), {"close-note": "Niemand passt"})

    assert (response.status_code, response["Location"]) == (302, inquiry_url(inquiry))
    assert Inquiry.objects.get(pk=inquiry.pk).state == State.NO_FIT


def test_step_involve_and_resolve(client, manager, organization, other_organization):
    inquiry = make(organization)
    client.force_login(manager)

    client.post(inquiry_url(inquiry, "inquiry-involve"), {"involve-organization": other_organization.pk})
    client.post(inquiry_url(inquiry, "inquiry-resolve"), {"resolve-note": ""})

    inquiry.refresh_from_db()
    assert list(inquiry.involved.all()) == [other_organization]
    assert (inquiry.state, inquiry.resolved_by) == (State.RESOLVED, organization)


@pytest.mark.parametrize("name", ["inquiry-accept", "inquiry-forward", "inquiry-close"])
def test_step_urls_answer_only_post(client, coordinator, organization, name):
    inquiry = make(organization)
    client.force_login(coordinator)

    assert client.get(inquiry_url(inquiry, name)).status_code == 405


# The history -----------------------------------------------------------------------------------------------


@pytest.fixture
def long_story(
    region, organization, other_organization, third_organization, manager, other_manager, coordinator
):
    inquiry = submit(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Intern: passt wohl")
    services.process_deadlines(timezone.now() + timedelta(days=30))  # reminder and alert
    services.forward_inquiry(inquiry, other_organization, actor=manager, note="Intern: eher Recycling")
    services.involve_organization(inquiry, third_organization, actor=other_manager, note="Intern: mit euch")
    services.resolve_inquiry(inquiry, actor=other_manager, note="Intern: erledigt")
    return inquiry


def test_history_for_staff_has_every_step_with_people_and_notes(long_story, manager, coordinator):
    with translation.override("en"):
        items = inquiry_history(long_story, for_public=False)

    assert [(item.action, item.actor, item.note) for item in items] == [
        ("inquiry.submitted", "The company", ""),
        ("inquiry.assigned", str(coordinator), "Intern: passt wohl"),
        ("inquiry.reminder_sent", "System", ""),
        ("inquiry.escalated", "System", ""),
        ("inquiry.forwarded", str(manager), "Intern: eher Recycling"),
        ("inquiry.involved", "Berta Beispiel", "Intern: mit euch"),
        ("inquiry.resolved", "Berta Beispiel", "Intern: erledigt"),
    ]
    assert [item.label for item in items][1] == "Assigned to PolymerNetz Thüringen"
    assert items[4].label == "Forwarded by PolymerNetz Thüringen to Anderes Netzwerk"
    assert items[5].label == "Drittes Netzwerk involved"


def test_history_for_the_public_has_no_notes_names_or_internal_steps(long_story):
    items = inquiry_history(long_story, for_public=True)

    assert [(item.action, item.actor, item.note) for item in items] == [
        ("inquiry.submitted", "", ""),
        ("inquiry.assigned", "", ""),
        ("inquiry.forwarded", "", ""),
        ("inquiry.involved", "", ""),
        ("inquiry.resolved", "", ""),
    ]


def test_history_takes_two_queries(long_story, django_assert_num_queries):
    with django_assert_num_queries(2):
        inquiry_history(long_story, for_public=False)


def test_history_after_erasure_keeps_steps_but_no_notes(long_story):
    services.erase_personal_data(long_story, reason="retention")

    items = inquiry_history(long_story, for_public=False)

    assert {item.note for item in items} == {""}
    assert items[-1].action == "inquiry.erased"
