from django.urls import reverse

from tests.factories import MembershipFactory, OrganizationFactory

DASHBOARD_URL = reverse("manage:dashboard")


def organizations_on(response):
    return [organization.slug for organization in response.context["organizations"]]


def test_dashboard_lists_only_the_managers_organisations(client, manager, organization, other_organization):
    client.force_login(manager)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert organizations_on(response) == ["polymer-netz"]
    html = response.content.decode()
    assert f'href="{reverse("manage:organization", kwargs={"slug": "polymer-netz"})}"' in html
    assert "andere-org" not in html


def test_dashboard_lists_every_organisation_for_the_coordination_office(
    client, coordinator, organization, other_organization
):
    client.force_login(coordinator)

    response = client.get(DASHBOARD_URL)

    assert organizations_on(response) == ["andere-org", "polymer-netz"]  # by name
    assert response.context["is_coordinator"] is True


def test_dashboard_lists_every_organisation_for_a_platform_admin(client, admin_user, organization):
    client.force_login(admin_user)

    assert organizations_on(client.get(DASHBOARD_URL)) == ["polymer-netz"]


def test_dashboard_explains_when_nothing_is_managed(client, outsider, organization):
    client.force_login(outsider)

    response = client.get(DASHBOARD_URL)

    assert organizations_on(response) == []
    assert response.context["is_coordinator"] is False


def test_dashboard_offers_a_logout_button(client, manager):
    client.force_login(manager)

    html = client.get(DASHBOARD_URL).content.decode()

    assert f'action="{reverse("accounts:logout")}"' in html
    assert 'method="post"' in html


def test_dashboard_query_count_does_not_grow_with_organisations(
    client, coordinator, django_assert_num_queries, region
):
    for number in range(5):
        MembershipFactory(organization=OrganizationFactory(region=region, slug=f"org-{number}"))
    client.force_login(coordinator)

    # session, user, organisations with their regions; the to-do list: inquiries, feeds, notices, events
    # (the duplicates; none, so no organisers or decisions) — see tests/accounts/test_todo.py
    with django_assert_num_queries(7):
        response = client.get(DASHBOARD_URL)

    assert len(organizations_on(response)) == 5
