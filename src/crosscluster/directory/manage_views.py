"""The manager area: network managers keep their organisation's page current, the coordination office all.

Every view parses input with a form from directory.forms, fetches through `organizations_managed_by`, calls
one function of directory.services and redirects with a message. An organisation that exists but is not
the user's answers 403 on every URL; an unknown one 404.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crosscluster.core.manage import bound, call_service, read_only, read_write
from crosscluster.core.models import AuditLogEntry

from . import services
from .access import is_coordinator, organizations_managed_by
from .exports import spreadsheet
from .forms import ContactForm, OfferForm, OrganizationForm, ServiceForm, TopicForm, VideoForm
from .models import Contact, Offer, Organization, Topic, Video
from .services import DirectoryError

HISTORY_PAGE_SIZE = 50

# Readable names for the history page; unknown codes are shown as they are.
ACTION_LABELS: dict[str, Promise] = {
    "directory.organization.updated": gettext_lazy("Profile changed"),
    "directory.organization.admin_changed": gettext_lazy("Profile changed in the admin"),
    "directory.organization.admin_created": gettext_lazy("Organisation created in the admin"),
    "directory.offer.created": gettext_lazy("Offer added"),
    "directory.offer.updated": gettext_lazy("Offer changed"),
    "directory.offer.deleted": gettext_lazy("Offer deleted"),
    "directory.contact.created": gettext_lazy("Contact person added"),
    "directory.contact.updated": gettext_lazy("Contact person changed"),
    "directory.contact.deleted": gettext_lazy("Contact person deleted"),
    "directory.video.created": gettext_lazy("Video added"),
    "directory.video.updated": gettext_lazy("Video changed"),
    "directory.video.deleted": gettext_lazy("Video deleted"),
    "accounts.membership.created": gettext_lazy("Manager added"),
    "accounts.membership.deleted": gettext_lazy("Manager removed"),
}
# Saves in the Django admin are logged as `<app>.<model>.admin_<verb>` (see core.admin.AuditedAdmin).
ADMIN_VERBS = {"admin_created": "created", "admin_changed": "updated", "admin_deleted": "deleted"}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    prefix, _dot, verb = action.rpartition(".")
    plain = f"{prefix}.{ADMIN_VERBS.get(verb, '')}"
    if plain in ACTION_LABELS:
        return _("%(action)s (in the admin)") % {"action": ACTION_LABELS[plain]}
    return action


def _managed_organization(request: HttpRequest, slug: str) -> Organization:
    """The organisation if the user may manage it: 404 when there is none, 403 when it is somebody else's."""
    try:
        return organizations_managed_by(request.user).get(slug=slug)
    except Organization.DoesNotExist:
        if Organization.objects.filter(slug=slug).exists():
            raise PermissionDenied from None
        raise Http404 from None


def _managed_item(
    request: HttpRequest, model: type[models.Model], organization: Organization, pk: int
) -> Any:
    """An offer, contact or video of this organisation, starting from what the user may manage."""
    items = model._default_manager.filter(organization__in=organizations_managed_by(request.user))
    return get_object_or_404(items, organization=organization, pk=pk)


@dataclass(frozen=True)
class Section:
    """Offers, contacts and videos are edited the same way; this says what differs."""

    model: type[models.Model]
    form_class: type[ServiceForm]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    url_name: str  # "offer" → manage:offer-list, manage:offer-create, …
    list_template: str
    title_list: Promise
    title_create: Promise
    title_edit: Promise
    message_created: Promise
    message_updated: Promise
    message_deleted: Promise
    has_topics: bool = False


OFFERS = Section(
    model=Offer,
    form_class=OfferForm,
    create=services.create_offer,
    update=services.update_offer,
    delete=services.delete_offer,
    url_name="offer",
    list_template="directory/manage/offer_list.html",
    title_list=gettext_lazy("Offers"),
    title_create=gettext_lazy("New offer"),
    title_edit=gettext_lazy("Edit offer"),
    message_created=gettext_lazy("The offer “%(name)s” was added."),
    message_updated=gettext_lazy("The offer “%(name)s” was saved."),
    message_deleted=gettext_lazy("The offer “%(name)s” was deleted."),
    has_topics=True,
)
CONTACTS = Section(
    model=Contact,
    form_class=ContactForm,
    create=services.create_contact,
    update=services.update_contact,
    delete=services.delete_contact,
    url_name="contact",
    list_template="directory/manage/contact_list.html",
    title_list=gettext_lazy("Contact persons"),
    title_create=gettext_lazy("New contact person"),
    title_edit=gettext_lazy("Edit contact person"),
    message_created=gettext_lazy("The contact person “%(name)s” was added."),
    message_updated=gettext_lazy("The contact person “%(name)s” was saved."),
    message_deleted=gettext_lazy("The contact person “%(name)s” was deleted."),
)
VIDEOS = Section(
    model=Video,
    form_class=VideoForm,
    create=services.create_video,
    update=services.update_video,
    delete=services.delete_video,
    url_name="video",
    list_template="directory/manage/video_list.html",
    title_list=gettext_lazy("Videos"),
    title_create=gettext_lazy("New video"),
    title_edit=gettext_lazy("Edit video"),
    message_created=gettext_lazy("The video “%(name)s” was added."),
    message_updated=gettext_lazy("The video “%(name)s” was saved."),
    message_deleted=gettext_lazy("The video “%(name)s” was deleted."),
)


def _call_service(form: ServiceForm, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run the service with the form's values."""
    values = form.service_values()
    return call_service(form, service, *args, refusals=(DirectoryError,), **kwargs, **values)


def _render_form(
    request: HttpRequest, organization: Organization, form: ServiceForm, **context: Any
) -> HttpResponse:
    return render(
        request,
        "directory/manage/form.html",
        {"organization": organization, "form": form, **context},
    )


# The organisation itself ---------------------------------------------------------------------------


@login_required
@read_only
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _managed_organization(request, slug)
    counts = {
        "offers": organization.offers.count(),
        "contacts": organization.contacts.count(),
        "videos": organization.videos.count(),
    }
    return render(
        request, "directory/manage/organization.html", {"organization": organization, "counts": counts}
    )


@login_required
@read_write
def organization_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _managed_organization(request, slug)
    form = OrganizationForm(
        *bound(request), instance=organization, allow_publish=is_coordinator(request.user)
    )
    if request.method == "POST" and form.is_valid():
        if _call_service(form, services.update_organization, organization, actor=request.user) is not None:
            messages.success(request, _("The profile was saved."))
            return redirect("manage:organization", slug=organization.slug)
        organization.refresh_from_db()  # the service changed the object in memory before it refused
    return _render_form(
        request,
        organization,
        form,
        title=_("Edit profile"),
        submit_label=_("Save profile"),
        cancel_url=reverse("manage:organization", kwargs={"slug": organization.slug}),
    )


@login_required
@read_only
def organization_history(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's history, read from the audit log."""
    organization = _managed_organization(request, slug)
    entries = AuditLogEntry.objects.filter(organization=organization).select_related("actor")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "label": action_label(entry.action),
            "fields": _changed_fields(entry),
        }
        for entry in page
    ]
    return render(
        request, "directory/manage/history.html", {"organization": organization, "page": page, "rows": rows}
    )


_MODELS_BY_LABEL = {model._meta.label_lower: model for model in (Organization, Offer, Contact, Video)}


def _changed_fields(entry: AuditLogEntry) -> list[str]:
    """Names of the changed fields, not their values: the history repeats no personal data."""
    changes = entry.data.get("changes") if isinstance(entry.data, dict) else None
    if not isinstance(changes, dict):
        return []
    model = _MODELS_BY_LABEL.get(entry.object_type)
    names = []
    for name in changes:
        try:
            names.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            names.append(name)
    return names


# Offers, contacts, videos: one set of views; manage_urls passes the `section` --------------------------


@login_required
@read_only
def item_list(request: HttpRequest, slug: str, section: Section) -> HttpResponse:
    organization = _managed_organization(request, slug)
    items = section.model._default_manager.filter(organization=organization)
    if section.has_topics:
        items = items.prefetch_related("topics")
    return render(
        request,
        section.list_template,
        {"organization": organization, "items": items, "title": section.title_list},
    )


@login_required
@read_write
def item_create(request: HttpRequest, slug: str, section: Section) -> HttpResponse:
    organization = _managed_organization(request, slug)
    form = section.form_class(*bound(request))
    list_url = reverse(f"manage:{section.url_name}-list", kwargs={"slug": organization.slug})
    if request.method == "POST" and form.is_valid():
        item = _call_service(form, section.create, organization, actor=request.user)
        if item is not None:
            messages.success(request, section.message_created % {"name": item})
            return redirect(list_url)
    return _render_form(
        request,
        organization,
        form,
        title=section.title_create,
        submit_label=_("Add"),
        cancel_url=list_url,
        section=section,
    )


@login_required
@read_write
def item_edit(request: HttpRequest, slug: str, pk: int, section: Section) -> HttpResponse:
    organization = _managed_organization(request, slug)
    item = _managed_item(request, section.model, organization, pk)
    form = section.form_class(*bound(request), instance=item)
    list_url = reverse(f"manage:{section.url_name}-list", kwargs={"slug": organization.slug})
    if request.method == "POST" and form.is_valid():
        if _call_service(form, section.update, item, actor=request.user) is not None:
            messages.success(request, section.message_updated % {"name": item})
            return redirect(list_url)
        item.refresh_from_db()
    return _render_form(
        request,
        organization,
        form,
        title=section.title_edit,
        submit_label=_("Save"),
        cancel_url=list_url,
        section=section,
        item=item,
    )


@login_required
@read_write
def item_delete(request: HttpRequest, slug: str, pk: int, section: Section) -> HttpResponse:
    """GET asks, POST deletes: a link or a prefetching browser never deletes anything."""
    organization = _managed_organization(request, slug)
    item = _managed_item(request, section.model, organization, pk)
    list_url = reverse(f"manage:{section.url_name}-list", kwargs={"slug": organization.slug})
    if request.method == "POST":
        name = str(item)
        section.delete(item, actor=request.user)
        messages.success(request, section.message_deleted % {"name": name})
        return redirect(list_url)
    return render(
        request,
        "directory/manage/confirm_delete.html",
        {"organization": organization, "item": item, "cancel_url": list_url, "section": section},
    )


# Topics: the coordination office words their introductions and keeps their synonyms -------------------


def _require_coordinator(request: HttpRequest) -> None:
    if not is_coordinator(request.user):
        raise PermissionDenied


@login_required
@read_only
def topic_list(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    return render(request, "directory/manage/topic_list.html", {"topics": Topic.objects.all()})


@login_required
@read_write
def topic_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _require_coordinator(request)
    topic = get_object_or_404(Topic, slug=slug)
    form = TopicForm(*bound(request), instance=topic)
    if request.method == "POST" and form.is_valid():
        if _call_service(form, services.update_topic, topic, actor=request.user) is not None:
            messages.success(request, _("The topic “%(name)s” was saved.") % {"name": topic.name})
            return redirect("manage:topics")
        topic.refresh_from_db()
    return render(request, "directory/manage/topic_form.html", {"topic": topic, "form": form})


# The directory as a spreadsheet for the coordination office --------------------------------------------

CSV_FILE_NAMES = {"organizations": "organisationen", "offers": "angebote"}


@login_required
@read_only
def directory_csv(request: HttpRequest, what: str) -> HttpResponse:
    """Every organisation (published or not, with a column saying which) or every offer, as CSV for Excel."""
    _require_coordinator(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    day = timezone.localdate(timezone=spreadsheet.display_zone()).isoformat()
    response["Content-Disposition"] = f'attachment; filename="{CSV_FILE_NAMES[what]}-{day}.csv"'
    spreadsheet.WRITERS[what](response, organizations_managed_by(request.user))
    return response
