"""The demo content of `make run` shows the product: offers with topics, notices with an urgent one."""

import io

import pytest
from django.core.management import call_command

from crosscluster.directory import queries
from crosscluster.directory.models import Offer, Topic
from crosscluster.news.access import pinned_notices, public_notices


@pytest.fixture
def demo(db, settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"  # the embeddings are not the point
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    return out.getvalue()


def test_load_demo_gives_every_topic_offers(demo):
    assert "offers given topics" in demo
    assert not Offer.objects.filter(topics__isnull=True).exists()
    counts = {topic.slug: topic.offer_count for topic in queries.topics_with_counts()}
    assert counts.keys() == set(Topic.objects.values_list("slug", flat=True))
    assert all(count > 0 for count in counts.values()), counts


def test_load_demo_offer_topics_are_the_organisations_or_named_by_the_offer(demo):
    offer = Offer.objects.get(title="Technologieberatung Fertigung")
    assert set(offer.topics.all()) <= set(offer.organization.topics.all())


def test_load_demo_enters_notices_with_one_urgent(demo, client):
    assert public_notices().count() >= 4
    (urgent,) = pinned_notices()
    assert urgent.organization is None  # the coordination office's
    assert urgent.title in client.get("/").content.decode()
    assert "0 Hinweise" not in client.get("/hinweise/").content.decode()


def test_load_demo_twice_changes_nothing(demo):
    offers = {offer.pk: {topic.pk for topic in offer.topics.all()} for offer in Offer.objects.all()}
    call_command("load-demo", stdout=io.StringIO())
    assert offers == {offer.pk: {topic.pk for topic in offer.topics.all()} for offer in Offer.objects.all()}
