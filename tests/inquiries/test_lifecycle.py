"""The life cycle of an inquiry through `inquiries.services`, one step at a time.

For each step: the state change, the audit entry (`inquiry.<step>`, actor, note in its data), the queued mails
(rows of the outbox, by recipient), what is refused with `InquiryError` (the state does not allow it) and with
`PermissionDenied` (the wrong person), and the two organisations "first try right" compares.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.inquiries import services
from crosscluster.inquiries.access import inquiries_visible_to
from crosscluster.inquiries.deadlines import response_deadlines
from crosscluster.inquiries.models import Inquiry
from crosscluster.inquiries.services import InquiryError
from tests.factories import InquiryFactory, MembershipFactory, OrganizationFactory, TopicFactory, UserFactory

State = Inquiry.State
COMPANY = "max@example.com"
OFFICE = "office@example.org"


@pytest.fixture(autouse=True)
def _office_mailbox(settings):
    settings.COORDINATION_EMAIL = OFFICE


@pytest.fixture(autouse=True)
def _english_messages():
    """The refusals are matched by their English msgids."""
    with translation.override("en"):
        yield


@pytest.fixture
def other_manager(other_organization):
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def submitted(region):
    inquiry, _token = services.create_inquiry(
        region=region,
        text="Wir suchen Hilfe beim Recycling von Kunststoffabfällen.",
        company_name="Muster GmbH",
        contact_name="Max Muster",
        email=COMPANY,
        consent=True,
    )
    OutgoingMail.objects.all().delete()
    return inquiry


@pytest.fixture
def assigned(submitted, organization, coordinator, manager):
    services.assign_inquiry(submitted, organization, actor=coordinator)
    OutgoingMail.objects.all().delete()
    return submitted


@pytest.fixture
def accepted(assigned, manager):
    services.accept_inquiry(assigned, actor=manager)
    OutgoingMail.objects.all().delete()
    return assigned


def history(inquiry):
    entries = AuditLogEntry.objects.filter(object_type="inquiries.inquiry", object_id=str(inquiry.pk))
    return list(entries.order_by("id"))


def last_entry(inquiry):
    return history(inquiry)[-1]


def recipients():
    return sorted(OutgoingMail.objects.values_list("to", flat=True))


def stored(inquiry):
    """Everything about the inquiry that a refused step must leave alone."""
    return (
        Inquiry.objects.filter(pk=inquiry.pk).values().get(),
        sorted(inquiry.involved.values_list("pk", flat=True)),
        len(history(inquiry)),
        OutgoingMail.objects.count(),
    )


# Submission --------------------------------------------------------------------------------------------


def test_create_without_organisation_goes_to_the_coordination_office(region, coordinator):
    inquiry, token = services.create_inquiry(
        region=region,
        text="  Frage  ",
        company_name="Muster GmbH",
        contact_name="Max Muster",
        email="Max@Example.com",
        consent=True,
    )

    assert inquiry.state == State.SUBMITTED
    assert inquiry.organization is None
    assert inquiry.first_organization is None
    assert inquiry.due_at is None
    assert inquiry.text == "Frage"
    assert inquiry.email == COMPANY
    assert services.inquiry_for_token(token) == inquiry
    entry = last_entry(inquiry)
    assert (entry.action, entry.actor, entry.organization, entry.data) == (
        "inquiry.submitted",
        None,
        None,
        {},
    )
    assert recipients() == sorted([COMPANY, coordinator.email, OFFICE])


def test_create_with_a_chosen_organisation_assigns_it(region, organization, manager, topic):
    inquiry, _token = services.create_inquiry(
        region=region,
        text="Frage",
        company_name="Muster GmbH",
        contact_name="Max Muster",
        email=COMPANY,
        consent=True,
        organization=organization,
    )

    assert inquiry.state == State.ASSIGNED
    assert inquiry.organization == organization
    assert inquiry.first_organization == organization
    assert (inquiry.due_at, inquiry.escalate_at) == response_deadlines(inquiry.assigned_at, "DE-TH")
    assert list(inquiry.topics.all()) == [topic]
    assert last_entry(inquiry).data == {"chosen": "polymer-netz"}
    assert last_entry(inquiry).organization == organization
    assert recipients() == sorted([COMPANY, manager.email])


def test_create_without_consent_stores_nothing(region):
    with pytest.raises(InquiryError):
        services.create_inquiry(
            region=region, text="Frage", company_name="X", contact_name="Y", email=COMPANY, consent=False
        )

    assert not Inquiry.objects.exists()
    assert not OutgoingMail.objects.exists()


# Assign -------------------------------------------------------------------------------------------------


def test_assign_hands_the_inquiry_to_the_organisation(submitted, organization, coordinator, manager):
    services.assign_inquiry(submitted, organization, actor=coordinator, note="  Passt zu Kunststoff  ")

    submitted.refresh_from_db()
    assert submitted.state == State.ASSIGNED
    assert submitted.organization == organization
    assert submitted.first_organization == organization
    assert (submitted.due_at, submitted.escalate_at) == response_deadlines(submitted.assigned_at, "DE-TH")
    entry = last_entry(submitted)
    assert (entry.action, entry.actor, entry.organization) == ("inquiry.assigned", coordinator, organization)
    assert entry.data == {"to": "polymer-netz", "note": "Passt zu Kunststoff"}
    assert recipients() == [manager.email]
    assert "Passt zu Kunststoff" in OutgoingMail.objects.get().body_text


def test_assign_to_an_organisation_without_managers_alerts_the_coordination_office(
    submitted, other_organization, coordinator
):
    services.assign_inquiry(submitted, other_organization, actor=coordinator)

    assert recipients() == sorted([coordinator.email, OFFICE])


def test_reassign_keeps_the_first_organisation_and_notes_the_previous_one(
    assigned, organization, other_organization, coordinator, other_manager
):
    services.assign_inquiry(assigned, other_organization, actor=coordinator)

    assigned.refresh_from_db()
    assert assigned.organization == other_organization
    assert assigned.first_organization == organization
    assert [(entry.action, entry.organization) for entry in history(assigned)[-2:]] == [
        ("inquiry.assigned", other_organization),
        ("inquiry.reassigned_away", organization),
    ]
    assert recipients() == [other_manager.email]


@pytest.mark.parametrize("role", ["manager", "outsider"])
def test_assign_is_for_the_coordination_office_only(request, submitted, organization, role):
    before = stored(submitted)

    with pytest.raises(PermissionDenied):
        services.assign_inquiry(submitted, organization, actor=request.getfixturevalue(role))

    assert stored(submitted) == before


def test_assign_refuses_the_current_organisation(assigned, organization, coordinator):
    with pytest.raises(InquiryError, match="already with this organisation"):
        services.assign_inquiry(assigned, organization, actor=coordinator)


@pytest.mark.parametrize("target", ["unpublished", "other_region"])
def test_assign_refuses_organisations_outside_the_published_region(submitted, coordinator, target):
    if target == "unpublished":
        organization = OrganizationFactory(region=submitted.region, published=False)
    else:
        organization = OrganizationFactory(region__slug="sachsen", region__name="Sachsen")
    before = stored(submitted)

    with pytest.raises(InquiryError, match="published organisation of this region"):
        services.assign_inquiry(submitted, organization, actor=coordinator)

    assert stored(submitted) == before


# Accept -------------------------------------------------------------------------------------------------


def test_accept_meets_the_deadline_and_tells_the_company(assigned, manager):
    services.accept_inquiry(assigned, actor=manager)

    assigned.refresh_from_db()
    assert assigned.state == State.ACCEPTED
    assert assigned.first_response_at is not None
    assert (assigned.due_at, assigned.escalate_at) == (None, None)
    entry = last_entry(assigned)
    assert (entry.action, entry.actor, entry.data) == ("inquiry.accepted", manager, {})
    assert recipients() == [COMPANY]


def test_accept_by_another_organisation_is_refused(assigned, other_manager, outsider):
    before = stored(assigned)

    for actor in (other_manager, outsider):
        with pytest.raises(PermissionDenied):
            services.accept_inquiry(assigned, actor=actor)

    assert stored(assigned) == before


def test_accept_twice_is_refused(accepted, manager):
    with pytest.raises(InquiryError, match="not possible while the inquiry is"):
        services.accept_inquiry(accepted, actor=manager)


# Forward ------------------------------------------------------------------------------------------------


def test_forward_moves_the_inquiry_with_its_history(
    accepted, organization, other_organization, manager, other_manager
):
    first_response = accepted.first_response_at

    services.forward_inquiry(accepted, other_organization, actor=manager, note="Die machen Recycling.")

    accepted.refresh_from_db()
    assert accepted.state == State.ASSIGNED
    assert accepted.organization == other_organization
    assert accepted.first_organization == organization
    assert accepted.first_response_at == first_response
    assert (accepted.due_at, accepted.escalate_at) == response_deadlines(accepted.assigned_at, "DE-TH")
    forwarded, received = history(accepted)[-2:]
    assert (forwarded.action, forwarded.actor, forwarded.organization) == (
        "inquiry.forwarded",
        manager,
        organization,
    )
    assert forwarded.data == {"to": "andere-org", "note": "Die machen Recycling."}
    assert (received.action, received.organization, received.data) == (
        "inquiry.received",
        other_organization,
        {"from": "polymer-netz"},
    )
    assert recipients() == sorted([other_manager.email, COMPANY])
    assert "Die machen Recycling." in OutgoingMail.objects.get(to=other_manager.email).body_text
    # The sender no longer sees it; the receiver does.
    assert not inquiries_visible_to(manager).filter(pk=accepted.pk).exists()
    assert inquiries_visible_to(other_manager).filter(pk=accepted.pk).exists()


def test_forward_first_response_counts_for_the_deadline(assigned, other_organization, manager):
    services.forward_inquiry(assigned, other_organization, actor=manager, note="Passt besser.")

    assigned.refresh_from_db()
    assert assigned.first_response_at is not None
    assert assigned.reminded_at is None


@pytest.mark.parametrize("note", ["", "   "])
def test_forward_requires_a_note(assigned, other_organization, manager, note):
    before = stored(assigned)

    with pytest.raises(InquiryError, match="note"):
        services.forward_inquiry(assigned, other_organization, actor=manager, note=note)

    assert stored(assigned) == before


def test_forward_to_the_same_organisation_is_refused(assigned, organization, manager):
    with pytest.raises(InquiryError, match="already with this organisation"):
        services.forward_inquiry(assigned, organization, actor=manager, note="Hin und her")


def test_forward_while_with_the_coordination_office_is_refused(submitted, organization, coordinator):
    with pytest.raises(InquiryError):
        services.forward_inquiry(submitted, organization, actor=coordinator, note="Bitte")


# Involve ------------------------------------------------------------------------------------------------


def test_involve_brings_another_organisation_in(
    assigned, organization, other_organization, manager, other_manager
):
    recycling = TopicFactory(slug="recycling", name="Recycling")
    other_organization.topics.add(recycling)

    services.involve_organization(assigned, other_organization, actor=manager, note="Bitte mit beraten")

    assigned.refresh_from_db()
    assert assigned.state == State.ASSIGNED
    assert assigned.organization == organization
    assert list(assigned.involved.all()) == [other_organization]
    assert recycling in assigned.topics.all()
    entry = last_entry(assigned)
    assert (entry.action, entry.actor, entry.organization) == (
        "inquiry.involved",
        manager,
        other_organization,
    )
    assert entry.data == {"to": "andere-org", "note": "Bitte mit beraten"}
    assert recipients() == [other_manager.email]
    assert inquiries_visible_to(other_manager).filter(pk=assigned.pk).exists()


def test_involved_manager_sees_but_may_not_act(assigned, other_organization, manager, other_manager):
    services.involve_organization(assigned, other_organization, actor=manager)
    before = stored(assigned)

    steps = [
        lambda: services.accept_inquiry(assigned, actor=other_manager),
        lambda: services.forward_inquiry(assigned, other_organization, actor=other_manager, note="x"),
        lambda: services.resolve_inquiry(assigned, actor=other_manager),
        lambda: services.hand_back_inquiry(assigned, actor=other_manager, note="x"),
    ]
    for step in steps:
        with pytest.raises(PermissionDenied):
            step()

    assert stored(assigned) == before


def test_involve_twice_is_refused(assigned, organization, other_organization, manager):
    services.involve_organization(assigned, other_organization, actor=manager)

    for target in (other_organization, organization):
        with pytest.raises(InquiryError, match="already working on the inquiry"):
            services.involve_organization(assigned, target, actor=manager)


# Hand back ----------------------------------------------------------------------------------------------


def test_hand_back_returns_the_inquiry_to_the_coordination_office(
    assigned, organization, manager, coordinator
):
    services.hand_back_inquiry(assigned, actor=manager, note="Kein Kunststoff-Thema")

    assigned.refresh_from_db()
    assert assigned.state == State.SUBMITTED
    assert assigned.organization is None
    assert assigned.first_organization == organization
    assert assigned.first_response_at is not None
    assert assigned.due_at is None
    entry = last_entry(assigned)
    assert (entry.action, entry.actor, entry.organization) == ("inquiry.handed_back", manager, organization)
    assert entry.data == {"note": "Kein Kunststoff-Thema"}
    assert recipients() == sorted([coordinator.email, OFFICE])
    assert not inquiries_visible_to(manager).filter(pk=assigned.pk).exists()


def test_hand_back_requires_a_note(assigned, manager):
    before = stored(assigned)

    with pytest.raises(InquiryError, match="note"):
        services.hand_back_inquiry(assigned, actor=manager, note=" ")

    assert stored(assigned) == before


# Resolve and "first try right" --------------------------------------------------------------------------


def test_resolve_closes_the_inquiry_first_try_right(accepted, organization, manager):
    services.resolve_inquiry(accepted, actor=manager, note="Termin vereinbart")

    accepted.refresh_from_db()
    assert accepted.state == State.RESOLVED
    assert accepted.closed_at is not None
    assert accepted.resolved_by == organization
    assert accepted.first_organization == accepted.resolved_by  # first try right
    entry = last_entry(accepted)
    assert (entry.action, entry.actor, entry.organization) == ("inquiry.resolved", manager, organization)
    assert entry.data == {"note": "Termin vereinbart"}
    assert recipients() == [COMPANY]
    assert "Termin vereinbart" not in OutgoingMail.objects.get().body_text  # the note is internal


def test_resolve_after_forwarding_is_not_first_try_right(
    assigned, organization, other_organization, manager, other_manager
):
    services.forward_inquiry(assigned, other_organization, actor=manager, note="Passt besser")
    services.resolve_inquiry(assigned, actor=other_manager)

    assigned.refresh_from_db()
    assert (assigned.first_organization, assigned.resolved_by) == (organization, other_organization)


def test_resolve_by_the_coordination_office_counts_for_the_organisation(assigned, organization, coordinator):
    services.resolve_inquiry(assigned, actor=coordinator)

    assigned.refresh_from_db()
    assert assigned.resolved_by == organization
    assert last_entry(assigned).actor == coordinator


# Close as "no fit" --------------------------------------------------------------------------------------


def test_close_no_fit_tells_the_company_why(submitted, coordinator):
    services.close_no_fit(submitted, actor=coordinator, note="Dafür gibt es in Thüringen kein Netzwerk.")

    submitted.refresh_from_db()
    assert submitted.state == State.NO_FIT
    assert submitted.closed_at is not None
    assert submitted.resolved_by is None
    entry = last_entry(submitted)
    assert (entry.action, entry.actor) == ("inquiry.closed_no_fit", coordinator)
    assert entry.data == {"note": "Dafür gibt es in Thüringen kein Netzwerk."}
    assert recipients() == [COMPANY]
    assert "Dafür gibt es in Thüringen kein Netzwerk." in OutgoingMail.objects.get().body_text


def test_close_no_fit_is_for_the_coordination_office_only(assigned, manager):
    before = stored(assigned)

    with pytest.raises(PermissionDenied):
        services.close_no_fit(assigned, actor=manager, note="Passt nicht")

    assert stored(assigned) == before


def test_close_no_fit_requires_a_note(submitted, coordinator):
    with pytest.raises(InquiryError, match="note"):
        services.close_no_fit(submitted, actor=coordinator, note="")


# Closed inquiries take no further step ------------------------------------------------------------------

STEPS = {
    "assign": lambda inquiry, org, actor: services.assign_inquiry(inquiry, org, actor=actor),
    "accept": lambda inquiry, org, actor: services.accept_inquiry(inquiry, actor=actor),
    "forward": lambda inquiry, org, actor: services.forward_inquiry(inquiry, org, actor=actor, note="x"),
    "involve": lambda inquiry, org, actor: services.involve_organization(inquiry, org, actor=actor),
    "hand_back": lambda inquiry, org, actor: services.hand_back_inquiry(inquiry, actor=actor, note="x"),
    "resolve": lambda inquiry, org, actor: services.resolve_inquiry(inquiry, actor=actor),
    "close_no_fit": lambda inquiry, org, actor: services.close_no_fit(inquiry, actor=actor, note="x"),
}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("state", [State.RESOLVED, State.NO_FIT, State.WITHDRAWN])
def test_closed_inquiry_refuses_every_step(organization, other_organization, coordinator, state, step):
    inquiry = InquiryFactory(region=organization.region, organization=organization, state=state)
    before = stored(inquiry)

    with pytest.raises(InquiryError, match="not possible while the inquiry is"):
        STEPS[step](inquiry, other_organization, coordinator)

    assert stored(inquiry) == before


@pytest.mark.parametrize("step", ["accept", "forward", "hand_back", "resolve"])
def test_steps_of_an_organisation_need_one(submitted, other_organization, coordinator, step):
    """While the coordination office decides, nobody can accept, forward, hand back or resolve."""
    with pytest.raises(InquiryError, match="not possible while the inquiry is"):
        STEPS[step](submitted, other_organization, coordinator)


# Withdrawal (the company's own step) ---------------------------------------------------------------------


def test_withdraw_tells_the_organisation_after_erasing(assigned, manager):
    services.accept_inquiry(assigned, actor=manager)

    services.withdraw_inquiry(assigned)

    assigned.refresh_from_db()
    assert assigned.state == State.WITHDRAWN
    assert (assigned.company_name, assigned.email, assigned.text) == ("", "", "")
    assert [entry.action for entry in history(assigned)[-2:]] == ["inquiry.withdrawn", "inquiry.erased"]
    # Erasure removed the earlier mails (they name the company); the notice to the organisation stays.
    notice = OutgoingMail.objects.get()
    assert notice.to == manager.email
    assert "Muster GmbH" not in notice.body_text
