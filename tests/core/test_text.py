"""Text analysis of the lexical ranker: umlaut spellings, stems, compound parts, cleaning, sentences."""

from crosscluster.core.text import Analyzer, clean_query, fold, sentences, words


def test_fold_spells_out_umlauts_and_sharp_s():
    assert fold("Außenwirtschaft und Förderung") == fold("aussenwirtschaft und foerderung")


def test_words_drop_function_words_and_keep_hyphenated_parts():
    assert words("Wir suchen eine PV-Anlage für das Dach") == ["suchen", "pv-anlage", "pv", "anlage", "dach"]


def test_analyzer_finds_known_parts_of_compounds():
    analyzer = Analyzer(Analyzer.vocabulary_of(["Förderung und Beratung", "Fachkräfte für Betriebe"]))

    assert set(analyzer("Fördermittelberatung")) >= {"forder", "berat"}
    assert "fachkraft" in analyzer("Fachkräftegewinnung")
    assert analyzer("Foerdermittelberatung") == analyzer("Fördermittelberatung")


def test_analyzer_leaves_short_and_unknown_parts_alone():
    analyzer = Analyzer(Analyzer.vocabulary_of(["Türen und Züge"]))

    assert analyzer("Zugtüren") == ["zugtur"]


def test_clean_query_drops_addresses_and_phone_numbers():
    text = "Bitte rufen Sie an: +49 361 123456 oder mail an a.b@example.org, siehe https://example.org/x"

    assert clean_query(text) == "Bitte rufen Sie an: oder mail an, siehe"


def test_sentences_split_descriptions_and_cut_long_ones():
    text = "Erster Satz. Zweiter Satz! " + "Sehr lang, " * 60

    parts = sentences(text, max_chars=100)

    assert parts[:2] == ["Erster Satz.", "Zweiter Satz!"]
    assert all(len(part) <= 100 for part in parts)


def test_search_terms_leave_out_codes_and_bound_compound_parts():
    from crosscluster.core.text import MAX_COMPOUND_LENGTH, heads, terms

    blob = "QmFzZTY0" * 2000  # pasted data without spaces: not a word
    assert terms(f"Förderung {blob}") == ["forder"]
    assert heads("fordermittelberat")[-1] == "berat"
    assert heads("x" * (MAX_COMPOUND_LENGTH + 1)) == ()
