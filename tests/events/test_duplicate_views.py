"""The coordination office's duplicates page: who may see and use it, merge and split by POST only."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import DuplicateDecision, Event
from crosscluster.events.services import create_event
from tests.factories import MembershipFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ROLES = ["anonymous", "outsider", "other_manager", "manager", "coordinator", "admin_user"]
ALLOWED = {"coordinator", "admin_user"}
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def entered(organization, title, hour=10, **fields):
    return create_event(
        actor=None,
        organizers=[organization],
        title=title,
        start=berlin(2030, 3, 10, hour),
        end=berlin(2030, 3, 10, hour + 2),
        venue="Volkshaus",
        city="Jena",
        **fields,
    )


@pytest.fixture
def other_manager(other_organization):
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def events(before_2030, organization, other_organization):
    """A merged pair, and a pair that is only suspected (same titles, different hours)."""
    return {
        "canonical": entered(organization, "Wasserstoffforum Thüringen"),
        "duplicate": entered(other_organization, "Wasserstoff-Forum Thüringen"),
        "suspect_a": entered(organization, "Netzwerktreffen Kunststoff und Recycling", hour=14),
        "suspect_b": entered(other_organization, "Kunststoff-Netzwerktreffen", hour=17),
    }


def state():
    return (
        list(Event.objects.order_by("pk").values_list("pk", "duplicate_of")),
        list(DuplicateDecision.objects.values_list("key_a", "key_b", "decision")),
        AuditLogEntry.objects.count(),
    )


# (URL name, URL arguments from the events, HTTP method)
VIEWS = [
    ("event-duplicates", (), "get"),
    ("event-merge", ("suspect_a", "suspect_b"), "get"),
    ("event-merge", ("suspect_a", "suspect_b"), "post"),
    ("event-split", ("duplicate",), "get"),
    ("event-split", ("duplicate",), "post"),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: f"{view[2].upper()} {view[0]}")
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_duplicates(client, request, events, other_manager, role, view):
    name, args, method = view
    url = reverse(f"manage:{name}", args=[events[arg].pk for arg in args])
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state()

    response = getattr(client, method)(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif role not in ALLOWED:
        assert response.status_code == 403
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("manage:event-duplicates")
        assert state() != before
        entry = AuditLogEntry.objects.latest("id")
        assert entry.action == ("event.merged" if name == "event-merge" else "event.split")
        assert entry.actor == request.getfixturevalue(role)


def test_duplicates_page_lists_groups_and_suspects(client, coordinator, events):
    client.force_login(coordinator)

    response = client.get(reverse("manage:event-duplicates"))

    assert [(c, d) for c, d in response.context["groups"]] == [(events["canonical"], [events["duplicate"]])]
    assert [(a, b) for a, b, _score in response.context["suspects"]] == [
        (events["suspect_a"], events["suspect_b"])
    ]
    html = response.content.decode()
    assert reverse("manage:event-split", args=[events["duplicate"].pk]) in html
    assert reverse("manage:event-merge", args=[events["suspect_a"].pk, events["suspect_b"].pk]) in html


def test_merge_and_split_through_the_page(client, coordinator, events):
    client.force_login(coordinator)

    client.post(reverse("manage:event-merge", args=[events["suspect_a"].pk, events["suspect_b"].pk]))
    client.post(reverse("manage:event-split", args=[events["duplicate"].pk]))

    response = client.get(reverse("manage:event-duplicates"))
    assert [(c, d) for c, d in response.context["groups"]] == [(events["suspect_a"], [events["suspect_b"]])]
    assert response.context["suspects"] == []  # the split pair is decided, so no longer suspected
    public = client.get(reverse("events:list"), {"date_from": "2030-03-10"})
    assert [e.title for e in public.context["events"]] == [
        "Wasserstoffforum Thüringen",
        "Wasserstoff-Forum Thüringen",
        "Netzwerktreffen Kunststoff und Recycling",
    ]


def test_split_of_a_single_event_is_refused_with_a_message(client, coordinator, events):
    client.force_login(coordinator)

    response = client.post(reverse("manage:event-split", args=[events["suspect_a"].pk]), follow=True)

    assert "nicht mit einer anderen zusammengeführt" in response.content.decode()
    assert not AuditLogEntry.objects.filter(action="event.split").exists()


def test_merge_of_an_unknown_event_is_404(client, coordinator, events):
    client.force_login(coordinator)

    url = reverse("manage:event-merge", args=[events["suspect_a"].pk, 999999])
    assert client.post(url).status_code == 404
