"""Cooperation profiles of the Kooperationsbörse: the public list and profile, the stored proposals, and
token-authenticated entry and change by managers (on a company's behalf; reviewed as in the manager area).

Reads start from `cooperation.access.public_profiles()`, as the public pages do, and show no owner unless it
chose to be shown. Writes call `cooperation.services`; a manager changes only the profiles their organisations
review (the office all), and what they may not see answers 404.
"""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from crosscluster.cooperation import services
from crosscluster.cooperation.access import profiles_visible_to, public_profiles
from crosscluster.cooperation.models import CooperationProfile, ProfileMatch
from crosscluster.directory.models import Organization, Region

from .auth import actor, bearer_token
from .errors import invalid_body
from .pagination import Page, PageParams, paginate
from .querysets import topics_by_slug
from .schemas import SLUG_PATTERN, ClientSchema, InputSchema, problems

router = Router(tags=["Cooperation profiles"])

ProfileKind = Literal[*CooperationProfile.Kind.values]
ProfileState = Literal[*CooperationProfile.State.values]
LanguageCode = Literal[*[code for code, _name in settings.LANGUAGES]]


class CooperationProfileOut(Schema):
    id: int
    reference: str = Field(..., description="The number people quote, e.g. K-00042.")
    kind: ProfileKind
    title: str
    text: str
    partner_wanted: str
    call: str = Field(..., description="Research partner searches: the funding call.")
    roles: str = Field(..., description="Research partner searches: the roles wanted.")
    call_deadline: dt.date | None
    topics: list[str] = Field(..., description="Topic slugs.")
    region: str | None = Field(..., description="Region slug.")
    language: LanguageCode
    published_at: dt.datetime | None
    expires_at: dt.date
    company_name: str | None = Field(..., description="Only when the owner chose to be shown; else null.")
    contact_name: str | None = Field(..., description="Only when the owner chose to be shown; else null.")
    url: str = Field(..., description="The public page.")

    @staticmethod
    def resolve_topics(obj: CooperationProfile) -> list[str]:
        return [topic.slug for topic in obj.topics.all()]

    @staticmethod
    def resolve_region(obj: CooperationProfile) -> str | None:
        return obj.region.slug if obj.region is not None else None

    @staticmethod
    def resolve_company_name(obj: CooperationProfile) -> str | None:
        return obj.company_name if obj.show_identity else None

    @staticmethod
    def resolve_contact_name(obj: CooperationProfile) -> str | None:
        return obj.contact_name if obj.show_identity else None

    @staticmethod
    def resolve_url(obj: CooperationProfile, context: dict[str, Any]) -> str:
        with translation.override(settings.LANGUAGE_CODE):  # the site's default language, as notices do
            return str(context["request"].build_absolute_uri(obj.get_absolute_url()))


class CooperationProfileManaged(CooperationProfileOut):
    """What the reviewing manager sees: the state and the owner, also when they are not shown publicly."""

    state: ProfileState
    reviewing_organization: str | None = Field(..., description="Slug; null: the coordination office.")
    email: str
    show_identity: bool

    @staticmethod
    def resolve_company_name(obj: CooperationProfile) -> str:
        return obj.company_name

    @staticmethod
    def resolve_contact_name(obj: CooperationProfile) -> str:
        return obj.contact_name

    @staticmethod
    def resolve_reviewing_organization(obj: CooperationProfile) -> str | None:
        return obj.reviewing_organization.slug if obj.reviewing_organization is not None else None


class CooperationProfileList(Schema):
    count: int
    items: list[CooperationProfileOut]


class CooperationProfileFilters(ClientSchema):
    kind: ProfileKind | None = None
    topic: str | None = Field(None, pattern=SLUG_PATTERN, description="Topic slug.")
    region: str | None = Field(None, pattern=SLUG_PATTERN, description="Region slug.")
    language: LanguageCode | None = None


class MatchOut(Schema):
    profile: int = Field(..., description="The id of the proposed counterpart (a public profile).")
    score: float
    reasons: list[str]


class MatchList(Schema):
    count: int
    items: list[MatchOut]
    no_good_match: bool = Field(..., description="True when nothing fits well enough yet.")


class CooperationProfileCreate(InputSchema):
    kind: ProfileKind
    title: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1, max_length=5000)
    partner_wanted: str = Field("", max_length=300)
    call: str = Field("", max_length=300)
    roles: str = Field("", max_length=300)
    call_deadline: dt.date | None = None
    topics: list[str] = Field([], description="Topic slugs.")
    region: str | None = Field(None, pattern=SLUG_PATTERN, description="Region slug.")
    language: LanguageCode = "de"
    expires_at: dt.date | None = Field(None, description="Default: in 12 months.")
    company_name: str = Field(..., min_length=1, max_length=200)
    contact_name: str = Field(..., min_length=1, max_length=150)
    email: str = Field(..., min_length=3, max_length=254)
    show_identity: bool = False
    reviewing_organization: str | None = Field(
        None, pattern=SLUG_PATTERN, description="Slug of an organisation you manage; null: chosen by topics."
    )


class CooperationProfileUpdate(InputSchema):
    kind: ProfileKind = None
    title: str = Field(None, min_length=1, max_length=200)
    text: str = Field(None, min_length=1, max_length=5000)
    partner_wanted: str = Field(None, max_length=300)
    call: str = Field(None, max_length=300)
    roles: str = Field(None, max_length=300)
    call_deadline: dt.date | None = None
    topics: list[str] = Field(None, description="Topic slugs; replaces the current topics.")
    region: str | None = Field(None, pattern=SLUG_PATTERN)
    language: LanguageCode = None
    expires_at: dt.date = None
    company_name: str = Field(None, min_length=1, max_length=200)
    contact_name: str = Field(None, min_length=1, max_length=150)
    email: str = Field(None, min_length=3, max_length=254)
    show_identity: bool = None


def _with_relations(queryset: QuerySet[CooperationProfile]) -> QuerySet[CooperationProfile]:
    return queryset.select_related("region", "reviewing_organization").prefetch_related("topics")


def _region(slug: str | None) -> Region | None:
    if not slug:
        return None
    region = Region.objects.filter(slug=slug).first()
    if region is None:
        raise invalid_body(
            ("region",), _("There is no region “%(slug)s”.") % {"slug": slug}, "unknown_region"
        )
    return region


def _refusal(error: services.CooperationError) -> HttpError:
    return HttpError(422, str(error))


@router.get(
    "/cooperation-profiles",
    response={200: CooperationProfileList, **problems(422)},
    operation_id="listCooperationProfiles",
    summary="List the public cooperation profiles",
)
def list_profiles(
    request: HttpRequest, filters: Query[CooperationProfileFilters], page: Query[PageParams]
) -> Page:
    queryset = _with_relations(public_profiles())
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.topic:
        queryset = queryset.filter(topics__slug=filters.topic)
    if filters.region:
        queryset = queryset.filter(region__slug=filters.region)
    if filters.language:
        queryset = queryset.filter(language=filters.language)
    return paginate(queryset.distinct().order_by("-published_at", "-pk"), page)


def _public(profile_id: int) -> CooperationProfile:
    profile = _with_relations(public_profiles()).filter(pk=profile_id).first()
    if profile is None:
        raise Http404(_("There is no public cooperation profile with this id."))
    return profile


@router.get(
    "/cooperation-profiles/{profile_id}",
    response={200: CooperationProfileOut, **problems(404, 422)},
    operation_id="getCooperationProfile",
    summary="Get a public cooperation profile",
)
def get_profile(request: HttpRequest, profile_id: int) -> CooperationProfile:
    return _public(profile_id)


@router.get(
    "/cooperation-profiles/{profile_id}/matches",
    response={200: MatchList, **problems(404, 422)},
    operation_id="listCooperationProfileMatches",
    summary="The proposed counterparts of a public profile, best first, with reasons",
)
def list_matches(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = _public(profile_id)
    rows = ProfileMatch.objects.filter(profile=profile, counterpart__in=public_profiles()).order_by(
        "-score", "pk"
    )
    items = [{"profile": row.counterpart_id, "score": row.score, "reasons": row.reasons} for row in rows]
    return {"count": len(items), "items": items, "no_good_match": not items}


@router.post(
    "/cooperation-profiles",
    auth=bearer_token,
    response={201: CooperationProfileManaged, **problems(400, 401, 403, 422)},
    operation_id="createCooperationProfile",
    summary="Enter a cooperation profile on a company's behalf (it waits for review)",
)
def create_profile(request: HttpRequest, payload: CooperationProfileCreate) -> Status[CooperationProfile]:
    values = payload.submitted()
    topics = topics_by_slug(values.pop("topics", None)) or []
    region = _region(values.pop("region", None))
    slug = values.pop("reviewing_organization", None)
    reviewing = None
    if slug:
        reviewing = Organization.objects.filter(slug=slug).first()
        if reviewing is None:
            raise invalid_body(
                ("reviewing_organization",),
                _("There is no organisation “%(slug)s”.") % {"slug": slug},
                "unknown_organization",
            )
    try:
        profile, _token = services.submit_profile(
            actor=actor(request), topics=topics, region=region, reviewing_organization=reviewing, **values
        )
    except services.CooperationError as error:
        raise _refusal(error) from error
    return Status(201, _with_relations(CooperationProfile.objects).get(pk=profile.pk))


@router.patch(
    "/cooperation-profiles/{profile_id}",
    auth=bearer_token,
    response={200: CooperationProfileManaged, **problems(400, 401, 403, 404, 422)},
    operation_id="updateCooperationProfile",
    summary="Change a cooperation profile your organisation reviews",
)
def update_profile(
    request: HttpRequest, profile_id: int, payload: CooperationProfileUpdate
) -> CooperationProfile:
    user = actor(request)
    profile = profiles_visible_to(user).filter(pk=profile_id).first()
    if profile is None:
        raise Http404(_("There is no cooperation profile with this id that you may see."))
    changes = payload.submitted()
    topics = topics_by_slug(changes.pop("topics", None))
    if "region" in changes:
        changes["region"] = _region(changes["region"])
    try:
        services.update_profile(profile, actor=user, topics=topics, **changes)
    except services.CooperationError as error:
        raise _refusal(error) from error
    return _with_relations(CooperationProfile.objects).get(pk=profile.pk)
