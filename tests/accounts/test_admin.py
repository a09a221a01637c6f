"""The Django admin for platform admins: every model reachable, saves audited, the audit log read-only."""

import pytest
from django.urls import reverse

from crosscluster.accounts.models import ApiToken, Membership, User
from crosscluster.core.models import AuditLogEntry
from crosscluster.core.services import log_action
from crosscluster.directory.models import Offer, Organization
from tests.documents import document_text
from tests.factories import ContactFactory, VideoFactory


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def organization_post_data(organization, **changes):
    data = {
        "region": organization.region_id,
        "slug": organization.slug,
        "name": organization.name,
        "kind": organization.kind,
        "city": organization.city,
        "website": organization.website,
        "summary": organization.summary,
        "description": organization.description,
        "topics": [topic.pk for topic in organization.topics.all()],
        "published": "on" if organization.published else "",
    }
    offers = list(organization.offers.all())
    data |= inline_management("offers", total=len(offers), initial=len(offers))
    for index, offer in enumerate(offers):
        data |= {
            f"offers-{index}-id": offer.pk,
            f"offers-{index}-organization": organization.pk,
            f"offers-{index}-title": offer.title,
            f"offers-{index}-kind": offer.kind,
            f"offers-{index}-description": offer.description,
            f"offers-{index}-topics": [topic.pk for topic in offer.topics.all()],
            f"offers-{index}-position": offer.position,
        }
    data |= inline_management("contacts") | inline_management("videos") | inline_management("memberships")
    data |= changes
    return data


@pytest.mark.parametrize(
    "model",
    [
        "directory.region",
        "directory.topic",
        "directory.organization",
        "accounts.user",
        "accounts.apitoken",
        "core.auditlogentry",
    ],
)
def test_admin_changelist_and_add_pages_load(admin_client, organization, manager, model):
    app_label, model_name = model.split(".")

    assert admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    add_status = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code
    assert add_status == (403 if model in {"accounts.apitoken", "core.auditlogentry"} else 200)


def test_admin_organization_change_page_shows_every_inline(admin_client, organization, manager):
    ContactFactory(organization=organization)
    VideoFactory(organization=organization)

    response = admin_client.get(reverse("admin:directory_organization_change", args=[organization.pk]))

    assert response.status_code == 200
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert prefixes == {"offers", "contacts", "videos", "memberships"}


def test_admin_organization_save_is_audited_and_refreshes_search_text(admin_client, admin_user, organization):
    url = reverse("admin:directory_organization_change", args=[organization.pk])
    old_description = organization.description
    data = organization_post_data(organization, description="Wir beraten zu Wasserstoff.")
    data |= {"offers-0-title": "Recyclingberatung"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    organization.refresh_from_db()
    assert "wasserstoff" in document_text(organization)
    assert "recyclingberat" in document_text(organization)
    entries = {entry.action: entry for entry in AuditLogEntry.objects.all()}
    assert set(entries) == {"directory.organization.updated", "directory.offer.admin_changed"}
    org_entry = entries["directory.organization.updated"]  # through update_organization, as in /manage/
    assert (org_entry.actor, org_entry.organization) == (admin_user, organization)
    assert org_entry.data == {"changes": {"description": [old_description, "Wir beraten zu Wasserstoff."]}}
    assert entries["directory.offer.admin_changed"].data == {"fields": ["title"]}
    assert entries["directory.offer.admin_changed"].organization == organization


def test_admin_inline_delete_and_add_are_audited(admin_client, organization, outsider):
    offer = organization.offers.get()
    data = organization_post_data(organization, **{"offers-0-DELETE": "on"})
    data |= inline_management("memberships", total=1) | {
        "memberships-0-user": outsider.pk,
        "memberships-0-organization": organization.pk,
    }

    response = admin_client.post(reverse("admin:directory_organization_change", args=[organization.pk]), data)

    assert response.status_code == 302
    assert not Offer.objects.filter(pk=offer.pk).exists()
    assert Membership.objects.filter(user=outsider, organization=organization).exists()
    assert set(AuditLogEntry.objects.values_list("action", "object_repr")) == {
        ("directory.offer.admin_deleted", "Kunststoffberatung"),
        ("accounts.membership.admin_created", f"{outsider} → {organization}"),
    }


def test_admin_bulk_delete_goes_through_delete_organization(
    admin_client, admin_user, organization, other_organization
):
    response = admin_client.post(
        reverse("admin:directory_organization_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [organization.pk, other_organization.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Organization.objects.exists()
    assert sorted(AuditLogEntry.objects.values_list("action", "object_repr", "actor")) == [
        ("directory.organization.deleted", "Anderes Netzwerk", admin_user.pk),
        ("directory.organization.deleted", "PolymerNetz Thüringen", admin_user.pk),
    ]


def test_admin_organization_add_goes_through_create_organization(
    admin_client, admin_user, organization, topic
):
    data = organization_post_data(organization, slug="wasserstoff-netz", name="Wasserstoffnetz")
    data |= inline_management("offers") | {"offers-0-title": ""}

    response = admin_client.post(reverse("admin:directory_organization_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Organization.objects.get(slug="wasserstoff-netz")
    assert (created.name, created.region, list(created.topics.all())) == (
        "Wasserstoffnetz",
        organization.region,
        [topic],
    )
    assert "wasserstoffnetz" in document_text(created)
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.organization) == (
        "directory.organization.created",
        admin_user,
        created,
    )


def test_admin_slug_change_goes_through_update_organization(admin_client, organization):
    data = organization_post_data(organization, slug="polymer")

    response = admin_client.post(reverse("admin:directory_organization_change", args=[organization.pk]), data)

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.slug == "polymer"
    assert AuditLogEntry.objects.get().data == {"changes": {"slug": ["polymer-netz", "polymer"]}}


def test_admin_topic_rename_refreshes_search_text(admin_client, organization, topic):
    response = admin_client.post(
        reverse("admin:directory_topic_change", args=[topic.pk]),
        {"slug": topic.slug, "name": "Leichtbau", "position": topic.position},
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert "leichtbau" in document_text(organization)
    assert AuditLogEntry.objects.get().action == "directory.topic.updated"  # through update_topic


def test_admin_user_add_stores_the_email_in_lower_case(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Neue.Managerin@Example.org",
            "usable_password": "false",
            "password1": "",
            "password2": "",
            **inline_management("memberships"),
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="neue.managerin@example.org")
    assert not user.has_usable_password()
    assert AuditLogEntry.objects.get().action == "accounts.user.admin_created"


def test_admin_user_add_refuses_an_address_that_differs_only_in_case(admin_client, manager):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "MANAGER@example.org", "usable_password": "false", **inline_management("memberships")},
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="manager@example.org").count() == 1


def test_admin_role_change_is_audited(admin_client, admin_user, manager):
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[manager.pk]),
        {
            "email": manager.email,
            "first_name": manager.first_name,
            "last_name": manager.last_name,
            "is_active": "on",
            "is_coordinator": "on",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "10:00:00",
            **inline_management("memberships", total=1, initial=1),
            "memberships-0-id": manager.memberships.get().pk,
            "memberships-0-user": manager.pk,
            "memberships-0-organization": manager.memberships.get().organization_id,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    manager.refresh_from_db()
    assert manager.is_coordinator
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor) == ("accounts.user.admin_changed", admin_user)
    assert "is_coordinator" in entry.data["fields"]


def test_admin_api_token_is_read_only_and_deleting_revokes(admin_client, admin_user, manager):
    token, key = ApiToken.issue(manager, "CRM")
    change_url = reverse("admin:accounts_apitoken_change", args=[token.pk])

    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert token.key_hash in page.content.decode()
    assert key not in page.content.decode()
    assert admin_client.post(change_url, {"name": "Umbenannt"}).status_code == 403

    response = admin_client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor) == ("accounts.api_token.revoked", admin_user)


def test_admin_audit_log_cannot_be_changed_or_deleted(admin_client, organization):
    entry = log_action("directory.offer.updated", obj=organization, organization=organization)

    assert admin_client.get(reverse("admin:core_auditlogentry_change", args=[entry.pk])).status_code == 200
    assert (
        admin_client.post(
            reverse("admin:core_auditlogentry_change", args=[entry.pk]), {"action": "x"}
        ).status_code
        == 403
    )
    assert (
        admin_client.post(
            reverse("admin:core_auditlogentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.post(reverse("admin:core_auditlogentry_add"), {"action": "x"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "directory.offer.updated"
    assert AuditLogEntry.objects.count() == 1


def test_admin_is_closed_to_managers(client, manager):
    client.force_login(manager)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
