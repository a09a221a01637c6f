"""RSS and Atom feeds of the current notices, with the public list's filters (`?topic=…&organization=…`)."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from crosscluster.core.syndication import AtomFeed, RssFeed

from . import queries
from .models import Notice
from .views import filter_form

FEED_SIZE = 50


class NoticesFeed(Feed):
    feed_type = RssFeed
    description_template = "news/_feed_item.html"

    def get_object(self, request: HttpRequest) -> HttpRequest:
        # The "object" is the request itself: its filters choose the items.
        return request

    def title(self, request: HttpRequest) -> str:
        return _("Notices of the cross-cluster initiative")

    def link(self, request: HttpRequest) -> str:
        query = filter_form(request.GET).query()
        return reverse("news:list") + (f"?{query}" if query else "")

    def description(self, request: HttpRequest) -> str:
        return _("Current notices of the member networks and the coordination office.")

    def items(self, request: HttpRequest) -> list[Notice]:
        return list(queries.filter_notices(**filter_form(request.GET).filters())[:FEED_SIZE])

    def item_title(self, notice: Notice) -> str:
        return f"{_('Urgent')}: {notice.title}" if notice.pinned else notice.title

    def item_pubdate(self, notice: Notice) -> dt.datetime:
        return notice.valid_from

    def item_updateddate(self, notice: Notice) -> dt.datetime:
        return notice.updated_at

    def item_categories(self, notice: Notice) -> list[str]:
        return [topic.name for topic in notice.topics.all()]

    def item_author_name(self, notice: Notice) -> str:
        return notice.organization.name if notice.organization else _("The coordination office")


class NoticesAtomFeed(NoticesFeed):
    feed_type = AtomFeed

    def subtitle(self, request: HttpRequest) -> str:
        return self.description(request)
