"""The matching engine of the Kooperationsbörse: complementary kinds, the counterpart first, "no good match",
reasons, a pool built once and queried with stored vectors. Hand-made profiles (not the benchmark's)."""

import numpy as np
import pytest
from django.utils import translation

from crosscluster.cooperation import matching
from crosscluster.cooperation.matching import (
    BUSINESS_OFFER,
    BUSINESS_REQUEST,
    KINDS,
    RESEARCH_PARTNER,
    TECHNOLOGY_OFFER,
    TECHNOLOGY_REQUEST,
    Pool,
    ProfileText,
    complements,
    match_batch,
)
from tests.routing.conftest import FakeEncoder, RealEncoder

P = ProfileText

# Two clear pairs, one profile of each other kind, and a request nothing in the pool answers.
PROFILES = [
    P(
        "req-moulding",
        TECHNOLOGY_REQUEST,
        "Spritzgießer sucht Simulation gegen Verzug an Gehäusen aus Polyamid",
        "Unsere Gehäuse aus glasfaserverstärktem Polyamid verziehen sich nach dem Spritzgießen. Wir suchen "
        "eine Füllsimulation und Beratung zur Werkzeugtemperierung, um den Verzug zu verringern.",
    ),
    P(
        "offer-moulding",
        TECHNOLOGY_OFFER,
        "Füllsimulation und Verzugsanalyse für Spritzgießwerkzeuge",
        "Wir simulieren Füllung, Nachdruck und Verzug von Spritzgussteilen aus Polyamid und anderen "
        "glasfaserverstärkten Kunststoffen und legen die Werkzeugtemperierung aus.",
    ),
    P(
        "req-logistics",
        BUSINESS_REQUEST,
        "Onlinehändler sucht Lagerlogistik mit Versand und Retouren",
        "Für unseren Onlineshop mit Gartenmöbeln suchen wir einen Logistikpartner für Lagerhaltung, "
        "Kommissionierung, Versand und die Bearbeitung von Retouren.",
    ),
    P(
        "offer-logistics",
        BUSINESS_OFFER,
        "Fulfilment für Onlinehändler: Lager, Versand, Retouren",
        "Unser Logistikzentrum übernimmt für Onlinehändler die Lagerhaltung, Kommissionierung, den Versand "
        "und die Bearbeitung von Retouren, auch für sperrige Gartenmöbel.",
    ),
    P(
        "offer-bakery",
        BUSINESS_OFFER,
        "Großbäckerei bietet Lohnbacken von Brot und Brötchen",
        "Wir backen Brot, Brötchen und Feingebäck im Auftrag für Handelsketten und Gastronomie.",
    ),
    P(
        "req-accounting",
        TECHNOLOGY_REQUEST,
        "Steuerkanzlei sucht Software für Belegerfassung",
        "Wir suchen eine Software, die Rechnungen und Belege automatisch erfasst und an die Buchhaltung "
        "übergibt.",
    ),
    P(
        "research-hydrogen",
        RESEARCH_PARTNER,
        "Konsortium sucht Partner für Wasserstoffbrenner in der Keramikindustrie",
        "Für ein Förderprojekt zur Umstellung von Brennöfen auf Wasserstoff suchen wir einen Hersteller "
        "von Brennern und einen Anwender aus der Keramikindustrie.",
    ),
]


@pytest.fixture(autouse=True)
def fake_encoder(settings):
    """A deterministic, instant encoder (hashed character trigrams); language tests use the real one."""
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"


def by_id(proposals):
    return {proposal.id: proposal for proposal in proposals}


def test_complements_pair_offers_with_requests_of_the_same_nature_both_ways():
    assert set(complements(TECHNOLOGY_REQUEST)) == {TECHNOLOGY_OFFER}
    assert set(complements(BUSINESS_REQUEST)) == {BUSINESS_OFFER}
    assert set(complements(RESEARCH_PARTNER)) == {RESEARCH_PARTNER, TECHNOLOGY_OFFER}
    assert set(complements(TECHNOLOGY_OFFER)) == {TECHNOLOGY_REQUEST, RESEARCH_PARTNER}
    for kind in KINDS:
        for other in complements(kind):
            assert kind in complements(other)
    assert complements("unknown") == ()


def test_match_batch_proposes_only_complementary_kinds_and_never_the_profile_itself():
    kinds = {profile.id: profile.kind for profile in PROFILES}
    proposals = match_batch(PROFILES, top=10)
    assert [proposal.id for proposal in proposals] == [profile.id for profile in PROFILES]
    for proposal in proposals:
        proposed = [match.profile for match in proposal.matches]
        assert proposal.id not in proposed
        assert all(kinds[other] in complements(kinds[proposal.id]) for other in proposed)
    # A business offer is never proposed to a technology request, whatever the words.
    assert "offer-bakery" not in [m.profile for m in by_id(proposals)["req-accounting"].matches]


def test_match_batch_puts_the_counterpart_first_both_ways():
    proposals = by_id(match_batch(PROFILES))
    assert proposals["req-moulding"].matches[0].profile == "offer-moulding"
    assert proposals["offer-moulding"].matches[0].profile == "req-moulding"
    assert proposals["req-logistics"].matches[0].profile == "offer-logistics"
    assert proposals["offer-logistics"].matches[0].profile == "req-logistics"
    first = proposals["req-moulding"].matches[0]
    assert 0.0 <= first.score <= 1.0
    assert [m.score for m in proposals["offer-moulding"].matches] == sorted(
        (m.score for m in proposals["offer-moulding"].matches), reverse=True
    )


def test_match_batch_says_no_good_match_when_nothing_fits():
    proposals = by_id(match_batch(PROFILES))
    # Nothing in the pool offers accounting software: weak candidates only, flagged.
    assert proposals["req-accounting"].no_good_match is True
    assert all(match.score < matching.GOOD_SCORE for match in proposals["req-accounting"].matches)
    assert proposals["req-moulding"].no_good_match is False
    assert proposals["req-moulding"].matches[0].score >= matching.GOOD_SCORE


def test_match_batch_without_candidates_has_no_matches():
    alone = [PROFILES[0], PROFILES[2]]  # a technology request and a business request: nothing to pair
    proposals = match_batch(alone)
    assert [(p.id, p.matches, p.no_good_match) for p in proposals] == [
        ("req-moulding", (), True),
        ("req-logistics", (), True),
    ]
    assert match_batch([]) == []


def test_reasons_say_what_the_other_side_offers_and_the_shared_words():
    with translation.override("en"):
        proposals = by_id(match_batch(PROFILES))
    reasons = proposals["req-moulding"].matches[0].reasons
    assert reasons[0] == "Offers: Füllsimulation und Verzugsanalyse für Spritzgießwerkzeuge"
    assert reasons[1].startswith("Shared terms: ")
    shared = reasons[1].removeprefix("Shared terms: ").split(", ")
    assert "Verzug" in shared
    assert all(word[0].isupper() for word in shared)  # nouns of the German text, not verbs or stems
    assert 1 <= len(reasons) <= 3
    back = proposals["offer-moulding"].matches[0].reasons
    assert back[0] == "Seeks: Spritzgießer sucht Simulation gegen Verzug an Gehäusen aus Polyamid"


def test_reasons_of_a_technology_offer_for_a_consortium_name_the_role():
    offer = P(
        "offer-burner",
        TECHNOLOGY_OFFER,
        "Wasserstoffbrenner für Brennöfen",
        "Unsere Brenner für Brennöfen arbeiten mit Erdgas und bis zu 100 % Wasserstoff.",
    )
    with translation.override("en"):
        proposals = by_id(match_batch([*PROFILES, offer]))
    first = proposals["research-hydrogen"].matches[0]
    assert first.profile == "offer-burner"
    assert "Could fill a role the consortium seeks" in first.reasons


def test_pool_matches_a_new_profile_with_its_stored_vector_without_the_encoder():
    encoder = FakeEncoder()
    vectors = encoder.encode_passages([matching.profile_document(p) for p in PROFILES])

    class Refusing:
        name, dim = encoder.name, encoder.dim

        def encode_passages(self, texts):
            raise AssertionError("the pool was given every vector")

        encode_queries = encode_passages

    pool = Pool(PROFILES, vectors, encoder=Refusing())
    new = P(
        "new",
        TECHNOLOGY_REQUEST,
        "Verzug an Polyamid-Gehäusen",
        "Wir suchen eine Simulation des Verzugs beim Spritzgießen.",
    )
    proposal = pool.match(new, top=2, vector=encoder.encode_passages([matching.profile_document(new)])[0])
    assert proposal.id == "new"
    assert [m.profile for m in proposal.matches] == ["offer-moulding"]  # the one technology offer
    assert "Spritzgießen" in proposal.matches[0].reasons[1]  # as written, not case-folded
    # The pool's own profile, matched by the pool, is the batch's answer.
    assert pool.match(PROFILES[0]) == by_id(match_batch(PROFILES, vectors=vectors))["req-moulding"]


def test_pool_computes_missing_vectors_and_rejects_a_wrong_count():
    encoder = FakeEncoder()
    vectors = encoder.encode_passages([matching.profile_document(p) for p in PROFILES])
    vectors[1] = np.nan  # not yet computed: the pool embeds it
    assert (
        by_id(match_batch(PROFILES, vectors=vectors))["req-moulding"].matches[0].profile == "offer-moulding"
    )
    with pytest.raises(ValueError, match="6 vectors for 7 profiles"):
        Pool(PROFILES, vectors[:6])


def test_match_batch_pairs_a_german_request_with_an_english_offer(settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.RealEncoder"
    english = P(
        "offer-en",
        BUSINESS_OFFER,
        "Fulfilment centre offers warehousing, shipping and returns for online shops",
        "Our warehouse stores goods of online retailers, picks and ships orders across Europe and handles "
        "customer returns, including bulky garden furniture.",
        "en",
    )
    pool = [p for p in PROFILES if p.id != "offer-logistics"] + [english]
    with translation.override("en"):
        proposals = by_id(match_batch(pool, encoder=RealEncoder()))
    first = proposals["req-logistics"].matches[0]
    assert first.profile == "offer-en"
    assert "Similar subject; the profile is written in English" in first.reasons
    assert proposals["offer-en"].matches[0].profile == "req-logistics"
    # A pool of seven is centred on typical profiles' language means: the pairs are clear fits, and the
    # request for accounting software (no such offer) gets none.
    assert proposals["req-logistics"].no_good_match is False
    assert proposals["req-moulding"].matches[0].profile == "offer-moulding"
    assert proposals["req-moulding"].no_good_match is False
    assert proposals["req-accounting"].no_good_match is True


def test_embed_profiles_cuts_long_profiles_to_whole_words_within_the_token_budget():
    seen = []

    class Counting(FakeEncoder):
        def token_count(self, text):
            return len(text.split())

        def encode_passages(self, texts):
            seen.extend(texts)
            return super().encode_passages(texts)

    long = P("long", TECHNOLOGY_OFFER, "Titel", " ".join(f"wort{i}" for i in range(400)))
    short = PROFILES[1]
    vectors = matching.embed_profiles([long, short], Counting())
    assert vectors.shape == (2, FakeEncoder.dim)
    assert seen[0].split() == ["Titel.", *(f"wort{i}" for i in range(matching.MAX_TOKENS - 1))]
    assert seen[1] == matching.profile_document(short)


def test_match_texts_ranks_coming_events_for_a_profile_with_reasons():
    events = [
        matching.TextItem("e-bakery", "Backtag", "Brot und Brötchen backen für Handelsketten."),
        matching.TextItem(
            "e-moulding",
            "Praxistag Spritzgießen",
            "Verzug an Gehäusen aus Polyamid vermeiden: Simulation und Werkzeugtemperierung.",
        ),
        matching.TextItem("e-tax", "Steuerforum", "Neues zur Umsatzsteuer für Kanzleien."),
    ]
    with translation.override("en"):
        found = matching.match_texts(PROFILES[0], events, top=2, min_score=0.0)
    assert found[0].profile == "e-moulding"
    assert found[0].reasons[0].startswith("Shared terms: ")
    assert "Verzug" in found[0].reasons[0]
    assert matching.match_texts(PROFILES[0], [], top=2) == []
    # Only clear fits by default: a bakery's day is never proposed for moulding.
    assert "e-bakery" not in [m.profile for m in matching.match_texts(PROFILES[0], events)]


def test_stored_vectors_embed_each_profile_once_in_routings_store(db):
    from crosscluster.routing.models import Embedding

    first = matching.stored_vectors(PROFILES, encoder=FakeEncoder())
    assert Embedding.objects.filter(model=FakeEncoder.name).count() == len(PROFILES)

    class Refusing(FakeEncoder):
        def encode_passages(self, texts):
            raise AssertionError("every vector is stored")

    again = matching.stored_vectors(PROFILES, encoder=Refusing())
    np.testing.assert_allclose(again, first)
    np.testing.assert_allclose(
        first, FakeEncoder().encode_passages([matching.profile_document(p) for p in PROFILES])
    )
    changed = [*PROFILES[:-1], P(PROFILES[-1].id, RESEARCH_PARTNER, "Neuer Titel", "Neuer Text.")]
    matching.stored_vectors(changed, encoder=FakeEncoder())
    assert Embedding.objects.filter(model=FakeEncoder.name).count() == len(PROFILES) + 1


def test_match_organizations_asks_the_routing_engine_about_the_profiles_text(db, settings):
    from crosscluster.routing import services
    from tests.factories import OfferFactory, OrganizationFactory

    settings.ROUTING_SYNC_EMBED_MAX = 1000
    plastics = OrganizationFactory(
        name="Kunststoff-Netzwerk",
        summary="Netzwerk der Spritzgießer.",
        description="Wir beraten Spritzgießer bei Verzug, Werkzeugtemperierung und Polyamid.",
    )
    OfferFactory(organization=plastics, title="Verzugsberatung", description="Simulation gegen Verzug.")
    bakery = OrganizationFactory(
        name="Bäckerinnung", summary="Innung der Bäcker.", description="Brot, Brötchen und Ausbildung."
    )
    OfferFactory(organization=bakery, title="Ausbildung", description="Lehrstellen im Bäckerhandwerk.")
    services.clear_index_cache()
    try:
        with translation.override("en"):
            result = matching.match_organizations(PROFILES[0], top=2)
    finally:
        services.clear_index_cache()
    assert [item.organization for item in result.results] == [plastics, bakery]
    assert result.results[0].reasons
