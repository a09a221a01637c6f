"""Organisations: public profiles to read, and to update with a token of someone who manages them."""

from django.http import HttpRequest
from ninja import Query, Router

from crosscluster.directory import services
from crosscluster.directory.models import Organization
from crosscluster.directory.queries import published_organizations
from crosscluster.directory.search import filter_by_text

from .auth import actor, bearer_token
from .pagination import Page, PageParams, paginate
from .querysets import (
    get_organization,
    organization_details,
    organization_summaries,
    topics_by_slug,
)
from .schemas import OrganizationDetail, OrganizationFilters, OrganizationList, OrganizationUpdate, problems

router = Router(tags=["Organizations"])


@router.get(
    "/organizations",
    response={200: OrganizationList, **problems(422)},
    operation_id="listOrganizations",
    summary="List published organisations",
)
def list_organizations(
    request: HttpRequest, filters: Query[OrganizationFilters], page: Query[PageParams]
) -> Page:
    queryset = published_organizations()
    if filters.region:
        queryset = queryset.filter(region__slug=filters.region)
    if filters.topic:
        queryset = queryset.filter(topics__slug=filters.topic)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.city:
        queryset = queryset.filter(city__iexact=filters.city)
    if filters.q:
        queryset = filter_by_text(queryset, filters.q)
    return paginate(organization_summaries(queryset), page)


@router.get(
    "/organizations/{slug:slug}",
    response={200: OrganizationDetail, **problems(404)},
    operation_id="getOrganization",
    summary="Get a published organisation with its offers, contacts and videos",
)
def get_organization_detail(request: HttpRequest, slug: str) -> Organization:
    return get_organization(slug, organization_details(published_organizations()))


@router.patch(
    "/organizations/{slug:slug}",
    auth=bearer_token,
    response={200: OrganizationDetail, **problems(400, 401, 403, 404, 422)},
    operation_id="updateOrganization",
    summary="Change an organisation's profile",
    description="Published or not. Only the coordination office may change `published`.",
)
def update_organization(request: HttpRequest, slug: str, payload: OrganizationUpdate) -> Organization:
    organization = get_organization(slug)
    changes = payload.submitted()
    topics = topics_by_slug(changes.pop("topics", None))
    services.update_organization(organization, actor=actor(request), topics=topics, **changes)
    return get_organization(slug, organization_details(Organization.objects.all()))
