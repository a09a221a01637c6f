"""Background tasks of the Netzwerktimer: the manager's "import now" runs here, never inside a request."""

from django_tasks import task


@task()
def import_feed_now(subscription_id: int) -> str:
    """Import one subscription; idempotent (an import brings the events to the feed's state, however often).

    Returns the import's status, or "gone" when the subscription was removed in the meantime.
    """
    from .feeds.importing import import_feed
    from .models import FeedSubscription

    subscription = (
        FeedSubscription.objects.filter(pk=subscription_id, active=True)
        .select_related("organization")
        .first()
    )
    if subscription is None:
        return "gone"
    return import_feed(subscription).status
