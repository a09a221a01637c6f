"""Subscribe an organisation's calendar feed from the command line (as the system, without a user)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crosscluster.directory.models import Organization
from crosscluster.events.feeds.subscriptions import SubscriptionError, add_feed
from crosscluster.events.models import FeedSubscription


class Command(BaseCommand):
    help = (
        "Subscribe a feed (iCalendar or RSS/Atom) for an organisation; the next import-feeds run fetches it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", metavar="ORG_SLUG", help="Slug of the organisation.")
        parser.add_argument("url", metavar="URL", help="http(s) or webcal URL of the feed.")
        parser.add_argument(
            "--kind",
            choices=FeedSubscription.Kind.values,
            help="The feed's format; guessed from the URL when left out.",
        )

    def handle(self, *args: object, organization: str, url: str, kind: str | None = None, **options: object):
        try:
            org = Organization.objects.get(slug=organization)
        except Organization.DoesNotExist:
            raise CommandError(f"add-feed: no organisation with the slug {organization!r}") from None
        try:
            subscription = add_feed(org, url, actor=None, kind=kind)
        except SubscriptionError as exc:
            raise CommandError(f"add-feed: {exc}") from exc
        self.stdout.write(
            f"add-feed: feed {subscription.pk} ({subscription.kind}) {subscription.url} "
            f"subscribed for {org.slug}"
        )
