"""Open Referral HSDS 3.0: the published organisations, fully nested, as other referral systems read them.

The objects are exactly those of `crosscluster export-directory --format hsds` (directory/exports/hsds.py);
the shapes below document them in our OpenAPI schema. Pagination is HSDS's own (`page`, `per_page`, and a
page object with `total_items` … `contents`) rather than our `{count, items}`, so that HSDS clients work
unchanged; errors are our problem objects like everywhere in the API. See docs/api.md.
"""

import math
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from crosscluster.directory.exports import hsds

from .schemas import ClientSchema, problems

router = Router(tags=["HSDS"])

MAX_PER_PAGE = 100


class HsdsPageParams(ClientSchema):
    page: int = Field(1, ge=1, le=1_000_000, description="The page, counted from 1.")
    per_page: int = Field(
        20, ge=1, le=MAX_PER_PAGE, description="How many organizations a page holds (1 to 100)."
    )


class HsdsTaxonomy(Schema):
    id: UUID
    name: str
    description: str


class HsdsTaxonomyTerm(Schema):
    id: UUID
    code: str = Field(..., description="The topic's slug, or the code of an organisation or offer kind.")
    name: str
    description: str
    taxonomy: str
    taxonomy_id: UUID
    taxonomy_detail: HsdsTaxonomy
    language: str
    term_uri: str | None = Field(None, description="A topic's public page.")


class HsdsAttribute(Schema):
    id: UUID
    link_id: UUID
    link_type: str = Field(..., description="`topic`, `organization-kind` or `offer-kind`.")
    link_entity: str = Field(..., description="`organization` or `service`.")
    taxonomy_term_id: UUID
    taxonomy_term: HsdsTaxonomyTerm


class HsdsPhone(Schema):
    id: UUID
    contact_id: UUID
    number: str


class HsdsContact(Schema):
    id: UUID
    organization_id: UUID
    name: str
    title: str | None = Field(None, description="The person's role.")
    email: str | None = None
    phones: list[HsdsPhone] | None = None


class HsdsLocation(Schema):
    id: UUID
    location_type: str
    organization_id: UUID
    name: str = Field(..., description="The city; the directory keeps no street address.")
    latitude: float | None = Field(None, description="The town centre's, rounded to 0.01°.")
    longitude: float | None = None


class HsdsService(Schema):
    id: UUID
    organization_id: UUID
    name: str
    alternate_name: str | None = Field(None, description="The English title, where there is one.")
    description: str | None = None
    status: str
    attributes: list[HsdsAttribute]


class HsdsOrganization(Schema):
    id: UUID = Field(..., description="Stable across exports: a UUID 5 of the region and the slug.")
    name: str
    alternate_name: str | None = Field(None, description="The English name, where there is one.")
    description: str = Field(..., description="The summary and the description, German.")
    website: str | None = None
    logo: str | None = None
    uri: str = Field(..., description="The organisation's public page.")
    contacts: list[HsdsContact] | None = None
    locations: list[HsdsLocation] | None = None
    services: list[HsdsService] | None = None
    attributes: list[HsdsAttribute]


class HsdsOrganizationPage(Schema):
    total_items: int
    total_pages: int
    page_number: int
    size: int = Field(..., description="How many organizations this page holds.")
    first_page: bool
    last_page: bool
    empty: bool = Field(..., description="`true` when this page holds no organization.")
    contents: list[HsdsOrganization]


@router.get(
    "/hsds/organizations",
    response={200: HsdsOrganizationPage, **problems(422)},
    operation_id="listHsdsOrganizations",
    summary="List published organisations as HSDS 3.0 organizations, fully nested",
    exclude_none=True,
)
def list_hsds_organizations(request: HttpRequest, params: Query[HsdsPageParams]) -> dict[str, Any]:
    queryset = hsds.published_organizations()
    total = queryset.count()
    start = (params.page - 1) * params.per_page
    contents = hsds.hsds_organizations(hsds.with_hsds_relations(queryset)[start : start + params.per_page])
    total_pages = math.ceil(total / params.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


@router.get(
    "/hsds/organizations/{organization_id}",
    response={200: HsdsOrganization, **problems(404, 422)},
    operation_id="getHsdsOrganization",
    summary="Get a published organisation as an HSDS 3.0 organization by its id",
    exclude_none=True,
)
def get_hsds_organization(request: HttpRequest, organization_id: UUID) -> dict[str, Any]:
    organization = hsds.find_published_organization(str(organization_id))
    if organization is None:
        raise Http404(_("There is no organization with the id %(id)s.") % {"id": organization_id})
    return organization
