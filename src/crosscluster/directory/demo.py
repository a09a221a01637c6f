"""Demo touches for `make run` that the exchange format does not carry: topics of the demo offers.

The shipped directory (demo/thueringen.json) gives organisations their topics but offers none (the format has
no field for them), so every topic page said "0 offers". `tag_demo_offers` gives each offer the organisation's
topics that its words name, or the organisation's first topic, and then makes sure every topic has at least
one offer, through the same service a manager uses (`services.update_offer`).
"""

from django.db import transaction

from crosscluster.core.text import search_terms

from . import services
from .models import Offer, Topic


def _stems(text: str) -> set[str]:
    return {found for found, _word in search_terms(text)}


@transaction.atomic
def tag_demo_offers() -> int:
    """Give topics to the demo offers that have none; returns how many offers got topics."""
    offers = list(
        Offer.objects.filter(topics__isnull=True)
        .select_related("organization")
        .prefetch_related("organization__topics")
        .order_by("organization__slug", "position", "pk")
    )
    chosen: dict[int, list[Topic]] = {}
    for offer in offers:
        text = _stems(f"{offer.title} {offer.description}")
        own_topics = list(offer.organization.topics.all())
        named = [topic for topic in own_topics if _stems(topic.name) & text]
        chosen[offer.pk] = named[:2] or own_topics[:1]
    covered = {topic.pk for topics in chosen.values() for topic in topics}
    covered |= set(Topic.objects.filter(offers__isnull=False).values_list("pk", flat=True))
    for topic in Topic.objects.exclude(pk__in=covered).order_by("position", "pk"):
        # The offer of an organisation with this topic whose words fit it best, else any of that organisation.
        candidates = [offer for offer in offers if topic in offer.organization.topics.all()] or offers
        topic_stems = _stems(topic.name)
        best = max(candidates, key=lambda item: len(topic_stems & _stems(f"{item.title} {item.description}")))
        chosen[best.pk] = [*chosen[best.pk], topic]
    for offer in offers:
        if chosen[offer.pk]:
            services.update_offer(offer, actor=None, topics=chosen[offer.pk])
    return sum(1 for topics in chosen.values() if topics)
