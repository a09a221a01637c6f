"""RSS and Atom feeds of the public profiles, with the list's filters (`?kind=…&topic=…`)."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import SyndicationFeed
from django.utils.translation import gettext as _

from crosscluster.core.syndication import AtomFeed, RssFeed

from .models import CooperationProfile
from .views import filter_form, filtered_profiles

FEED_SIZE = 50


class ProfilesFeed(Feed):
    feed_type: type[SyndicationFeed] = RssFeed

    def get_object(self, request: HttpRequest) -> HttpRequest:
        return request  # its filters choose the items

    def title(self, request: HttpRequest) -> str:
        return _("Cooperation exchange of the cross-cluster initiative")

    def link(self, request: HttpRequest) -> str:
        query = filter_form(request.GET).query()
        return reverse("cooperation:list") + (f"?{query}" if query else "")

    def description(self, request: HttpRequest) -> str:
        return _("New technology and business offers and requests, and research partner searches.")

    def items(self, request: HttpRequest) -> list[CooperationProfile]:
        return list(filtered_profiles(filter_form(request.GET).filters())[:FEED_SIZE])

    def item_title(self, profile: CooperationProfile) -> str:
        return f"{profile.get_kind_display()}: {profile.title}"

    def item_description(self, profile: CooperationProfile) -> str:
        return profile.text

    def item_pubdate(self, profile: CooperationProfile) -> dt.datetime | None:
        return profile.published_at

    def item_updateddate(self, profile: CooperationProfile) -> dt.datetime:
        return profile.updated_at

    def item_categories(self, profile: CooperationProfile) -> list[str]:
        return [topic.name for topic in profile.topics.all()]


class ProfilesAtomFeed(ProfilesFeed):
    feed_type = AtomFeed

    def subtitle(self, request: HttpRequest) -> str:
        return self.description(request)
