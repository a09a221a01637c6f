"""Offers: what organisations provide, readable across the directory and changed by their managers."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from crosscluster.directory import services
from crosscluster.directory.models import Offer
from crosscluster.directory.search import filter_by_text

from .auth import actor, bearer_token
from .pagination import Page, PageParams, paginate
from .querysets import get_offer, get_organization, public_offers, topics_by_slug
from .schemas import OfferCreate, OfferFilters, OfferList, OfferOut, OfferUpdate, problems

router = Router(tags=["Offers"])


@router.get(
    "/offers",
    response={200: OfferList, **problems(422)},
    operation_id="listOffers",
    summary="List the offers of published organisations",
)
def list_offers(request: HttpRequest, filters: Query[OfferFilters], page: Query[PageParams]) -> Page:
    queryset = public_offers()
    if filters.organization:
        queryset = queryset.filter(organization__slug=filters.organization)
    if filters.topic:
        queryset = queryset.filter(topics__slug=filters.topic)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.q:
        queryset = filter_by_text(queryset, filters.q, kind="offer")
    return paginate(queryset, page)


@router.get(
    "/offers/{offer_id}",
    response={200: OfferOut, **problems(404, 422)},
    operation_id="getOffer",
    summary="Get an offer of a published organisation",
)
def get_offer_detail(request: HttpRequest, offer_id: int) -> Offer:
    return get_offer(offer_id, public_offers())


@router.post(
    "/organizations/{slug:slug}/offers",
    auth=bearer_token,
    response={201: OfferOut, **problems(400, 401, 403, 404, 422)},
    operation_id="createOffer",
    summary="Add an offer to an organisation",
)
def create_offer(request: HttpRequest, slug: str, payload: OfferCreate) -> Status[Offer]:
    organization = get_organization(slug)
    values = payload.submitted()
    topics = topics_by_slug(values.pop("topics", None))
    offer = services.create_offer(organization, actor=actor(request), topics=topics, **values)
    return Status(201, offer)


@router.patch(
    "/offers/{offer_id}",
    auth=bearer_token,
    response={200: OfferOut, **problems(400, 401, 403, 404, 422)},
    operation_id="updateOffer",
    summary="Change an offer",
)
def update_offer(request: HttpRequest, offer_id: int, payload: OfferUpdate) -> Offer:
    offer = get_offer(offer_id)
    changes = payload.submitted()
    topics = topics_by_slug(changes.pop("topics", None))
    return services.update_offer(offer, actor=actor(request), topics=topics, **changes)


@router.delete(
    "/offers/{offer_id}",
    auth=bearer_token,
    response={204: None, **problems(401, 403, 404, 422)},
    operation_id="deleteOffer",
    summary="Delete an offer",
)
def delete_offer(request: HttpRequest, offer_id: int) -> Status[None]:
    services.delete_offer(get_offer(offer_id), actor=actor(request))
    return Status(204, None)
