"""The search service: word forms, compounds, typos, synonyms, grouping, and only published content."""

import datetime as dt

import pytest
from django.utils import timezone

from crosscluster.core.signals import events_changed, texts_changed
from crosscluster.core.text import looks_like_need
from crosscluster.events.models import Event
from crosscluster.search import services
from crosscluster.search.models import Document
from tests.factories import EventFactory

from .conftest import organization, titles

pytestmark = pytest.mark.django_db


def group(result, kind):
    return next(group for group in result.groups if group.kind == kind)


def test_search_groups_every_kind_in_order_with_counts(world):
    result = services.search("Fördermittel")
    assert [g.kind for g in result.groups] == ["organization", "offer", "event", "notice", "cooperation"]
    assert [g.count for g in result.groups] == [1, 1, 2, 1, 0]
    assert titles(result, "organization") == ["Digitalagentur Thüringen"]
    assert titles(result, "offer") == ["Fördermittelberatung"]
    assert titles(result, "notice") == ["Neue Fördermittel für die Digitalisierung"]


def test_search_lists_upcoming_events_soonest_first(world):
    result = services.search("Fördermittel")
    assert titles(result, "event") == [
        "Workshop Fördermittel für die Digitalisierung",
        "Fördermittel-Sprechstunde",
    ]


def test_search_lists_past_events_only_on_request_after_the_upcoming_ones_latest_first(world):
    result = services.search("Fördermittel", past=True)
    assert titles(result, "event") == [
        "Workshop Fördermittel für die Digitalisierung",
        "Fördermittel-Sprechstunde",
        "Rückblick Fördermittel",
        "Alte Fördermittel-Messe",
    ]


def test_search_never_shows_unpublished_hidden_removed_expired_or_future_content(world):
    result = services.search("Fördermittel")
    shown = {title for g in result.groups for title in titles(result, g.kind)}
    for forbidden in [
        "Geheimnetz Fördermittel",
        "Geheime Fördermittelberatung",
        "Fördermittel intern",
        "Fördermittel im Geheimnetz",
        "Fördermittel entfernt",
        "Fördermittel Entwurf",
        "Abgelaufene Fördermittel",
        "Künftige Fördermittel",
        "Fördermittel geheim",
    ]:
        assert forbidden not in shown


def test_search_understands_word_forms(world):
    # `Förderung` (stem `forder`) finds `Fördermittel` and `Förderprogrammen`.
    result = services.search("Förderung")
    assert titles(result, "offer") == ["Fördermittelberatung"]
    assert group(result, "event").count == 2


def test_search_finds_parts_of_compounds(world):
    # `Beratung` is the back of `Fördermittelberatung`.
    assert titles(services.search("Beratung"), "offer") == ["Fördermittelberatung"]


def test_search_needs_every_word_of_a_short_query(world):
    result = services.search("Fördermittel Bilderkennung")
    assert result.total == 0


def test_search_ranks_title_matches_first(world):
    # Both organisations mention intelligence; the one with it in its name comes first.
    organization(
        region=world["region"],
        slug="ki-freunde",
        name="Freundeskreis Technik",
        summary="Wir sprechen auch über künstliche Intelligenz.",
    )
    assert titles(services.search("Intelligenz"), "organization")[0] == "Labor für Künstliche Intelligenz"


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("Fördermitel", "Fördermittel"), ("Digitalisirung", "Digitalisierung")],
)
def test_search_tolerates_typos_and_suggests_the_known_word(world, typed, suggestion):
    result = services.search(typed)
    assert result.total > 0
    assert result.suggestion == suggestion
    assert result.corrections == [(typed, suggestion)]


def test_search_finds_compounds_of_the_corrected_word(world):
    # No offer has the word `Fördermittel` itself; the corrected stem is part of `Fördermittelberatung`.
    result = services.search("Fördermitel")
    assert titles(result, "offer") == ["Fördermittelberatung"]
    assert titles(result, "organization") == ["Digitalagentur Thüringen"]


def test_search_keeps_the_other_words_in_a_suggestion(world):
    result = services.search("Workshop Fördermitel")
    assert result.suggestion == "Workshop Fördermittel"
    assert titles(result, "event") == ["Workshop Fördermittel für die Digitalisierung"]


def test_search_does_not_correct_words_it_knows(world):
    result = services.search("Fördermittel")
    assert result.suggestion == ""
    assert result.corrections == []


def test_search_finds_nothing_for_gibberish(world):
    result = services.search("Xylophonquartett")
    assert result.total == 0
    assert result.suggestion == ""


@pytest.mark.parametrize("query", ["KI", "Maschinelles Lernen"])
def test_search_expands_topic_synonyms(world, query):
    assert titles(services.search(query), "organization") == ["Labor für Künstliche Intelligenz"]


def test_search_expands_a_synonym_to_the_topic_name(world):
    result = services.search("Digitalisation")
    assert "Digitalagentur Thüringen" in titles(result, "organization")
    assert group(result, "notice").count == 1


def test_search_refuses_a_query_that_is_too_long(world):
    with pytest.raises(services.SearchError):
        services.search("Förder " * 40)


def test_search_of_stopwords_only_finds_nothing(world):
    result = services.search("und die der")
    assert result.groups == []
    assert result.total == 0


def test_search_pages_one_kind(world):
    first = services.search("Fördermittel", kinds=["event"], per_group=2, past=True)
    second = services.search("Fördermittel", kinds=["event"], per_group=2, offset=2, past=True)
    beyond = services.search("Fördermittel", kinds=["event"], per_group=2, offset=10, past=True)
    assert [g.kind for g in first.groups] == ["event"]
    assert first.groups[0].count == second.groups[0].count == beyond.groups[0].count == 4
    assert len(first.groups[0].items) == 2
    assert titles(second, "event") == ["Rückblick Fördermittel", "Alte Fördermittel-Messe"]
    assert beyond.groups[0].items == []


# --- Freshness: documents written in the transaction of the change ----------------------------------------


def test_a_change_is_searchable_at_once_without_any_process_state(world):
    assert services.search("Wasserstoff").total == 0
    EventFactory(title="Wasserstofftag", organizers=[world["agency"]])
    assert titles(services.search("Wasserstoff"), "event") == ["Wasserstofftag"]


def test_bulk_paths_write_documents_by_announcing_the_change(world):
    now = timezone.now()
    [event] = Event.objects.bulk_create(
        [
            Event(
                title="Wasserstofftag",
                start=now + dt.timedelta(days=3),
                end=now + dt.timedelta(days=3, hours=2),
            )
        ]
    )
    event.organizers.set([world["agency"]])
    assert services.search("Wasserstoff").total == 0  # written past the services, not announced yet
    texts_changed.send(sender=Event, ids=[event.pk])
    events_changed.send(sender=Event, ids=[event.pk])  # its `listed` flag: what the public search may show
    assert titles(services.search("Wasserstoff"), "event") == ["Wasserstofftag"]


def test_documents_are_rolled_back_with_the_change(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        EventFactory(title="Wasserstofftag", organizers=[world["agency"]])
        assert Document.objects.filter(kind="event", title__contains="wasserstofftag").exists()
        raise RuntimeError
    assert not Document.objects.filter(kind="event", title__contains="wasserstofftag").exists()


def test_search_follows_unpublishing_an_organisation_without_rewriting_documents(world):
    assert services.search("Bilderkennung").total == 2  # the organisation and its offer
    world["lab"].published = False
    world["lab"].save()
    assert services.search("Bilderkennung").total == 0


def test_events_leave_the_results_when_they_are_over(world, time_machine):
    assert group(services.search("Fördermittel"), "event").count == 2
    time_machine.move_to(timezone.now() + dt.timedelta(days=40), tick=False)
    assert group(services.search("Fördermittel"), "event").count == 0
    assert group(services.search("Fördermittel", past=True), "event").count == 4


# --- Needs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "need"),
    [
        ("Fördermittel", False),
        ("Fördermittel Digitalisierung", False),
        ("wir suchen Fördermittel für die Digitalisierung", True),
        ("we need help with export", True),
        ("Wer kann unsere Maschinen mit Sensoren nachrüsten und die Daten auswerten", True),
    ],
)
def test_looks_like_need(query, need):
    assert looks_like_need(query) is need


def test_search_of_a_need_finds_by_most_words(world):
    result = services.search("wir suchen Fördermittel für die Digitalisierung unserer Fertigung")
    assert result.need is True
    assert "Fördermittelberatung" in titles(result, "offer")


def test_a_bulk_block_announces_its_changes_once_at_its_end(world):
    from crosscluster.core.signals import texts_changed_once
    from crosscluster.directory.search import refresh_search_text

    agency = world["agency"]
    agency.name = "Wasserstoffagentur"
    agency.save()
    with texts_changed_once():
        refresh_search_text(agency)
        assert services.search("Wasserstoffagentur").total == 0  # collected, not written yet
    assert titles(services.search("Wasserstoffagentur"), "organization") == ["Wasserstoffagentur"]
