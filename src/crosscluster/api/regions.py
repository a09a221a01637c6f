"""Regions: each runs its own initiative; every organisation belongs to one."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from crosscluster.directory.models import Region

from .pagination import Page, PageParams, paginate
from .schemas import RegionList, RegionOut, problems

router = Router(tags=["Regions"])


@router.get(
    "/regions",
    response={200: RegionList, **problems(422)},
    operation_id="listRegions",
    summary="List regions",
)
def list_regions(request: HttpRequest, page: Query[PageParams]) -> Page:
    return paginate(Region.objects.order_by("name", "pk"), page)


@router.get(
    "/regions/{slug:slug}",
    response={200: RegionOut, **problems(404)},
    operation_id="getRegion",
    summary="Get a region",
)
def get_region(request: HttpRequest, slug: str) -> Region:
    region = Region.objects.filter(slug=slug).first()
    if region is None:
        raise Http404(_("There is no region “%(slug)s”.") % {"slug": slug})
    return region
