"""The fit in words ("passt sehr gut") and reasons in the directory's and the company's words (issue 14)."""

import dataclasses
import re

from django.utils import translation

from crosscluster.core.text import STOPWORDS, stem
from crosscluster.routing import services
from crosscluster.routing.services import (
    FIT_THRESHOLDS,
    Fit,
    FitThresholds,
    fit_label,
    fit_of,
    reason_words,
    suggest,
)

NEED = (
    "Wir sind ein Zulieferer aus Gera und brauchen dafür Hilfe: Unsere Spritzgussteile verziehen sich, "
    "seit wir mehr Rezyklat einsetzen. Gibt es ein Labor, das uns dabei berät?"
)


def test_fit_thresholds_are_the_documented_constant():
    assert isinstance(FIT_THRESHOLDS, FitThresholds)
    assert dataclasses.fields(FIT_THRESHOLDS)[0].name == "very_good_margin"
    # The values docs/routing.md names (bench/routing.py --calibrate chose them on the first half).
    assert (FIT_THRESHOLDS.very_good_margin, FIT_THRESHOLDS.good_z) == (1.75, 1.5)


def test_fit_follows_the_thresholds_it_is_given():
    strict = FitThresholds(very_good_margin=2.0, good_z=1.0)

    assert fit_of(3.0, first=True, margin=2.0, confident=True, thresholds=strict) == Fit.VERY_GOOD
    assert fit_of(3.0, first=True, margin=1.9, confident=True, thresholds=strict) == Fit.GOOD
    assert fit_of(3.0, first=False, margin=2.5, confident=True, thresholds=strict) == Fit.GOOD
    assert fit_of(0.9, first=False, margin=2.5, confident=True, thresholds=strict) == Fit.MAYBE
    assert fit_of(3.0, first=True, margin=3.0, confident=False, thresholds=strict) == Fit.MAYBE


def test_suggestions_carry_their_fit_from_the_configured_thresholds(directory, monkeypatch):
    monkeypatch.setattr(services, "FIT_THRESHOLDS", FitThresholds(very_good_margin=0.0, good_z=-99.0))
    result = suggest("Exportdokumente und Ursprungszeugnisse für die Ausfuhr", region=directory, top=3)

    assert [item.fit for item in result.results] == [Fit.VERY_GOOD, Fit.GOOD, Fit.GOOD]

    monkeypatch.setattr(services, "FIT_THRESHOLDS", FitThresholds(very_good_margin=99.0, good_z=99.0))
    result = suggest("Exportdokumente und Ursprungszeugnisse für die Ausfuhr", region=directory, top=3)

    assert {item.fit for item in result.results} == {Fit.MAYBE}


def test_fit_labels_are_words_in_both_languages():
    assert fit_label(Fit.VERY_GOOD) == "passt sehr gut"
    assert fit_label(Fit.MAYBE) == "passt vielleicht"
    with translation.override("en"):
        assert fit_label(Fit.GOOD) == "fits well"
    assert fit_label(None) == fit_label("unknown") == ""


def test_reason_words_are_the_companys_nouns_as_written():
    terms = ["spritzgussteile", "rezyklat", "dafür", "gera", "labor", "brauchen", "verziehen", "einsetzen"]

    assert reason_words(NEED, terms) == ["Spritzgussteile", "Rezyklat", "Gera"]
    assert reason_words(NEED, ["dafür", "dabei", "verziehen", "labor"]) == ["Labor"]


def test_reason_words_of_a_text_without_capitals_drop_only_function_words():
    text = "brauchen ein ursprungszeugnis für ägypten, wo bekomm ich das schon mal her?"

    assert reason_words(text, ["ursprungszeugnis", "ägypten", "schon", "bekomm", "dafür"]) == [
        "ursprungszeugnis",
        "ägypten",
        "bekomm",
    ]


def test_reasons_of_a_sample_inquiry_contain_no_stopwords_or_stems(directory):
    result = suggest(NEED, region=directory, top=3)

    top = result.results[0]
    assert "kunststoff-netz" in [item.organization.slug for item in result.results]
    assert any(reason.startswith("Angebot „") for reason in top.reasons)
    own = [reason for item in result.results for reason in item.reasons if reason.startswith("Ihre Worte: ")]
    assert own
    written = set(re.findall(r"[^\W\d_]+", NEED))
    for reason in own:
        for word in reason.removeprefix("Ihre Worte: ").split(", "):
            assert word in written  # as the company wrote it, case included: never a stem
            assert word.casefold() not in STOPWORDS
            assert word.casefold() not in {"dafür", "dabei", "brauchen", "hilfe"}
            assert word == word.capitalize()  # a German text: its nouns
    assert stem("spritzgussteile") not in " ".join(top.reasons)
