"""Every change to a notice or its attachments goes through one of these functions.

Views, the API, the admin and management commands all call them. Each checks that the actor may publish for
the organisation (a manager for the organisations they manage, the coordination office for all and in its own
name, `organization=None`), validates, renders the Markdown body into sanitised `body_html`, keeps the search
text current and writes the audit log. `actor=None` means the system itself (the demo loader, tests).

Attachments are PDF only: the upload must say `application/pdf` and start with the `%PDF-` signature, so a
renamed executable or HTML page is refused even when its name ends in `.pdf`.
"""

import datetime as dt
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crosscluster.core.bilingual import column, plain_name
from crosscluster.core.sanitize import clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import texts_changed
from crosscluster.core.types import Actor
from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization, Region, Topic
from crosscluster.directory.queries import default_region

from .models import Notice, NoticeAttachment
from .rendering import render_markdown

# A translated text's plain name (`title`) is its German column; `title_en` the English (core/bilingual.py).
NOTICE_FIELDS = (
    *("title", "body", "title_de", "body_de", "title_en", "body_en"),
    *("valid_from", "valid_until", "pinned", "published"),
)
PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf"})
PDF_SIGNATURE = b"%PDF-"


def max_attachment_bytes() -> int:
    return getattr(settings, "NOTICE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)


class NoticeError(Exception):
    """A change the notices refuse; the message is translated and meant for the user."""


_UNSET: Any = object()


def _check_publisher(actor: Actor, organization: Organization | None) -> None:
    """A manager publishes for their own organisations only; the coordination office for all and itself."""
    if actor is None or is_coordinator(actor):
        return
    if organization is None:
        raise PermissionDenied(_("Only the coordination office publishes in its own name."))
    if not organizations_managed_by(actor).filter(pk=organization.pk).exists():
        raise PermissionDenied(_("You can only publish notices for organisations you manage."))


def _ensure_can_edit(actor: Actor, notice: Notice) -> None:
    if actor is None or is_coordinator(actor):
        return
    if notice.organization_id is None or not (
        organizations_managed_by(actor).filter(pk=notice.organization_id).exists()
    ):
        raise PermissionDenied(_("You do not manage this notice."))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def _unique_slug(title: str) -> str:
    """A readable address from the title (German umlauts spelt out), numbered when it is taken."""
    base = slugify(title.translate(_UMLAUTS)).replace("_", "-")[:200].strip("-") or "hinweis"
    slug, number = base, 1
    while Notice.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _apply(notice: Notice, values: dict[str, Any]) -> dict[str, list[str]]:
    """Set the given fields and return what changed as {field: [old, new]} for the audit log."""
    unknown = set(values) - set(NOTICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    changes: dict[str, list[str]] = {}
    for field, value in values.items():
        if field == "valid_from" and value is None:
            value = timezone.now()
        if isinstance(value, str):
            value = clean_text(value)
        attribute = column(Notice, field)
        old = getattr(notice, attribute)
        if (old or "") != value if isinstance(value, str) else old != value:
            changes[plain_name(Notice, field)] = [str(old or ""), str(value)]
            setattr(notice, attribute, value)
    return changes


def _save_validated(notice: Notice) -> None:
    for value in (notice.valid_from, notice.valid_until):
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            raise NoticeError(_("Validity needs a date, a time and a time zone."))
    if notice.valid_until is not None and notice.valid_until <= notice.valid_from:
        raise NoticeError(_("The end of validity must lie after its start."))
    if not (notice.title_de or "").strip():
        raise NoticeError(_("A notice needs a title."))
    notice.body_html_de = render_markdown(notice.body_de or "")
    notice.body_html_en = render_markdown(notice.body_en) if notice.body_en else ""
    try:
        notice.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise NoticeError("; ".join(exc.messages)) from exc
    notice.save()


def refresh_search_text(notice: Notice) -> None:
    """After a change of the notice's text, topics or publisher: its search document is rewritten in this
    transaction (core.signals.texts_changed, search.documents)."""
    texts_changed.send(sender=Notice, ids=[notice.pk])


def _set_topics(notice: Notice, topics: Iterable[Topic] | None, changes: dict[str, Any]) -> None:
    if topics is None:
        return
    new = {topic.pk for topic in topics}
    if new != set(notice.topics.values_list("pk", flat=True)):
        notice.topics.set(new)
        changes["topics"] = sorted(Topic.objects.filter(pk__in=new).values_list("slug", flat=True))


def _region_for(organization: Organization | None, region: Region | None) -> Region:
    region = region or (organization.region if organization is not None else default_region())
    if region is None:
        raise NoticeError(_("No region is set up yet."))
    return region


@transaction.atomic
def create_notice(
    *,
    actor: Actor,
    organization: Organization | None,
    topics: Iterable[Topic] = (),
    region: Region | None = None,
    slug: str = "",
    **fields: Any,
) -> Notice:
    """A new notice of `organization`, or of the coordination office when it is None."""
    _check_publisher(actor, organization)
    notice = Notice(organization=organization, region=_region_for(organization, region))
    _apply(notice, {"valid_from": None, **fields})
    if slug and Notice.objects.filter(slug=slug).exists():
        raise NoticeError(_("The address “%(slug)s” is taken.") % {"slug": slug})
    notice.slug = slug or _unique_slug(notice.title_de)
    _save_validated(notice)
    _set_topics(notice, list(topics), {})
    refresh_search_text(notice)
    log_action("notice.created", actor=actor, obj=notice, organization=organization)
    return notice


@transaction.atomic
def update_notice(
    notice: Notice,
    *,
    actor: Actor,
    organization: Organization | None = _UNSET,
    topics: Iterable[Topic] | None = None,
    **fields: Any,
) -> Notice:
    """Change a notice; its slug stays, so links to it keep working after the title changes."""
    _ensure_can_edit(actor, notice)
    changes = _apply(notice, fields)
    if organization is not _UNSET and organization != notice.organization:
        _check_publisher(actor, organization)
        changes["organization"] = [
            str(notice.organization or ""),
            str(organization or ""),
        ]
        notice.organization = organization
        notice.region = _region_for(organization, None)
    _save_validated(notice)
    _set_topics(notice, None if topics is None else list(topics), changes)
    if changes:
        refresh_search_text(notice)
        log_action(
            "notice.updated",
            actor=actor,
            obj=notice,
            organization=notice.organization,
            data={"changes": changes},
        )
    return notice


@transaction.atomic
def delete_notice(notice: Notice, *, actor: Actor) -> None:
    """Gone for good, attachments included (django-cleanup removes their files)."""
    _ensure_can_edit(actor, notice)
    log_action("notice.deleted", actor=actor, obj=notice, organization=notice.organization)
    notice.delete()


def check_pdf(file: Any) -> None:
    """Refuse anything that is not a PDF within the size limit; the message is for the user."""
    limit = max_attachment_bytes()
    if file is None or not getattr(file, "size", 0):
        raise NoticeError(_("Choose a PDF file."))
    if file.size > limit:
        raise NoticeError(
            _("The file is %(size)s; at most %(limit)s are allowed.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)}
        )
    if PurePath(file.name or "").suffix.lower() != ".pdf":
        raise NoticeError(_("Only PDF files can be attached."))
    content_type = getattr(file, "content_type", None)
    if isinstance(file, UploadedFile) and content_type and content_type.lower() not in PDF_CONTENT_TYPES:
        raise NoticeError(_("Only PDF files can be attached."))
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    # The PDF specification allows the header within the first 1024 bytes.
    if PDF_SIGNATURE not in head:
        raise NoticeError(_("The file is not a PDF document."))


@transaction.atomic
def add_attachment(notice: Notice, *, actor: Actor, file: Any, title: str = "") -> NoticeAttachment:
    _ensure_can_edit(actor, notice)
    check_pdf(file)
    title = clean_text(title).strip() or clean_text(PurePath(file.name).stem)[:200]
    position = (notice.attachments.aggregate(last=Max("position"))["last"] or 0) + 1
    attachment = NoticeAttachment(notice=notice, title=title, position=position)
    attachment.file.save(PurePath(file.name).name, file, save=False)
    attachment.save()
    log_action(
        "notice.attachment_added",
        actor=actor,
        obj=notice,
        organization=notice.organization,
        data={"attachment": title},
    )
    return attachment


@transaction.atomic
def delete_attachment(attachment: NoticeAttachment, *, actor: Actor) -> None:
    notice = attachment.notice
    _ensure_can_edit(actor, notice)
    log_action(
        "notice.attachment_deleted",
        actor=actor,
        obj=notice,
        organization=notice.organization,
        data={"attachment": attachment.title},
    )
    attachment.delete()
