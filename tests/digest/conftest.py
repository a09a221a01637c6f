"""Fixtures of the digest tests: subscribers, two topics, and a notice and an event in each."""

import factory
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from factory.django import DjangoModelFactory

from crosscluster.digest.models import Subscriber
from tests.factories import EventFactory, NoticeFactory, OrganizationFactory, TopicFactory


class SubscriberFactory(DjangoModelFactory):
    """A confirmed subscriber; pass `confirmed_at=None` for one waiting for confirmation."""

    class Meta:
        model = Subscriber
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"leser{n}@firma.example")
    language = "de"
    consent_version = settings.DIGEST_CONSENT_VERSION
    consent_given_at = factory.LazyFunction(timezone.now)
    requested_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def digitalisation(db):
    return TopicFactory(slug="digitalisierung", name="Digitalisierung")


@pytest.fixture
def energy(db):
    return TopicFactory(slug="energie", name="Energie")


@pytest.fixture
def network(region):
    return OrganizationFactory(region=region, slug="digital-netz", name="DigitalNetz Thüringen")


@pytest.fixture
def content(network, digitalisation, energy):
    """One new notice and one coming event per topic."""
    return {
        "digital_notice": NoticeFactory(
            organization=network, title="Förderprogramm Digitalbonus geöffnet", topics=[digitalisation]
        ),
        "energy_notice": NoticeFactory(
            organization=network, title="Energiepreisbremse: neue Fristen", topics=[energy]
        ),
        "digital_event": EventFactory(
            organizers=[network], title="Workshop KI im Mittelstand", topics=[digitalisation]
        ),
        "energy_event": EventFactory(
            organizers=[network], title="Energieeffizienz-Sprechtag", topics=[energy]
        ),
    }
