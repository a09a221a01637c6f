"""Notices: the current information of the member networks and the coordination office, and one notice.

Links point to the pages in the site's default language (German, no prefix). Every query starts from
`news.queries.filter_notices` (so from `news.access.public_notices()`), the same choke point as the public
pages: what the API lists is what the notice pages show.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from crosscluster.core.plain_text import html_to_text
from crosscluster.directory.models import Topic
from crosscluster.directory.queries import published_organizations
from crosscluster.news import queries
from crosscluster.news.models import Notice, NoticeAttachment

from .pagination import Page, PageParams, paginate
from .schemas import SLUG_PATTERN, ClientSchema, english, german, problems

router = Router(tags=["Notices"])

OFFICE = "office"


class NoticeFilters(ClientSchema):
    topic: str | None = Field(None, pattern=SLUG_PATTERN, description="Topic slug.")
    organization: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="Slug of the publishing organisation, or `office` for the coordination office's own.",
    )
    q: str | None = Field(None, max_length=200, description="Words to find in any German word form.")


def _page_path(notice: Notice) -> str:
    """The page in the site's default language, whatever language the API client asked for."""
    with translation.override(settings.LANGUAGE_CODE):
        return notice.get_absolute_url()


class AttachmentOut(Schema):
    title: str
    url: str = Field(..., description="Absolute URL of the PDF file.")

    @staticmethod
    def resolve_url(obj: NoticeAttachment, context: dict[str, Any]) -> str:
        return str(context["request"].build_absolute_uri(obj.file.url))


class NoticeOut(Schema):
    slug: str
    title: str
    title_en: str | None = Field(..., description="The title in English; null when there is none.")
    url: str = Field(..., description="Absolute URL of the notice's public page.")
    organization: str | None = Field(
        ..., description="Slug of the publishing organisation; null: the coordination office."
    )
    region: str = Field(..., description="Region slug.")
    body: str = Field(..., description="The text as Markdown, as written.")
    body_html: str = Field(..., description="The text rendered to sanitised HTML.")
    text: str = Field(..., description="The text as plain text.")
    body_en: str | None = Field(..., description="The text in English as Markdown; null when there is none.")
    body_html_en: str | None = Field(..., description="The English text rendered to sanitised HTML, or null.")
    text_en: str | None = Field(..., description="The English text as plain text, or null.")
    topics: list[str] = Field(..., description="Topic slugs.")
    valid_from: dt.datetime
    valid_until: dt.datetime | None = Field(..., description="Null: valid until it is removed.")
    pinned: bool = Field(..., description="Urgent: shown on the home page until it expires.")
    updated_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Notice, context: dict[str, Any]) -> str:
        return str(context["request"].build_absolute_uri(_page_path(obj)))

    @staticmethod
    def resolve_organization(obj: Notice) -> str | None:
        return obj.organization.slug if obj.organization else None

    @staticmethod
    def resolve_region(obj: Notice) -> str:
        return obj.region.slug

    @staticmethod
    def resolve_title(obj: Notice) -> str:
        return german(obj, "title")

    @staticmethod
    def resolve_title_en(obj: Notice) -> str | None:
        return english(obj, "title")

    @staticmethod
    def resolve_body(obj: Notice) -> str:
        return german(obj, "body")

    @staticmethod
    def resolve_body_html(obj: Notice) -> str:
        return german(obj, "body_html")

    @staticmethod
    def resolve_text(obj: Notice) -> str:
        return str(html_to_text(german(obj, "body_html")))

    @staticmethod
    def resolve_body_en(obj: Notice) -> str | None:
        return english(obj, "body")

    @staticmethod
    def resolve_body_html_en(obj: Notice) -> str | None:
        return english(obj, "body_html")

    @staticmethod
    def resolve_text_en(obj: Notice) -> str | None:
        html = english(obj, "body_html")
        return html_to_text(html) if html else None

    @staticmethod
    def resolve_topics(obj: Notice) -> list[str]:
        return [topic.slug for topic in obj.topics.all()]


class NoticeDetailOut(NoticeOut):
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Notice) -> list[NoticeAttachment]:
        return list(obj.attachments.all())


class NoticeList(Schema):
    count: int
    items: list[NoticeOut]


def _invalid_query(field: str, detail: str, code: str) -> ValidationError:
    return ValidationError([{"loc": ("query", field), "msg": detail, "type": code}])


@router.get(
    "/notices",
    response={200: NoticeList, **problems(422)},
    operation_id="listNotices",
    summary="List current notices",
    description="Published notices inside their validity, urgent ones first, then the newest.",
)
def list_notices(request: HttpRequest, filters: Query[NoticeFilters], page: Query[PageParams]) -> Page:
    topic = organization = None
    if filters.topic:
        topic = Topic.objects.filter(slug=filters.topic).first()
        if topic is None:
            raise _invalid_query("topic", _("There is no topic with this slug."), "unknown_slug")
    if filters.organization and filters.organization != OFFICE:
        organization = published_organizations().filter(slug=filters.organization).first()
        if organization is None:
            raise _invalid_query(
                "organization", _("There is no organisation with this slug."), "unknown_slug"
            )
    notices = queries.filter_notices(
        topic=topic,
        organization=organization,
        office_only=filters.organization == OFFICE,
        text=filters.q or "",
    )
    return paginate(notices.select_related("region"), page)


@router.get(
    "/notices/{slug:slug}",
    response={200: NoticeDetailOut, **problems(404)},
    operation_id="getNotice",
    summary="Get a current notice with its attachments",
)
def get_notice(request: HttpRequest, slug: str) -> Notice:
    notice = queries.notice_for_page(slug)
    if notice is None:
        raise Http404(_("There is no current notice “%(slug)s”.") % {"slug": slug})
    return notice
