"""Who may do what with an inquiry in the manager area: every role against every inquiry view and step.

The inquiry is assigned to organisation A ("current") and organisation B is involved. Decisions:

- anonymous visitors are sent to the login page;
- people who cannot see the inquiry (no organisation, or an unrelated one) get 404 on every URL of it, like
  for an inquiry that does not exist: whether it exists, and for whom, is not theirs to know;
- the involved organisation's managers see it (200) but take no step (403);
- A's managers take A's steps (accept, forward, involve, hand back, resolve), not the coordination office's
  (assign, close as "no fit": 403);
- the coordination office and platform admins do everything;
- the inbox is open to everyone logged in (it may be empty); the dashboard only to the coordination office.

Whenever a request is refused, nothing in the database changes.
"""

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, MembershipFactory, OrganizationFactory, UserFactory

ROLES = [
    "anonymous",
    "outsider",
    "unrelated_manager",
    "involved_manager",
    "manager",
    "coordinator",
    "admin_user",
]
COORDINATION = {"coordinator", "admin_user"}
CAN_SEE = {"involved_manager", "manager", *COORDINATION}


@pytest.fixture
def involved_manager(other_organization):
    user = UserFactory(email="involved@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def unrelated_manager(region):
    user = UserFactory(email="unrelated@example.org")
    MembershipFactory(user=user, organization=OrganizationFactory(region=region, slug="fremd"))
    return user


@pytest.fixture
def target(region):
    """Where forwarding, involving and assigning go."""
    return OrganizationFactory(region=region, slug="ziel", name="Ziel-Netzwerk")


@pytest.fixture
def inquiry(organization, other_organization):
    inquiry = InquiryFactory(
        region=organization.region, organization=organization, state=Inquiry.State.ASSIGNED
    )
    inquiry.involved.add(other_organization)
    return inquiry


# (URL name, HTTP method, POST data, who may, the audit action it writes)
VIEWS = [
    ("inquiries", "get", None, None, None),
    ("inquiry-dashboard", "get", None, COORDINATION, None),
    ("inquiry", "get", None, CAN_SEE, None),
    ("inquiry-accept", "post", {}, {"manager", *COORDINATION}, "inquiry.accepted"),
    (
        "inquiry-forward",
        "post",
        {"forward-organization": "{target}", "forward-note": "Passt besser"},
        {"manager", *COORDINATION},
        "inquiry.forwarded",
    ),
    (
        "inquiry-involve",
        "post",
        {"involve-organization": "{target}", "involve-note": ""},
        {"manager", *COORDINATION},
        "inquiry.involved",
    ),
    (
        "inquiry-hand-back",
        "post",
        {"hand-back-note": "Passt nicht"},
        {"manager", *COORDINATION},
        "inquiry.handed_back",
    ),
    ("inquiry-resolve", "post", {"resolve-note": ""}, {"manager", *COORDINATION}, "inquiry.resolved"),
    (
        "inquiry-assign",
        "post",
        {"assign-organization": "{target}", "assign-note": ""},
        COORDINATION,
        "inquiry.assigned",
    ),
    ("inquiry-close", "post", {"close-note": "Niemand passt"}, COORDINATION, "inquiry.closed_no_fit"),
]


def url_for(name, inquiry):
    if name in ("inquiries", "inquiry-dashboard"):
        return reverse(f"manage:{name}")
    return reverse(f"manage:{name}", kwargs={"pk": inquiry.pk})


def state():
    """Everything an inquiry view could change, comparable before and after."""
    return (
        list(Inquiry.objects.order_by("pk").values()),
        list(Inquiry.involved.through.objects.order_by("pk").values()),
        list(Inquiry.topics.through.objects.order_by("pk").values()),
        AuditLogEntry.objects.count(),
        OutgoingMail.objects.count(),
    )


def refusal(name, role):
    """The dashboard is forbidden; an inquiry one cannot see is not found, one one can see is forbidden."""
    if name == "inquiry-dashboard":
        return 403
    return 403 if role in CAN_SEE else 404


def view_id(view):
    name, method, _data, _who, _action = view
    return f"{method.upper()} {name}"


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(
    client, request, inquiry, target, manager, involved_manager, unrelated_manager, role, view
):
    name, method, data, allowed, action = view
    url = url_for(name, inquiry)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if user:
        client.force_login(user)
    payload = {key: value.format(target=target.pk) for key, value in (data or {}).items()}
    before = state()
    last_entry = AuditLogEntry.objects.order_by("id").last()

    response = getattr(client, method)(url, payload)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif allowed is not None and role not in allowed:
        expected = refusal(name, role)
        assert response.status_code == expected
        assert f"core/{expected}.html" in [template.name for template in response.templates]
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302, response.context["form"].errors
        new_entries = AuditLogEntry.objects.filter(pk__gt=last_entry.pk if last_entry else 0)
        assert action in {entry.action for entry in new_entries}
        assert {entry.actor for entry in new_entries} == {user}


def test_permission_matrix_covers_every_inquiry_url():
    from crosscluster.inquiries.manage_urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == {view[0] for view in VIEWS}


@pytest.mark.parametrize("role", ["outsider", "unrelated_manager", "involved_manager"])
def test_permission_inbox_lists_only_visible_inquiries(client, request, inquiry, involved_manager, role):
    client.force_login(request.getfixturevalue(role))

    references = [
        item.reference for item in client.get(reverse("manage:inquiries")).context["page"].object_list
    ]

    assert references == ([inquiry.reference] if role == "involved_manager" else [])


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_permission_unknown_inquiry_is_404(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("manage:inquiry", kwargs={"pk": 999999})).status_code == 404
    assert client.post(reverse("manage:inquiry-accept", kwargs={"pk": 999999})).status_code == 404


def test_permission_former_organisation_loses_sight_after_forwarding(client, inquiry, manager, target):
    client.force_login(manager)
    client.post(
        reverse("manage:inquiry-forward", kwargs={"pk": inquiry.pk}),
        {"forward-organization": target.pk, "forward-note": "Passt besser"},
    )

    assert client.get(reverse("manage:inquiry", kwargs={"pk": inquiry.pk})).status_code == 404


def test_permission_inactive_manager_is_refused(client, inquiry, manager):
    client.force_login(manager)
    manager.is_active = False
    manager.save()

    response = client.get(reverse("manage:inquiry", kwargs={"pk": inquiry.pk}))

    assert response.status_code == 302  # the session no longer counts: back to the login page
