"""Contact persons of an organisation. They have no reads of their own: organisation details list them."""

from django.http import HttpRequest
from ninja import Router, Status

from crosscluster.directory import services
from crosscluster.directory.models import Contact

from .auth import actor, bearer_token
from .querysets import get_contact, get_organization
from .schemas import ContactCreate, ContactOut, ContactUpdate, problems

router = Router(tags=["Contacts"])


@router.post(
    "/organizations/{slug:slug}/contacts",
    auth=bearer_token,
    response={201: ContactOut, **problems(400, 401, 403, 404, 422)},
    operation_id="createContact",
    summary="Add a contact person",
    description="The photo is uploaded in the manager area, not through the API.",
)
def create_contact(request: HttpRequest, slug: str, payload: ContactCreate) -> Status[Contact]:
    organization = get_organization(slug)
    contact = services.create_contact(organization, actor=actor(request), **payload.submitted())
    return Status(201, contact)


@router.patch(
    "/organizations/{slug:slug}/contacts/{contact_id}",
    auth=bearer_token,
    response={200: ContactOut, **problems(400, 401, 403, 404, 422)},
    operation_id="updateContact",
    summary="Change a contact person",
)
def update_contact(request: HttpRequest, slug: str, contact_id: int, payload: ContactUpdate) -> Contact:
    contact = get_contact(get_organization(slug), contact_id)
    return services.update_contact(contact, actor=actor(request), **payload.submitted())


@router.delete(
    "/organizations/{slug:slug}/contacts/{contact_id}",
    auth=bearer_token,
    response={204: None, **problems(401, 403, 404, 422)},
    operation_id="deleteContact",
    summary="Delete a contact person",
)
def delete_contact(request: HttpRequest, slug: str, contact_id: int) -> Status[None]:
    services.delete_contact(get_contact(get_organization(slug), contact_id), actor=actor(request))
    return Status(204, None)
