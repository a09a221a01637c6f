"""Routing: which organisations fit a need described in free text (see docs/routing.md).

Public like the directory reads, as the public inquiry form and partner sites use it before anybody logs in.
The text is used for this answer only: nothing of it is stored. Each query costs about 0.1 s of CPU, so a
client may ask `ROUTING_LIMIT_PER_CLIENT` times per `ROUTING_LIMIT_WINDOW_SECONDS` (shared with the inquiry
form's first step); more answer 429 with `Retry-After`.
"""

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Router, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from crosscluster.accounts import throttling
from crosscluster.directory.models import Region
from crosscluster.routing import services

from .errors import Throttled
from .schemas import SLUG_PATTERN, InputSchema, problems

router = Router(tags=["Routing"])


class RouteRequest(InputSchema):
    text: str = Field(
        ...,
        min_length=1,
        max_length=services.TEXT_MAX_LENGTH,
        description="The need in the company's own words (German or English).",
    )
    region: str = Field(
        None, max_length=60, pattern=SLUG_PATTERN, description="Only this region's organisations."
    )
    top: int = Field(5, ge=1, le=services.TOP_MAX, description="How many organisations to suggest.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "Text must not be blank")
        return value


class RouteSuggestion(Schema):
    organization: str = Field(..., description="Slug of the organisation.")
    score: float = Field(..., description="Its share of the fit among all candidates, 0 to 1.")
    reasons: list[str] = Field(..., description="One to three reasons a person understands.")


class RouteResponse(Schema):
    confident: bool = Field(
        ..., description="False when no organisation fits clearly; the coordination office then comes first."
    )
    results: list[RouteSuggestion] = Field(..., description="Best first.")


@router.post(
    "/route",
    response={200: RouteResponse, **problems(404, 422, 429)},
    operation_id="routeInquiry",
    summary="Suggest the organisations that fit a need",
    description=(
        "Public. Each client address may ask a limited number of times per window (by default 30 per "
        "10 minutes, shared with the inquiry form's first step); beyond that the answer is 429 with "
        "`Retry-After` (seconds)."
    ),
)
def route(request: HttpRequest, payload: RouteRequest) -> dict[str, Any]:
    admission = throttling.admit_routing(throttling.client_address(request))
    if not admission.allowed:
        raise Throttled(
            ngettext(
                "Too many routing queries from your address. Please wait %(seconds)s second.",
                "Too many routing queries from your address. Please wait %(seconds)s seconds.",
                admission.wait,
            )
            % {"seconds": admission.wait},
            retry_after=admission.wait,
        )
    region = None
    if payload.region is not None:
        region = Region.objects.filter(slug=payload.region).first()
        if region is None:
            raise Http404(_("There is no region “%(slug)s”.") % {"slug": payload.region})
    result = services.suggest(payload.text, region=region, top=payload.top)
    return {
        "confident": result.confident,
        "results": [
            {"organization": item.organization.slug, "score": item.score, "reasons": item.reasons}
            for item in result.results
        ],
    }
