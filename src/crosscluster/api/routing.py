"""Routing: which organisations fit a need described in free text (see docs/routing.md).

Public like the directory reads, as the public inquiry form and partner sites use it before anybody logs in.
The text is used for this answer only: nothing of it is stored.
"""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from crosscluster.directory.models import Region
from crosscluster.routing import services

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
    response={200: RouteResponse, **problems(404, 422)},
    operation_id="routeInquiry",
    summary="Suggest the organisations that fit a need",
)
def route(request: HttpRequest, payload: RouteRequest) -> dict:
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
