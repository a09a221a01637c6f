"""Notices in the manager area: managers keep their organisations' notices, the coordination office all.

Every view parses input with a form, fetches through `notices_editable_by`, calls one function of
news.services and redirects with a message. A notice that exists but is not the user's answers 403; an
unknown one 404.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crosscluster.core.manage import bound, call_service, read_only, read_write
from crosscluster.directory.access import is_coordinator, organizations_managed_by

from . import services
from .access import notices_editable_by
from .forms import AttachmentForm, NoticeForm
from .models import Notice
from .services import NoticeError

PAGE_SIZE = 50


def _can_publish(user: Any) -> bool:
    return is_coordinator(user) or organizations_managed_by(user).exists()


def _editable_notice(request: HttpRequest, pk: int) -> Notice:
    try:
        return notices_editable_by(request.user).select_related("organization").get(pk=pk)
    except Notice.DoesNotExist:
        if Notice.objects.filter(pk=pk).exists():
            raise PermissionDenied from None
        raise Http404 from None


def _call_service(form: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
    return call_service(form, service, *args, refusals=(NoticeError, PermissionDenied), **kwargs)


def _render_form(request: HttpRequest, form: NoticeForm, **context: Any) -> HttpResponse:
    return render(
        request,
        "news/manage/notice_form.html",
        {"form": form, "cancel_url": reverse("manage:notices"), **context},
    )


@login_required
@read_only
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = (
        notices_editable_by(request.user)
        .select_related("organization")
        .prefetch_related("attachments")
        .order_by("-valid_from", "-pk")
    )
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "notices": page.object_list,
        "is_coordinator": is_coordinator(request.user),
        "can_create": _can_publish(request.user),
    }
    return render(request, "news/manage/notice_list.html", context)


@login_required
@read_write
def notice_create(request: HttpRequest) -> HttpResponse:
    if not _can_publish(request.user):
        raise PermissionDenied
    form = NoticeForm(*bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        notice = _call_service(form, services.create_notice, actor=request.user, **form.service_values())
        if notice is not None:
            messages.success(request, _("The notice “%(name)s” was published.") % {"name": notice})
            return redirect("manage:notice-attachments", pk=notice.pk)
    return _render_form(request, form, title=_("New notice"), submit_label=_("Save"))


@login_required
@read_write
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _editable_notice(request, pk)
    form = NoticeForm(*bound(request), instance=notice, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _call_service(
            form, services.update_notice, notice, actor=request.user, **form.service_values()
        )
        if saved is not None:
            messages.success(request, _("The notice “%(name)s” was saved.") % {"name": notice})
            return redirect("manage:notices")
        notice.refresh_from_db()
    return _render_form(request, form, title=_("Edit notice"), submit_label=_("Save"), notice=notice)


@login_required
@read_write
def notice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, POST deletes: a link or a prefetching browser never deletes anything."""
    notice = _editable_notice(request, pk)
    if request.method == "POST":
        name = str(notice)
        services.delete_notice(notice, actor=request.user)
        messages.success(request, _("The notice “%(name)s” was deleted.") % {"name": name})
        return redirect("manage:notices")
    return render(
        request,
        "news/manage/notice_confirm_delete.html",
        {"notice": notice, "cancel_url": reverse("manage:notices")},
    )


@login_required
@read_write
def notice_attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice's PDFs and a form to add one; the upload is checked by `services.add_attachment`."""
    notice = _editable_notice(request, pk)
    form = AttachmentForm(request.POST, request.FILES) if request.method == "POST" else AttachmentForm()
    if request.method == "POST" and form.is_valid():
        attachment = _call_service(
            form,
            services.add_attachment,
            notice,
            actor=request.user,
            file=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
        )
        if attachment is not None:
            messages.success(request, _("The file “%(name)s” was attached.") % {"name": attachment})
            return redirect("manage:notice-attachments", pk=notice.pk)
    context = {
        "notice": notice,
        "attachments": notice.attachments.all(),
        "form": form,
        "cancel_url": reverse("manage:notices"),
    }
    return render(request, "news/manage/notice_attachments.html", context)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    notice = _editable_notice(request, pk)
    attachment = get_object_or_404(notice.attachments, pk=attachment_pk)
    name = str(attachment)
    services.delete_attachment(attachment, actor=request.user)
    messages.success(request, _("The file “%(name)s” was removed.") % {"name": name})
    return redirect("manage:notice-attachments", pk=notice.pk)
