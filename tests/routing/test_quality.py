"""The real model on a small hand-made directory: German word forms, compounds, umlaut spellings, typos,
English, and needs described by product rather than by field. (Not the benchmark's texts.)"""

import pytest

from crosscluster.routing.services import suggest


def first(text, region):
    return suggest(text, region=region, top=3).results[0].organization.slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Compounds the directory spells differently or not at all.
        ("Wir suchen eine Fördermittelberatung für unsere neue Produktionshalle.", "foerderbank"),
        ("Unsere Spritzgussteile verziehen sich, seit wir mehr Rezyklat einsetzen.", "kunststoff-netz"),
        ("Wie gelingt uns die Fachkräftegewinnung aus Vietnam?", "fachkraefte-service"),
        # Umlauts and ß written out, and a typo.
        ("Wer hilft bei der Fachkraeftegewinnung im Ausland?", "fachkraefte-service"),
        ("Wir brauchen Ursprungszeugnise für eine Lieferung nach Marokko.", "aussenhandel"),
        # English.
        ("We need a certificate of origin to export our machines.", "aussenhandel"),
        ("Is a solar installation on our factory roof worth it?", "energieagentur"),
        # The product, not the field.
        ("Wir fertigen Türsysteme für Regionalzüge und suchen neue Kunden.", "bahntechnik"),
        ("Wir entwickeln einen Elektrolyseur und suchen Pilotanwender.", "wasserstoff-netz"),
    ],
)
def test_suggest_finds_the_organisation_for_german_and_english_needs(real_encoder, directory, text, expected):
    assert first(text, directory) == expected


def test_suggest_with_the_real_model_explains_in_german(real_encoder, directory):
    result = suggest("Unsere Spritzgussteile verziehen sich.", region=directory, top=2)

    top = result.results[0]
    assert top.organization.slug == "kunststoff-netz"
    assert 1 <= len(top.reasons) <= 3
    assert any(reason.startswith(("Angebot „", "Thema ", "Ihre Worte: ")) for reason in top.reasons)
    assert result.confident
    assert not result.degraded
