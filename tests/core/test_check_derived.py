"""`crosscluster check-derived`: every owner compares its stored derived data with the definition, repairs
and reports drift; --dry-run only reports; locked and once a day like the other periodic jobs."""

import io

import pytest
from django.core.management import call_command

from crosscluster.core.models import PeriodicLock
from crosscluster.directory.search import refresh_search_text
from crosscluster.events.models import Event
from crosscluster.routing.models import Embedding
from crosscluster.routing.services import ensure_embeddings
from crosscluster.search.models import Document
from tests.factories import EventFactory, NoticeFactory, OfferFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_encoder(settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"


@pytest.fixture
def content():
    organization = OrganizationFactory()
    OfferFactory(organization=organization)
    refresh_search_text(organization)  # as the directory's services do after each change (no factory does)
    event = EventFactory(organizers=[organization])
    NoticeFactory(organization=organization)
    ensure_embeddings()
    return organization, event


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("check-derived", "--force", *args, stdout=out)
    return out.getvalue()


def test_check_derived_finds_no_drift_after_the_services(content):
    output = run()

    assert "Event.listed: 1 checked, 0 differ, 0 repaired" in output
    assert "search: Document: 3 checked, 0 differ, 0 repaired" in output  # organisation, event, notice
    assert "routing: Embedding: 4 checked, 0 differ, 0 repaired; 0 vector(s) of unused texts pruned" in output
    assert output.startswith("check-derived: 0 drift(s) found")
    assert PeriodicLock.objects.get(name="check-derived").last_run_at is not None


def test_check_derived_repairs_flags_documents_and_embeddings_written_past_the_owners(content):
    _organization, event = content
    Event.objects.filter(pk=event.pk).update(listed=False)
    Document.objects.filter(kind="event", object_id=event.pk).update(title="veraltet")
    Document.objects.filter(kind="offer").delete()
    Document.objects.create(kind="event", object_id=event.pk + 1000, title="weg")
    Embedding.objects.create(model="fake-trigrams", text_hash="0" * 64, dim=64, vector=b"")

    dry = run("--dry-run")

    assert "Event.listed: 1 checked, 1 differ (e.g. event" in dry
    assert "search: Document: 3 checked, 3 differ (e.g." in dry  # the event, the offer, the orphan
    assert "routing: Embedding: 4 checked, 0 differ; 1 vector(s) of unused texts" in dry
    assert dry.startswith("check-derived: dry run: 4 drift(s) found")
    assert not Event.objects.get(pk=event.pk).listed  # nothing repaired

    output = run()

    assert "Event.listed: 1 checked, 1 differ, 1 repaired" in output
    assert "search: Document: 3 checked, 3 differ, 3 repaired" in output
    assert Event.objects.get(pk=event.pk).listed
    assert Document.objects.get(kind="event", object_id=event.pk).title != "veraltet"
    assert Document.objects.filter(kind="offer").exists()
    assert not Document.objects.filter(object_id=event.pk + 1000).exists()
    assert "1 vector(s) of unused texts pruned" in output
    assert not Embedding.objects.filter(text_hash="0" * 64).exists()  # prune_embeddings, wired here
    assert run().startswith("check-derived: 0 drift(s) found")


def test_check_derived_runs_once_a_day_and_not_beside_itself(content):
    from django.utils import timezone

    PeriodicLock.objects.create(name="check-derived", last_run_at=timezone.now())
    out = io.StringIO()
    call_command("check-derived", stdout=out)
    assert "not due" in out.getvalue()

    PeriodicLock.objects.filter(name="check-derived").update(
        last_run_at=None, locked_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert "another run is active; skipped" in run()


def test_renaming_a_topic_or_an_organisation_rewrites_the_documents_that_name_it(coordinator):
    """Through the services as through the admin: the drift `update_topic` once had (only the admin's
    save refreshed the search texts) is gone, and check-derived finds nothing to repair."""
    from crosscluster.directory.services import update_organization, update_topic
    from tests.documents import document_text
    from tests.factories import TopicFactory

    topic = TopicFactory(name="Energie")
    organization = OrganizationFactory(name="Netzwerk Alt", topics=[topic])
    event = EventFactory(organizers=[organization], topics=[topic])
    notice = NoticeFactory(organization=organization, topics=[topic])
    ensure_embeddings()

    update_topic(topic, actor=coordinator, name="Wasserstoffwirtschaft")
    update_organization(organization, actor=coordinator, name="Netzwerk Neu")

    for obj in (organization, event, notice):
        assert "wasserstoffwirtschaft" in document_text(obj).casefold()
    assert "neu" in document_text(event) and "neu" in document_text(notice)
    ensure_embeddings()  # the embedding task's work after the commit
    assert run("--dry-run").startswith("check-derived: dry run: 0 drift(s) found")
