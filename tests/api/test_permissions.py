"""Who may write what: every write endpoint on organisation A, for every kind of token.

A refused write leaves the directory and the audit log exactly as they were; an accepted one writes an
audit row naming the token's user.
"""

import json

import pytest

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Contact, Offer, Organization, Video

from .conftest import bearer

# (operation, method, path, body, success status, audit action)
WRITES = [
    (
        "updateOrganization",
        "patch",
        "/api/v1/organizations/polymer-netz",
        {"summary": "Neu"},
        200,
        "directory.organization.updated",
    ),
    (
        "createOffer",
        "post",
        "/api/v1/organizations/polymer-netz/offers",
        {"title": "Neues Angebot"},
        201,
        "directory.offer.created",
    ),
    ("updateOffer", "patch", "/api/v1/offers/{offer}", {"title": "Neu"}, 200, "directory.offer.updated"),
    ("deleteOffer", "delete", "/api/v1/offers/{offer}", None, 204, "directory.offer.deleted"),
    (
        "createContact",
        "post",
        "/api/v1/organizations/polymer-netz/contacts",
        {"name": "Max Neu"},
        201,
        "directory.contact.created",
    ),
    (
        "updateContact",
        "patch",
        "/api/v1/organizations/polymer-netz/contacts/{contact}",
        {"role": "Leitung"},
        200,
        "directory.contact.updated",
    ),
    (
        "deleteContact",
        "delete",
        "/api/v1/organizations/polymer-netz/contacts/{contact}",
        None,
        204,
        "directory.contact.deleted",
    ),
    (
        "createVideo",
        "post",
        "/api/v1/organizations/polymer-netz/videos",
        {"title": "Neu", "url": "https://video.example.org/neu"},
        201,
        "directory.video.created",
    ),
    (
        "updateVideo",
        "patch",
        "/api/v1/organizations/polymer-netz/videos/{video}",
        {"title": "Neu"},
        200,
        "directory.video.updated",
    ),
    (
        "deleteVideo",
        "delete",
        "/api/v1/organizations/polymer-netz/videos/{video}",
        None,
        204,
        "directory.video.deleted",
    ),
]

# role -> None when the write succeeds, else the refusal's status.
ROLES = {
    "no_token": 401,
    "invalid_token": 401,
    "outsider": 403,
    "manager": None,
    "other_manager": 403,
    "coordinator": None,
    "admin_user": None,
}


def directory_state() -> dict:
    """Everything a write could change, to compare before and after a refused one."""
    return {
        "organizations": list(Organization.objects.order_by("pk").values()),
        "topics": list(Organization.topics.through.objects.order_by("pk").values()),
        "offers": list(Offer.objects.order_by("pk").values()),
        "contacts": list(Contact.objects.order_by("pk").values()),
        "videos": list(Video.objects.order_by("pk").values()),
        "audit": AuditLogEntry.objects.count(),
    }


def headers_for(role: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if role == "no_token":
        return {}
    if role == "invalid_token":
        return {"Authorization": "Bearer not-a-token"}
    return bearer(request.getfixturevalue(role))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("operation", "method", "path", "body", "success", "action"), WRITES, ids=[w[0] for w in WRITES]
)
def test_write_permission_matrix(
    api_client,
    request,
    organization,
    other_organization,
    contact,
    video,
    role,
    operation,
    method,
    path,
    body,
    success,
    action,
):
    url = path.format(offer=organization.offers.get().pk, contact=contact.pk, video=video.pk)
    headers = headers_for(role, request) | {"Accept-Language": "en"}
    user = None if role in ("no_token", "invalid_token") else request.getfixturevalue(role)
    before = directory_state()

    kwargs = {"headers": headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(api_client, method)(url, **kwargs)

    refusal = ROLES[role]
    if refusal is None:
        assert response.status_code == success, response.content
        entry = AuditLogEntry.objects.first()
        assert (entry.action, entry.actor, entry.organization) == (action, user, organization)
    else:
        assert response.status_code == refusal
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == refusal
        assert directory_state() == before
