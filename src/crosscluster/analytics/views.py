"""The statistics page of the manager area: page views of one's own pages, or of all for the office."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization

from . import counting, stats
from .access import can_see_statistics_of, page_views_visible_to, pages_of
from .forms import StatisticsFilterForm


@login_required
@require_http_methods(["GET", "HEAD"])
def statistics(request: HttpRequest) -> HttpResponse:
    """Managers see their organisations' pages, events and notices; the office sees every page.

    An organisation the user does not manage answers 403 (organisations are public, their figures are not).
    """
    coordinator = is_coordinator(request.user)
    counts = page_views_visible_to(request.user)
    organization = None
    slug = request.GET.get("organisation")
    if slug:
        organization = get_object_or_404(Organization, slug=slug)
        if not can_see_statistics_of(request.user, organization):
            raise PermissionDenied
        counts = counts.filter(pages_of(Organization.objects.filter(pk=organization.pk)))
    form = StatisticsFilterForm(
        request.GET, organizations=organizations_managed_by(request.user), coordinator=coordinator
    )
    days = form.cleaned_data.get("tage") if form.is_valid() else None
    days = days if days in stats.PERIODS else stats.PERIODS[0]
    context = {
        "form": form,
        "figures": stats.figures(counts, today=counting.today(), days=days),
        "organization_filter": organization,
        "is_coordinator": coordinator,
    }
    return render(request, "analytics/manage/statistics.html", context)
