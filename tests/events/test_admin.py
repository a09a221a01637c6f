"""Events and feed subscriptions in the admin: pages render, changes go through the audited services."""

import zoneinfo

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import Event, FeedSubscription
from tests.factories import EventFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def feed(organization):
    return FeedSubscription.objects.create(organization=organization, url="https://example.org/a.ics")


@pytest.mark.parametrize(
    "url",
    [
        "admin:events_event_changelist",
        "admin:events_feedsubscription_changelist",
    ],
)
def test_admin_lists_render_with_filters(client, admin_user, organization, feed, url):
    EventFactory(organizers=[organization], source="feed", feed=feed, source_uid="a")
    client.force_login(admin_user)

    response = client.get(reverse(url), {"o": "1"})

    assert response.status_code == 200


def test_admin_feed_event_fields_are_read_only(client, admin_user, organization, feed):
    event = EventFactory(organizers=[organization], source="feed", feed=feed, source_uid="a")
    client.force_login(admin_user)

    response = client.get(reverse("admin:events_event_change", args=[event.pk]))

    assert response.status_code == 200
    form_fields = set(response.context["adminform"].form.fields)
    assert {"title", "start", "source_uid", "organizers"}.isdisjoint(form_fields)
    assert "published" in form_fields


def test_admin_unpublish_action_is_audited(client, admin_user, organization):
    event = EventFactory(organizers=[organization])
    client.force_login(admin_user)

    client.post(
        reverse("admin:events_event_changelist"),
        {"action": "unpublish", "_selected_action": [event.pk]},
    )

    assert Event.objects.get(pk=event.pk).published is False
    entry = AuditLogEntry.objects.get(action="event.updated")
    assert (entry.actor, entry.data["changes"]) == (admin_user, {"published": ["True", "False"]})


def test_admin_remove_feed_action(client, admin_user, feed):
    client.force_login(admin_user)

    client.post(
        reverse("admin:events_feedsubscription_changelist"),
        {"action": "remove_selected", "_selected_action": [feed.pk]},
    )

    feed.refresh_from_db()
    assert feed.active is False
    assert AuditLogEntry.objects.get(action="event.feed_removed").actor == admin_user


def test_admin_edit_of_an_entered_event_goes_through_the_service(client, admin_user, organization, topic):
    event = EventFactory(organizers=[organization], title="Alt")
    client.force_login(admin_user)
    url = reverse("admin:events_event_change", args=[event.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if name in ("organizers", "topics"):
            data[name] = [item.pk if hasattr(item, "pk") else item for item in value]
        elif name in ("start", "end"):
            local = value.astimezone(BERLIN)  # the admin shows and reads times in the display zone
            data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        else:
            data[name] = value
    data.update(title="Neu", topics=[topic.pk])

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert (event.title, list(event.topics.all()), list(event.organizers.all())) == (
        "Neu",
        [topic],
        [organization],
    )
    entry = AuditLogEntry.objects.get(action="event.updated")
    assert entry.actor == admin_user
    assert entry.data["changes"]["title"] == ["Alt", "Neu"]
    assert entry.data["changes"]["topics"] == [topic.slug]
    assert set(entry.data["changes"]) == {"title", "topics"}


def test_admin_filters_events_by_whether_the_public_calendar_lists_them(client, admin_user, organization):
    from tests.factories import OrganizationFactory

    EventFactory(organizers=[organization], title="Im Kalender")
    EventFactory(organizers=[OrganizationFactory(published=False)], title="Verborgen")
    client.force_login(admin_user)

    response = client.get(reverse("admin:events_event_changelist"), {"listed__exact": "0"})

    assert [event.title for event in response.context["cl"].result_list] == ["Verborgen"]
