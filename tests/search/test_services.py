"""The search service: word forms, compounds, typos, synonyms, grouping, and only published content."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from crosscluster.events.models import Event
from crosscluster.search import services
from crosscluster.search.index import Clause, match
from crosscluster.search.query import looks_like_need
from tests.factories import EventFactory

from .conftest import organization, titles

pytestmark = pytest.mark.django_db


def group(result, kind):
    return next(group for group in result.groups if group.kind == kind)


def test_search_groups_every_kind_in_order_with_counts(world):
    result = services.search("Fördermittel")
    assert [g.kind for g in result.groups] == ["organization", "offer", "event", "notice"]
    assert [g.count for g in result.groups] == [1, 1, 3, 1]
    assert titles(result, "organization") == ["Digitalagentur Thüringen"]
    assert titles(result, "offer") == ["Fördermittelberatung"]
    assert titles(result, "notice") == ["Neue Fördermittel für die Digitalisierung"]


def test_search_lists_upcoming_events_soonest_first_then_recent_past_ones(world):
    result = services.search("Fördermittel")
    assert titles(result, "event") == [
        "Workshop Fördermittel für die Digitalisierung",
        "Fördermittel-Sprechstunde",
        "Rückblick Fördermittel",
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
        "Alte Fördermittel-Messe",
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
    assert group(result, "event").count == 3


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
    first = services.search("Fördermittel", kinds=["event"], per_group=2)
    second = services.search("Fördermittel", kinds=["event"], per_group=2, offset=2)
    assert [g.kind for g in first.groups] == ["event"]
    assert first.groups[0].count == second.groups[0].count == 3
    assert len(first.groups[0].items) == 2
    assert titles(second, "event") == ["Rückblick Fördermittel"]


# --- Freshness -------------------------------------------------------------------------------------------


def test_index_notices_events_stored_in_bulk_without_signals(world):
    assert services.search("Wasserstoff").total == 0
    now = timezone.now()
    [event] = Event.objects.bulk_create(
        [
            Event(
                title="Wasserstofftag",
                start=now + dt.timedelta(days=3),
                end=now + dt.timedelta(days=3, hours=2),
                search_text="wasserstofftag",
            )
        ]
    )
    event.organizers.set([world["agency"]])
    assert titles(services.search("Wasserstoff"), "event") == ["Wasserstofftag"]


def test_index_follows_unpublishing_an_organisation(world):
    assert services.search("Bilderkennung").total == 2  # the organisation and its offer
    world["lab"].published = False
    world["lab"].save()
    assert services.search("Bilderkennung").total == 0


def test_index_is_not_rebuilt_within_the_check_interval(world, settings, django_assert_num_queries):
    settings.SEARCH_CHECK_SECONDS = 3600
    services.search("Fördermittel")
    EventFactory(title="Wasserstofftag", organizers=[world["agency"]])
    with django_assert_num_queries(0):
        result = services.search("Wasserstoff")
    assert result.total == 0
    services.clear_index_cache()
    assert services.search("Wasserstoff").total == 1


def test_index_rebuilds_in_the_background_and_serves_the_old_one_meanwhile(world, settings, monkeypatch):
    settings.SEARCH_REBUILD_IN_BACKGROUND = True
    started = []

    class Deferred:
        """Records the rebuild instead of running it, so the test sees what searches get meanwhile."""

        def __init__(self, target, args, **kwargs):
            self.run = lambda: target(*args)

        def start(self):
            started.append(self)

    monkeypatch.setattr(services.threading, "Thread", Deferred)
    old = services.get_index()  # the first one is built at once
    EventFactory(title="Wasserstofftag", organizers=[world["agency"]])
    assert services.search("Wasserstoff").total == 0  # the old index, while the new one is built
    assert services.search("Wasserstoff").total == 0
    assert len(started) == 1  # one rebuild at a time
    with mock.patch.object(services.connections, "close_all"):  # keep the test's connection
        started[0].run()
    assert services.get_index() is not old
    assert titles(services.search("Wasserstoff"), "event") == ["Wasserstofftag"]


def test_events_leave_the_results_by_time_alone(world, settings):
    settings.SEARCH_CHECK_SECONDS = 3600
    segment = services.get_index().segments["event"]
    clauses = [Clause(words=("Fördermittel",), alternatives=[("fordermittel",)])]
    assert match(segment, clauses, timezone.now().timestamp()).count == 3
    # 25 days on, the event of ten days ago has been over for 35 days: no longer found, without a rebuild.
    later = timezone.now() + dt.timedelta(days=25)
    assert match(segment, clauses, later.timestamp()).count == 2


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
