"""The public notices: the list with filters and the notice page.

Every query starts from `access.public_notices()` (through news.queries); filters are plain GET parameters,
so every view is a shareable URL that the feeds understand too.
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from . import queries
from .forms import NoticeFilterForm

PAGE_SIZE = 20


def filter_form(data) -> NoticeFilterForm:
    form = NoticeFilterForm(data, organizations=queries.publishing_organizations())
    form.is_valid()  # Invalid filters are shown with their error and left out; the valid ones still apply.
    return form


def notice_list(request: HttpRequest) -> HttpResponse:
    form = filter_form(request.GET)
    notices = queries.filter_notices(**form.filters())
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "notices": page.object_list, "feed_query": form.query()}
    return render(request, "news/notice_list.html", context)


def notice_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public notice; its editors also see it before and after it is public, marked as a preview."""
    notice = queries.notice_for_page(slug)
    preview = False
    if notice is None and request.user.is_authenticated:
        notice = queries.notice_for_editor(request.user, slug)
        preview = notice is not None
    if notice is None:
        raise Http404
    response = render(request, "news/notice_detail.html", {"notice": notice, "preview": preview})
    if preview:
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex"
    return response
