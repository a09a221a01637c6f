"""The coordination office's duplicates page: who may see and use it, merge and split by POST only."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.events.dedup import services as dedup_services
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


# What each organiser sees of a merge, and who may ask for, or do, a split -----------------------------


@pytest.fixture
def merged(organization, other_organization):
    """One event announced twice: PolymerNetz entered it (shown publicly), the other network a quarter of
    an hour later in another hall of the same town."""
    shown = entered(organization, "Wasserstoffforum Thüringen")
    other = create_event(
        actor=None,
        organizers=[other_organization],
        title="Wasserstoff-Forum Thüringen",
        start=berlin(2030, 3, 10, 10, 15),
        end=berlin(2030, 3, 10, 12),
        venue="Rathaus",
        city="Jena",
    )
    other.refresh_from_db()
    assert other.duplicate_of == shown
    return {"shown": shown, "other": other}


def split_state():
    return (
        list(Event.objects.order_by("pk").values_list("pk", "duplicate_of")),
        list(DuplicateDecision.objects.values_list("key_a", "key_b", "decision")),
        list(AuditLogEntry.objects.values_list("action", "object_id")),
        OutgoingMail.objects.count(),
    )


# (action, event, HTTP method, URL name, roles allowed; coordinators act as the office)
ORGANISER_ACTIONS = [
    (
        "see the comparison",
        "other",
        "get",
        "event-announcements",
        {"other_manager", "coordinator", "admin_user"},
    ),
    ("see the comparison", "shown", "get", "event-announcements", {"manager", "coordinator", "admin_user"}),
    (
        "ask for a split",
        "other",
        "post",
        "event-announcements",
        {"other_manager", "coordinator", "admin_user"},
    ),
    ("ask for a split", "shown", "post", "event-announcements", {"manager", "coordinator", "admin_user"}),
    ("see the edit page", "other", "get", "event-edit", {"other_manager", "coordinator", "admin_user"}),
    ("split", "other", "get", "event-split", {"coordinator", "admin_user"}),
    ("split", "other", "post", "event-split", {"coordinator", "admin_user"}),
    ("split", "shown", "post", "event-split", {"coordinator", "admin_user"}),
]


@pytest.mark.parametrize(
    "action", ORGANISER_ACTIONS, ids=[f"{a[2].upper()} {a[0]} ({a[1]})" for a in ORGANISER_ACTIONS]
)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_merged_events(
    client, request, merged, other_manager, coordinator, role, action
):
    _label, which, method, name, allowed = action
    event = merged[which]
    url = reverse(f"manage:{name}", args=[event.pk])
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = split_state()

    response = getattr(client, method)(url, {"message": "Andere Zielgruppe"} if method == "post" else {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert split_state() == before
    elif role not in allowed:
        assert response.status_code == 403
        assert split_state() == before
    elif method == "get":
        assert response.status_code == 200
        assert split_state() == before
    elif name == "event-announcements":
        assert response.status_code == 302
        entry = AuditLogEntry.objects.latest("id")
        assert (entry.action, entry.object_id, entry.actor) == (
            "event.split_requested",
            str(event.pk),
            request.getfixturevalue(role),
        )
        assert Event.objects.get(pk=merged["other"].pk).duplicate_of == merged["shown"]  # only asked
        assert OutgoingMail.objects.count() == before[3] + 1  # to the coordination office
    else:
        assert response.status_code == 302
        assert Event.objects.get(pk=merged["other"].pk).duplicate_of is None
        assert AuditLogEntry.objects.latest("id").action == "event.split"


@pytest.mark.parametrize("role", ["manager", "other_manager", "outsider"])
def test_managers_cannot_merge_or_split_even_through_the_services(request, merged, other_manager, role):
    actor = request.getfixturevalue(role)
    before = split_state()

    with pytest.raises(PermissionDenied):
        dedup_services.split_event(merged["other"], actor=actor)
    with pytest.raises(PermissionDenied):
        dedup_services.merge_events(merged["shown"], merged["other"], actor=actor)

    assert split_state() == before


@pytest.mark.parametrize(
    ("role", "which"), [("manager", "other"), ("other_manager", "shown"), ("outsider", "other")]
)
def test_asking_for_a_split_of_another_network_s_event_is_refused(
    request, merged, other_manager, role, which
):
    before = split_state()

    with pytest.raises(PermissionDenied):
        dedup_services.request_split(
            merged[which], actor=request.getfixturevalue(role), message="Bitte trennen"
        )

    assert split_state() == before


def test_list_names_the_announcement_the_public_sees(client, manager, other_manager, merged):
    client.force_login(other_manager)
    theirs = client.get(reverse("manage:events")).content.decode()
    client.force_login(manager)
    ours = client.get(reverse("manage:events")).content.decode()

    assert "Öffentlich gelistet als Ankündigung von PolymerNetz Thüringen." in theirs
    assert reverse("manage:event-announcements", args=[merged["other"].pk]) in theirs
    assert "Öffentlich gelistet als Ihre Ankündigung; auch angekündigt von Anderes Netzwerk." in ours
    assert reverse("manage:event-announcements", args=[merged["shown"].pk]) in ours


def test_edit_page_shows_what_differs_side_by_side(client, other_manager, merged):
    client.force_login(other_manager)

    response = client.get(reverse("manage:event-edit", args=[merged["other"].pk]))

    context = response.context["announcements"]
    assert context["canonical"] == merged["shown"]
    assert context["canonical_source"] == "PolymerNetz Thüringen, von Hand eingegeben"
    [comparison] = context["comparisons"]
    assert [(label, str(own), str(other)) for label, own, other in comparison["rows"]] == [
        ("Titel", "Wasserstoff-Forum Thüringen", "Wasserstoffforum Thüringen"),
        (
            "Datum und Uhrzeit",
            '<time datetime="2030-03-10T10:15:00+01:00">So, 10. März 2030, 10:15</time>–'
            '<time datetime="2030-03-10T12:00:00+01:00">12:00</time>',
            '<time datetime="2030-03-10T10:00:00+01:00">So, 10. März 2030, 10:00</time>–'
            '<time datetime="2030-03-10T12:00:00+01:00">12:00</time>',
        ),
        ("Ort", "Rathaus, Jena", "Volkshaus, Jena"),
    ]
    html = response.content.decode()
    assert "als Ankündigung von <strong>PolymerNetz Thüringen, von Hand eingegeben</strong>" in html
    assert "<caption>Worin sich Ihre Ankündigung von der gezeigten unterscheidet" in html
    assert reverse("manage:event-announcements", args=[merged["other"].pk]) in html
    assert reverse("manage:event-split", args=[merged["other"].pk]) not in html  # only the office splits


def test_the_shown_announcement_s_organiser_sees_the_other_one(client, manager, merged):
    client.force_login(manager)

    response = client.get(reverse("manage:event-announcements", args=[merged["shown"].pk]))

    context = response.context["announcements"]
    assert context["own_is_shown"] is True
    assert [c["other"] for c in context["comparisons"]] == [merged["other"]]
    assert [label for label, _own, _other in context["comparisons"][0]["rows"]] == [
        "Titel",
        "Datum und Uhrzeit",
        "Ort",
    ]
    assert "als <strong>Ihre Ankündigung</strong>" in response.content.decode()


def test_an_event_on_its_own_has_nothing_to_compare(client, manager, events):
    client.force_login(manager)

    response = client.get(reverse("manage:event-announcements", args=[events["suspect_a"].pk]))
    edit = client.get(reverse("manage:event-edit", args=[events["suspect_a"].pk]))

    assert response.context["announcements"] is None
    assert "ist mit keiner anderen Ankündigung zusammengeführt" in response.content.decode()
    assert edit.context["announcements"] is None
    refused = client.post(reverse("manage:event-announcements", args=[events["suspect_a"].pk]), follow=True)
    assert "nicht mit einer anderen zusammengeführt" in refused.content.decode()
    assert not AuditLogEntry.objects.filter(action="event.split_requested").exists()


def test_a_request_to_split_reaches_the_office_and_its_page(
    client, other_manager, coordinator, merged, settings
):
    settings.COORDINATION_EMAIL = "koordination@crosscluster.example"
    client.force_login(other_manager)

    response = client.post(
        reverse("manage:event-announcements", args=[merged["other"].pk]),
        {"message": "Unser Forum ist für Studierende, nicht für Firmen."},
        follow=True,
    )

    assert "Die Koordinierungsstelle wurde gebeten" in response.content.decode()
    assert "Sie haben am" in response.content.decode()
    mails = OutgoingMail.objects.order_by("to")
    assert [mail.to for mail in mails] == ["koordination@crosscluster.example", coordinator.email]
    assert (
        mails[0].subject
        == "Bitte, die zusammengeführte Veranstaltung „Wasserstoff-Forum Thüringen“ zu trennen"
    )
    assert "Unser Forum ist für Studierende, nicht für Firmen." in mails[0].body_text
    assert "/manage/veranstaltungen/duplikate/" in mails[0].body_text
    client.force_login(coordinator)
    page = client.get(reverse("manage:event-duplicates"))
    assert [(entry.data["message"], event) for entry, event in page.context["requests"]] == [
        ("Unser Forum ist für Studierende, nicht für Firmen.", merged["other"])
    ]
    client.post(reverse("manage:event-split", args=[merged["other"].pk]))
    assert client.get(reverse("manage:event-duplicates")).context["requests"] == []  # done


def test_a_long_message_is_refused_at_its_field(client, other_manager, merged):
    client.force_login(other_manager)

    response = client.post(
        reverse("manage:event-announcements", args=[merged["other"].pk]), {"message": "x" * 2001}
    )

    assert response.status_code == 200
    assert list(response.context["announcements"]["request_form"].errors) == ["message"]
    assert not AuditLogEntry.objects.filter(action="event.split_requested").exists()


def test_event_list_query_count_with_merged_events_and_series(
    client, manager, organization, other_organization, merged, django_assert_num_queries
):
    client.force_login(manager)
    create_event(
        actor=None,
        organizers=[organization],
        title="Stammtisch",
        start=berlin(2030, 3, 7, 18),
        end=berlin(2030, 3, 7, 20),
        rrule="FREQ=WEEKLY;COUNT=5",
    )
    entered(other_organization, "Kunststofftag", hour=6)
    entered(organization, "Kunststofftag", hour=6)  # later: shown as the other network's announcement
    client.get(reverse("manage:events"))  # warms the session

    # session, user, memberships (create button), count, events with the canonical events, their organisers,
    # the canonical events' organisers, the duplicates, their organisers, the series' further dates,
    # the feeds with problems, the navigation's counts (accounts.todo.nav_counts)
    with django_assert_num_queries(12):
        client.get(reverse("manage:events"))
    for number in range(3):
        entered(organization, f"Weitere Veranstaltung {number}", hour=7 + number)
        entered(other_organization, f"Weitere Veranstaltung {number}", hour=7 + number)
        entered(other_organization, f"Anderer Kunststofftag {number}", hour=7 + number)
        entered(organization, f"Anderer Kunststofftag {number}", hour=7 + number)
    with django_assert_num_queries(12):
        client.get(reverse("manage:events"))
