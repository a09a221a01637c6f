"""The admin: subscribers are found and deleted on request (with their mails); issues show their progress."""

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.digest import services
from crosscluster.digest.models import Subscriber
from tests.digest.conftest import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_admin_finds_subscribers_by_address(client, admin_user, digitalisation):
    SubscriberFactory(email="gesucht@firma.example", topics=[digitalisation])
    SubscriberFactory(email="andere@firma.example", topics=[digitalisation])
    client.force_login(admin_user)

    html = client.get(reverse("admin:digest_subscriber_changelist"), {"q": "gesucht"}).content.decode()

    assert "gesucht@firma.example" in html
    assert "andere@firma.example" not in html


def test_admin_delete_goes_through_the_service(client, admin_user, digitalisation):
    subscriber = SubscriberFactory(topics=[digitalisation])
    OutgoingMail.objects.create(
        to=subscriber.email, subject="s", body_text="b", topic=f"digest.subscriber:{subscriber.pk}"
    )
    client.force_login(admin_user)

    response = client.post(reverse("admin:digest_subscriber_delete", args=[subscriber.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    assert not OutgoingMail.objects.exists()
    entry = AuditLogEntry.objects.get(action="digest.subscriber.deleted")
    assert (entry.actor, entry.data) == (admin_user, {"subscriber": subscriber.pk, "reason": "admin"})


def test_admin_issue_list_counts_mails_and_skipped(client, admin_user, content, digitalisation):
    SubscriberFactory(topics=[digitalisation])
    SubscriberFactory(topics=[])
    services.send_digest(force=True)
    client.force_login(admin_user)

    response = client.get(reverse("admin:digest_digestissue_changelist"))

    assert response.status_code == 200
    row = response.content.decode().split('class="field-mails">')[1]
    assert row.startswith("1<")
    assert 'class="field-skipped">1<' in response.content.decode()


def test_subscriber_admin_is_not_for_managers(client, manager):
    client.force_login(manager)

    assert client.get(reverse("admin:digest_subscriber_changelist")).status_code == 302
