"""Who may do what in the manager area: every role against every manage view of organisation A.

Anonymous visitors are sent to the login page; logged-in people who do not manage A get 403 (not 404: the
organisation exists, it is just not theirs) and nothing changes; A's managers, the coordination office and
platform admins get the page (GET 200) or the change (POST 302).
"""

import pytest
from django.urls import reverse

from crosscluster.accounts.models import ApiToken, Membership
from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Contact, Offer, Organization, Video
from tests.factories import ContactFactory, MembershipFactory, UserFactory, VideoFactory

ROLES = ["anonymous", "outsider", "other_manager", "manager", "coordinator", "admin_user"]
ALLOWED = {"manager", "coordinator", "admin_user"}


def profile(organization):
    return {
        "name_de": "Neuer Name",
        "kind": organization.kind,
        "city": "Jena",
        "website": organization.website,
        "summary_de": organization.summary,
        "description_de": organization.description,
        "published": "on",
    }


def offer_data(organization):
    return {"title_de": "Neues Angebot", "description_de": "Text", "kind": "funding"}


def contact_data(organization):
    return {"name": "Neue Person", "role": "Leitung", "email": "neu@example.org", "phone": "+49 3641 1"}


def video_data(organization):
    return {"title": "Neues Video", "url": "https://video.example.org/neu", "captions_language": "de"}


# (URL name, needs the id of which item, HTTP method, POST data)
VIEWS = [
    ("organization", None, "get", None),
    ("organization-history", None, "get", None),
    ("organization-edit", None, "get", None),
    ("organization-edit", None, "post", profile),
    ("offer-list", None, "get", None),
    ("offer-create", None, "get", None),
    ("offer-create", None, "post", offer_data),
    ("offer-edit", "offer", "get", None),
    ("offer-edit", "offer", "post", offer_data),
    ("offer-delete", "offer", "get", None),
    ("offer-delete", "offer", "post", None),
    ("contact-list", None, "get", None),
    ("contact-create", None, "get", None),
    ("contact-create", None, "post", contact_data),
    ("contact-edit", "contact", "get", None),
    ("contact-edit", "contact", "post", contact_data),
    ("contact-delete", "contact", "get", None),
    ("contact-delete", "contact", "post", None),
    ("video-list", None, "get", None),
    ("video-create", None, "get", None),
    ("video-create", None, "post", video_data),
    ("video-edit", "video", "get", None),
    ("video-edit", "video", "post", video_data),
    ("video-delete", "video", "get", None),
    ("video-delete", "video", "post", None),
]


@pytest.fixture
def other_manager(other_organization):
    """Manages organisation B, not A."""
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def items(organization):
    return {
        "offer": organization.offers.get(),
        "contact": ContactFactory(organization=organization),
        "video": VideoFactory(organization=organization),
    }


def state():
    """Everything a manage view could change, comparable before and after."""
    return (
        list(Organization.objects.order_by("pk").values()),
        list(Organization.topics.through.objects.order_by("pk").values()),
        list(Offer.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(Video.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        AuditLogEntry.objects.count(),
    )


def view_id(view):
    name, _item, method, _data = view
    return f"{method.upper()} {name}"


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(
    client, request, organization, other_organization, items, other_manager, role, view
):
    name, item, method, data = view
    kwargs = {"slug": organization.slug} | ({"pk": items[item].pk} if item else {})
    url = reverse(f"manage:{name}", kwargs=kwargs)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state()

    response = getattr(client, method)(url, data(organization) if data else {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif role not in ALLOWED:
        assert response.status_code == 403
        assert "core/403.html" in [template.name for template in response.templates]
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert state() != before
        entry = AuditLogEntry.objects.latest("id")
        assert entry.actor == request.getfixturevalue(role)
        assert entry.organization == organization


@pytest.mark.parametrize("role", ["manager", "other_manager", "coordinator"])
def test_permission_unknown_organisation_is_404_for_everyone(client, request, other_manager, role):
    client.force_login(request.getfixturevalue(role))

    for name in ("organization", "organization-edit", "offer-create", "organization-history"):
        assert client.get(reverse(f"manage:{name}", kwargs={"slug": "gibt-es-nicht"})).status_code == 404


def test_permission_manager_of_b_gets_403_even_with_an_item_id_of_b(
    client, organization, other_organization, other_manager
):
    """The organisation in the URL decides: B's own offer under A's URL is still refused as A's."""
    client.force_login(other_manager)
    foreign_offer = other_organization.offers.get()

    url = reverse("manage:offer-delete", kwargs={"slug": organization.slug, "pk": foreign_offer.pk})

    assert client.post(url).status_code == 403
    assert Offer.objects.filter(pk=foreign_offer.pk).exists()


def test_permission_inactive_manager_is_refused(client, manager, organization):
    client.force_login(manager)
    manager.is_active = False
    manager.save()

    response = client.get(reverse("manage:organization", kwargs={"slug": organization.slug}))

    assert response.status_code == 302  # the session no longer counts: back to the login page
