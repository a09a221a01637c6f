"""suggest, evidence, embeddings on save and on import, the version stamp, degraded results (fake encoder)."""

import logging
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import translation

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.services import create_offer, update_organization
from crosscluster.routing import services
from crosscluster.routing.models import Embedding, Evidence, IndexVersion
from crosscluster.routing.services import (
    RoutingError,
    ensure_embeddings,
    forget_evidence,
    get_index,
    record_evidence,
    suggest,
    text_hash,
)
from tests.factories import OrganizationFactory, RegionFactory

from .conftest import FAKE

MINIMAL = Path(__file__).resolve().parents[1] / "directory" / "data" / "minimal.json"


def slugs(result):
    return [item.organization.slug for item in result.results]


def test_suggest_returns_scored_organisations_with_readable_reasons(directory):
    with translation.override("en"):
        result = suggest("Exportdokumente und Ursprungszeugnisse für die Ausfuhr", region=directory, top=3)

    assert slugs(result)[0] == "aussenhandel"
    assert len(result.results) == 3
    assert result.confident
    assert not result.degraded
    scores = [item.score for item in result.results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)
    top = result.results[0]
    assert 1 <= len(top.reasons) <= 3
    assert "Offer “Exportdokumente”" in top.reasons
    for item in result.results:
        assert item.reasons and all(isinstance(reason, str) and reason for reason in item.reasons)


def test_suggest_reasons_are_translated(directory):
    result = suggest("Exportdokumente und Ursprungszeugnisse für die Ausfuhr", region=directory, top=1)

    assert "Angebot „Exportdokumente“" in result.results[0].reasons


def test_suggest_without_a_clear_fit_puts_the_coordination_office_first(directory):
    result = suggest("Können Sie mir sagen, wer bei Ihnen zuständig ist?", region=directory, top=3)

    assert not result.confident
    assert slugs(result)[0] == "koordination"
    assert result.results[0].reasons[0].startswith("Keine Organisation passt eindeutig")


def test_suggest_keeps_to_the_region_and_to_published_organisations(directory):
    other = RegionFactory(slug="sachsen", name="Sachsen")
    OrganizationFactory(region=other, slug="export-sachsen", name="Exportdokumente Sachsen")
    OrganizationFactory(region=directory, slug="export-alt", name="Exportdokumente alt", published=False)

    result = suggest("Exportdokumente", region=directory, top=20)

    assert "export-sachsen" not in slugs(result)
    assert "export-alt" not in slugs(result)
    assert "export-sachsen" in slugs(suggest("Exportdokumente", top=20))


def test_suggest_with_blank_text_returns_nothing(directory):
    assert suggest("   \n ", region=directory).results == []


def test_evidence_changes_the_ranking_and_can_be_forgotten(directory):
    text = "Unsere Kaffeeröstmaschine braucht eine Abluftreinigung"
    before = slugs(suggest(text, region=directory, top=8))
    assert before[0] != "energieagentur"
    energy = Organization.objects.get(slug="energieagentur")

    record_evidence(energy, text, source="inquiry", source_id="17")
    after = suggest(text, region=directory, top=8)

    assert slugs(after)[0] == "energieagentur"
    assert "Ähnliche Anfragen bearbeitet: 1" in after.results[0].reasons
    assert forget_evidence("inquiry", "17") == 1
    assert not Evidence.objects.exists()
    assert slugs(suggest(text, region=directory, top=8)) == before


def test_record_evidence_is_idempotent_per_source_item_and_audited(directory):
    energy = Organization.objects.get(slug="energieagentur")
    bank = Organization.objects.get(slug="foerderbank")

    first = record_evidence(energy, "Abluft der Röstmaschine", source="inquiry", source_id="5")
    again = record_evidence(energy, "Abluft der Röstmaschine", source="inquiry", source_id="5")
    moved = record_evidence(bank, "Abluft der Röstmaschine", source="inquiry", source_id="5")

    assert first.pk == again.pk == moved.pk
    assert Evidence.objects.get().organization == bank
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "routing.evidence.recorded",
        "routing.evidence.updated",
    ]


def test_record_evidence_does_nothing_when_learning_is_off(directory, settings):
    settings.ROUTING_LEARN_FROM_HISTORY = False
    energy = Organization.objects.get(slug="energieagentur")

    assert record_evidence(energy, "Abluft", source="inquiry", source_id="1") is None
    assert not Evidence.objects.exists()


def test_record_evidence_refuses_an_empty_text(directory):
    energy = Organization.objects.get(slug="energieagentur")

    with pytest.raises(RoutingError):
        record_evidence(energy, "  ", source="inquiry", source_id="1")


def test_record_evidence_embeds_in_the_background_after_commit(directory, django_capture_on_commit_callbacks):
    energy = Organization.objects.get(slug="energieagentur")

    with django_capture_on_commit_callbacks(execute=True):
        record_evidence(energy, "Abluft der Röstmaschine", source="inquiry", source_id="9")

    evidence = Evidence.objects.get()
    assert evidence.embedding_model == "fake-trigrams"
    assert len(bytes(evidence.embedding)) == 64 * 4


def test_saving_an_offer_embeds_its_text_through_the_task(directory, django_capture_on_commit_callbacks):
    organization = Organization.objects.get(slug="bahntechnik")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        create_offer(
            organization, actor=None, title="Drehgestellprüfung", description="Prüfstand für Drehgestelle."
        )

    assert len(callbacks) >= 1
    assert Embedding.objects.filter(
        model="fake-trigrams", text_hash=text_hash("Drehgestellprüfung: Prüfstand für Drehgestelle.")
    ).exists()


def test_changing_the_directory_bumps_the_index_version(directory):
    version = services.index_version()

    update_organization(Organization.objects.get(slug="bahntechnik"), actor=None, summary="Neu.")

    assert services.index_version() > version


def test_index_is_rebuilt_when_another_process_bumps_the_version(directory):
    index = get_index()
    assert get_index() is index

    # Another app server changed the directory: only the stored stamp tells this process.
    IndexVersion.objects.filter(pk=1).update(version=F("version") + 1)

    assert get_index() is not index


def test_index_follows_a_renamed_organisation(directory):
    get_index()
    organization = Organization.objects.get(slug="bahntechnik")
    update_organization(organization, actor=None, name="Cluster Schienenverkehr und Seilbahnen")

    assert slugs(suggest("Seilbahnen", region=directory, top=1)) == ["bahntechnik"]


def test_topic_synonyms_route_and_follow_changes(directory):
    """Synonyms are data (Topic.synonyms): a word only a synonym knows finds the topic's organisations."""
    assert "fachkraefte-service" not in slugs(suggest("Azubimarketing", region=directory, top=1))
    topic = Topic.objects.get(slug="fachkraefte")
    topic.synonyms = "Azubimarketing\nEmployer Branding"
    topic.save()

    result = suggest("Azubimarketing", region=directory, top=1)

    assert slugs(result) == ["fachkraefte-service"]
    reasons = result.results[0].reasons
    assert any("Fachkräfte" in reason and "Azubimarketing" not in reason for reason in reasons)


def test_index_keeps_one_vector_per_distinct_text(directory):
    """Texts that recur (a shared topic's name) are stored once in memory and scored for every passage."""
    organization = Organization.objects.get(slug="bahntechnik")
    organization.topics.add(Topic.objects.get(slug="wasserstoff"))

    index = get_index()

    texts = [passage.text for passage in index.passages]
    assert texts.count("Wasserstoff") == 2
    assert len(index.vectors) == len(set(texts))
    encoder = services.get_encoder()
    for passage, row in zip(index.passages, index.vector_rows, strict=True):
        assert np.allclose(index.vectors[row], encoder.encode_passages([passage.text])[0], atol=1e-6)


def test_missing_embeddings_are_computed_when_few(directory):
    assert not Embedding.objects.exists()

    result = suggest("Solaranlage auf dem Dach", region=directory)

    assert not result.degraded
    assert Embedding.objects.filter(model="fake-trigrams").exists()


def test_many_missing_embeddings_degrade_the_result_with_a_warning(directory, settings, caplog):
    settings.ROUTING_SYNC_EMBED_MAX = 0

    with caplog.at_level(logging.WARNING, logger="crosscluster.routing.services"):
        result = suggest("Solaranlage auf dem Dach", region=directory)

    assert result.degraded
    assert result.results  # still ranked, lexically
    assert "embeddings are missing" in caplog.text
    ensure_embeddings()
    assert not suggest("Solaranlage auf dem Dach", region=directory).degraded


def test_ensure_embeddings_computes_each_text_once(directory):
    computed = ensure_embeddings()

    assert computed == Embedding.objects.count() > 0
    assert ensure_embeddings() == 0


def test_import_directory_computes_embeddings_before_returning(db, settings):
    settings.ROUTING_SYNC_EMBED_MAX = 0  # would flag any embedding the import left out

    call_command("import-directory", str(MINIMAL), stdout=None)

    assert Embedding.objects.filter(model="fake-trigrams").count() > 0
    assert not suggest("Sprechstunde").degraded


def test_load_demo_computes_embeddings(db, settings):
    settings.ROUTING_SYNC_EMBED_MAX = 0

    call_command("load-demo", stdout=None)

    assert not suggest("Fördermittel für eine neue Maschine").degraded


def test_encoder_setting_selects_the_encoder(settings):
    settings.ROUTING_ENCODER = FAKE

    assert services.get_encoder().name == "fake-trigrams"


def test_suggest_works_on_an_empty_and_on_a_one_organisation_directory(db):
    region = RegionFactory()
    assert suggest("Solaranlage").results == []
    assert suggest("Solaranlage", region=region).results == []

    OrganizationFactory(region=region, slug="allein", name="Allein", summary="", description="")
    result = suggest("Solaranlage", region=region)

    assert [(item.organization.slug, item.score, item.reasons) for item in result.results] == [
        ("allein", 1.0, ["Profil: Allein"])
    ]
    assert result.confident
