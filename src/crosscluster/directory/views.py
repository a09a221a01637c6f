"""The public site: home, the directory list with search, organisation and topic pages, vCards, privacy.

Every query starts from `queries.published_organizations()`, so unpublished organisations stay invisible.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from crosscluster.core.jsonld import json_ld_script

from . import queries
from .filters import DirectoryFilterForm
from .geography import member_map
from .models import Contact
from .schema_org import organization_json_ld
from .vcard import contact_vcard as build_vcard
from .vcard import vcard_filename
from .videos import describe_video

PAGE_SIZE = 30


def _own_hosts(request: HttpRequest) -> set[str]:
    """Host names of this site: videos there are ours and need no consent."""
    hosts = {urlsplit(f"//{request.get_host()}").hostname, urlsplit(settings.SITE_URL).hostname}
    return {host for host in hosts if host}


def organization_list(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET)
    form.is_valid()  # Invalid filters are shown with their error and left out; the valid ones still apply.
    organizations = queries.filter_organizations(**form.filters())
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "organizations": page.object_list,
        "member_map": member_map(queries.member_cities()),
    }
    return render(request, "directory/organization_list.html", context)


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = queries.organization_for_page(slug)
    if organization is None:
        raise Http404
    own_hosts = _own_hosts(request)
    videos = [describe_video(video, own_hosts) for video in organization.videos.all()]
    url = request.build_absolute_uri(organization.get_absolute_url())
    context = {
        "organization": organization,
        "videos": videos,
        "json_ld": json_ld_script(organization_json_ld(organization, url)),
    }
    return render(request, "directory/organization_detail.html", context)


def video_gallery(request: HttpRequest) -> HttpResponse:
    """ "Mitglieder auf einen Blick in Kurzvideos": every member's videos on one page, external ones behind
    the same two-click consent as on the organisation pages."""
    own_hosts = _own_hosts(request)
    videos = [describe_video(video, own_hosts) for video in queries.gallery_videos()]
    return render(request, "directory/video_gallery.html", {"videos": videos})


def contact_vcard(request: HttpRequest, slug: str, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("organization"),
        pk=contact_id,
        organization__in=queries.published_organizations().filter(slug=slug),
    )
    response = HttpResponse(build_vcard(contact), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, vcard_filename(contact))
    # Contact cards are for people, not for address harvesters' search indexes.
    response["X-Robots-Tag"] = "noindex"
    return response


def topic_list(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/topic_list.html", {"topics": queries.topics_with_counts()})


def imprint(request: HttpRequest) -> HttpResponse:
    """The operator's legal notice from settings.SITE_IDENTITY; while fields are missing it says which."""
    return render(request, "directory/imprint.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/privacy.html")
