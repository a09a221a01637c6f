"""The manager area for events: every role against every view, the form in Berlin time, errors."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import Event
from tests.factories import EventFactory, MembershipFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ROLES = ["anonymous", "outsider", "other_manager", "manager", "coordinator", "admin_user"]
ALLOWED = {"manager", "coordinator", "admin_user"}


def event_data(organization, **overrides):
    return {
        "title_de": "Neue Veranstaltung",
        "organizers": [organization.pk],
        "description_de": "<p>Text</p>",
        "start": "2027-05-06T09:30",
        "end": "2027-05-06T12:00",
        "format": "on_site",
        "venue": "Volkshaus",
        "city": "Jena",
        "language": "de",
        "status": "scheduled",
        "is_free": "on",
        "published": "on",
        **overrides,
    }


# (URL name, needs the event id, HTTP method, sends POST data)
VIEWS = [
    ("events", False, "get", False),
    ("event-create", False, "get", False),
    ("event-create", False, "post", True),
    ("event-edit", True, "get", False),
    ("event-edit", True, "post", True),
    ("event-delete", True, "get", False),
    ("event-delete", True, "post", False),
]


@pytest.fixture
def other_manager(other_organization):
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def event(organization):
    return EventFactory(organizers=[organization], title="Kunststofftag")


def state():
    return (
        list(Event.objects.order_by("pk").values()),
        list(Event.organizers.through.objects.order_by("pk").values()),
        AuditLogEntry.objects.count(),
    )


def view_id(view):
    name, _needs_event, method, _data = view
    return f"{method.upper()} {name}"


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_events(client, request, organization, event, other_manager, role, view):
    name, needs_event, method, sends_data = view
    url = reverse(f"manage:{name}", kwargs={"pk": event.pk} if needs_event else {})
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state()

    response = getattr(client, method)(url, event_data(organization) if sends_data else {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif name == "events" or (name == "event-create" and role == "other_manager" and method == "get"):
        # The list shows only one's own events; B's manager may create events, but not for A.
        assert response.status_code == 200
        assert state() == before
    elif role not in ALLOWED and not (name == "event-create" and role == "other_manager"):
        assert response.status_code == 403
        assert "core/403.html" in [template.name for template in response.templates]
        assert state() == before
    elif role == "other_manager":  # POST event-create naming A as organiser: A is not a choice for B
        assert response.status_code == 200
        assert "organizers" in response.context["form"].errors
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert response["Location"] == reverse("manage:events")
        assert state() != before
        entry = AuditLogEntry.objects.latest("id")
        assert entry.actor == request.getfixturevalue(role)
        assert entry.organization == organization


def test_manage_event_list_shows_only_own_events(client, manager, organization, other_organization):
    EventFactory(organizers=[organization], title="Eigene Veranstaltung")
    EventFactory(organizers=[other_organization], title="Fremde Veranstaltung")
    client.force_login(manager)

    html = client.get(reverse("manage:events")).content.decode()

    assert "Eigene Veranstaltung" in html
    assert "Fremde Veranstaltung" not in html


def test_manage_event_list_shows_everything_to_the_coordinator(client, coordinator, other_organization):
    EventFactory(organizers=[other_organization], title="Fremde Veranstaltung")
    client.force_login(coordinator)

    assert "Fremde Veranstaltung" in client.get(reverse("manage:events")).content.decode()


def test_manage_event_unknown_id_is_404(client, manager):
    client.force_login(manager)

    assert client.get(reverse("manage:event-edit", kwargs={"pk": 999999})).status_code == 404


def test_manage_event_create_reads_times_as_berlin_time(client, manager, organization):
    """The test settings run in Pacific/Auckland: the form must still mean Berlin."""
    client.force_login(manager)

    client.post(reverse("manage:event-create"), event_data(organization))

    event = Event.objects.get()
    assert event.start == dt.datetime(2027, 5, 6, 9, 30, tzinfo=BERLIN)
    assert event.end == dt.datetime(2027, 5, 6, 12, 0, tzinfo=BERLIN)


def test_manage_event_edit_shows_berlin_time(client, manager, organization):
    EventFactory(
        organizers=[organization],
        start=dt.datetime(2027, 5, 6, 9, 30, tzinfo=BERLIN),
        end=dt.datetime(2027, 5, 6, 12, tzinfo=BERLIN),
    )
    client.force_login(manager)

    html = client.get(reverse("manage:event-edit", kwargs={"pk": Event.objects.get().pk})).content.decode()

    assert 'type="datetime-local" name="start" value="2027-05-06T09:30"' in html
    assert 'value="2027-05-06T12:00"' in html


def test_manage_event_all_day_stores_an_exclusive_end_and_shows_the_last_day(client, manager, organization):
    client.force_login(manager)

    client.post(
        reverse("manage:event-create"),
        event_data(organization, all_day="on", start="2027-05-06T00:00", end="2027-05-07T00:00"),
    )

    event = Event.objects.get()
    assert event.start == dt.datetime(2027, 5, 6, tzinfo=BERLIN)
    assert event.end == dt.datetime(2027, 5, 8, tzinfo=BERLIN)
    html = client.get(reverse("manage:event-edit", kwargs={"pk": event.pk})).content.decode()
    assert 'name="end" value="2027-05-07T00:00"' in html


def test_manage_event_create_shows_errors_in_a_summary(client, manager, organization):
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-create"),
        event_data(organization, title_de="", end="2027-05-06T08:00", registration_url="javascript:x"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="message message-error error-summary" role="alert"' in html
    assert set(response.context["form"].errors) == {"title_de", "end", "registration_url"}
    assert 'href="#id_title_de"' in html
    assert not Event.objects.exists()


def test_manage_event_form_labels_every_field(client, manager):
    client.force_login(manager)

    response = client.get(reverse("manage:event-create"))

    html = response.content.decode()
    for field in response.context["form"]:
        if field.use_fieldset:
            assert "<legend>" + str(field.label) in html
        else:
            assert f'<label for="{field.id_for_label}">' in html


def test_manage_event_edit_by_manager_keeps_a_foreign_co_organizer(
    client, manager, organization, other_organization
):
    event = EventFactory(organizers=[organization, other_organization])
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-edit", kwargs={"pk": event.pk}),
        event_data(organization, organizers=[organization.pk, other_organization.pk]),
    )

    assert response.status_code == 302
    assert set(event.organizers.all()) == {organization, other_organization}


def test_manage_event_edit_refuses_dropping_all_own_organizers(
    client, manager, organization, other_organization
):
    event = EventFactory(organizers=[organization, other_organization], title="Gemeinsam")
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-edit", kwargs={"pk": event.pk}),
        event_data(organization, organizers=[other_organization.pk], title="Weggegeben"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    event.refresh_from_db()
    assert event.title == "Gemeinsam"
    assert set(event.organizers.all()) == {organization, other_organization}


def test_manage_event_list_query_count_does_not_grow_with_events(
    client, manager, organization, django_assert_num_queries
):
    client.force_login(manager)
    for _number in range(3):
        EventFactory(organizers=[organization])
    client.get(reverse("manage:events"))  # warms the session

    # session, user, memberships (create button), count, events, organisers, duplicates, further dates
    # (merged events and series: tests/events/test_duplicate_views.py), feeds with problems, the navigation's
    # counts (accounts.todo.nav_counts)
    with django_assert_num_queries(10):
        client.get(reverse("manage:events"))
    for _number in range(5):
        EventFactory(organizers=[organization])
    with django_assert_num_queries(10):
        client.get(reverse("manage:events"))


def test_manager_of_one_organization_need_not_tick_it(client, manager, organization):
    """The first save of a new manager failed: the only organisation was not ticked (issue 11)."""
    client.force_login(manager)

    form = client.get(reverse("manage:event-create")).context["form"]
    response = client.post(reverse("manage:event-create"), event_data(organization, organizers=[]))

    assert "checked" in str(form["organizers"])
    assert form["organizers"].help_text == "Ihre Organisation richtet die Veranstaltung aus."
    assert response.status_code == 302
    assert list(Event.objects.get().organizers.all()) == [organization]


def test_manager_of_several_organizations_chooses_them(client, organization, other_organization):
    user = UserFactory(email="zwei@example.org")
    MembershipFactory(user=user, organization=organization)
    MembershipFactory(user=user, organization=other_organization)
    client.force_login(user)

    form = client.get(reverse("manage:event-create")).context["form"]
    refused = client.post(reverse("manage:event-create"), event_data(organization, organizers=[]))
    chosen = client.post(
        reverse("manage:event-create"), event_data(organization, organizers=[other_organization.pk])
    )

    assert "checked" not in str(form["organizers"])
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"organizers": ["Wählen Sie mindestens einen Veranstalter."]}
    assert 'href="#id_organizers_0"' in refused.content.decode()
    assert chosen.status_code == 302
    assert list(Event.objects.get().organizers.all()) == [other_organization]


def test_coordinator_chooses_the_organizers(client, coordinator, organization, other_organization):
    client.force_login(coordinator)

    response = client.post(reverse("manage:event-create"), event_data(organization, organizers=[]))

    assert response.context["form"].errors == {"organizers": ["Wählen Sie mindestens einen Veranstalter."]}
    assert not Event.objects.exists()


def test_editing_keeps_the_only_organization_when_unticked(client, manager, organization):
    event = EventFactory(organizers=[organization])
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-edit", kwargs={"pk": event.pk}), event_data(organization, organizers=[])
    )

    assert response.status_code == 302
    assert list(event.organizers.all()) == [organization]
