"""Notices: short, dated information for companies from a member organisation or the coordination office.

The body is Markdown; `body_html` holds it rendered and sanitised (see `news.rendering`), so templates may
mark it safe. A notice is public while it is published and inside its validity window (see
`news.access.public_notices`); a pinned notice is urgent crisis information that the home page shows until
it expires.
"""

import secrets
from typing import TYPE_CHECKING

from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Organization, Region, Topic, slug_validator


class Notice(models.Model):
    if TYPE_CHECKING:  # the language columns modeltranslation adds (translation.py)
        title_de: str
        title_en: str
        body_de: str
        body_en: str
        body_html_de: str
        body_html_en: str

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="notices"
    )
    # Null: published by the coordination office itself.
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="notices",
        null=True,
        blank=True,
    )
    slug = models.SlugField(_("slug"), max_length=220, unique=True, validators=[slug_validator])
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20000, help_text=_("Markdown: **bold**, lists, links."))
    body_html = models.TextField(editable=False, blank=True)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="notices", blank=True)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    pinned = models.BooleanField(
        _("pinned / urgent"),
        default=False,
        help_text=_("Urgent information: shown on the home page until it expires."),
    )
    published = models.BooleanField(_("published"), default=True)
    # Lower-cased Snowball stems of title, body and topics, for text search (see directory.search).
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["published", "valid_from"], name="news_notice_public_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="notice_valid_until_after_from",
                violation_error_message=_("The end of validity must lie after its start."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:notice", kwargs={"slug": self.slug})


def attachment_path(instance: "NoticeAttachment", filename: str) -> str:
    """`notices/<random>/<name>.pdf`: the media server hands files out to whoever knows the path, and a
    notice may be a draft or not yet valid, so the path must not be guessable from the file's name."""
    return f"notices/{secrets.token_urlsafe(16)}/{filename}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="attachments"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("PDF file"), upload_to=attachment_path, max_length=200, validators=[FileExtensionValidator(["pdf"])]
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
