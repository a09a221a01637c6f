"""Topic synonyms and introductions: the model helper and the directory format, import and export."""

import pytest

from crosscluster.directory.exporting import export_directory
from crosscluster.directory.importing import import_directory, validate_directory
from crosscluster.directory.models import Region, Topic
from tests.factories import TopicFactory


def directory(*topics):
    return {
        "format": "crosscluster-directory/1",
        "region": {"slug": "thueringen", "name": "Thüringen"},
        "topics": list(topics),
        "organizations": [],
    }


def problems_of(data):
    return [str(problem) for problem in validate_directory(data)]


def test_topic_synonym_list_one_per_line_trimmed_without_duplicates():
    topic = Topic(synonyms="KI\r\n  AI \n\nKI\nMaschinelles Lernen\n")

    assert topic.synonym_list() == ["KI", "AI", "Maschinelles Lernen"]
    assert Topic(synonyms="").synonym_list() == []


def test_import_directory_stores_synonyms_and_introduction_and_exports_them(db):
    data = directory(
        {
            "slug": "foerderung",
            "name": "Förderung",
            "synonyms": ["Fördermittel", "Zuschuss"],
            "introduction": "Alles zu **Förderprogrammen**.",
        },
        {"slug": "energie", "name": "Energie"},
    )

    report = import_directory(data, actor=None)

    topic = Topic.objects.get(slug="foerderung")
    assert report.topics_created == ["foerderung", "energie"]
    assert topic.synonym_list() == ["Fördermittel", "Zuschuss"]
    assert topic.introduction == "Alles zu **Förderprogrammen**."
    assert Topic.objects.get(slug="energie").synonyms == ""
    exported = export_directory(Region.objects.get(slug="thueringen"))
    assert exported["topics"] == data["topics"]  # empty synonyms and introductions are left out
    assert not import_directory(exported, actor=None).changed


def test_import_directory_updates_changed_synonyms_and_clears_missing_ones(db):
    TopicFactory(slug="foerderung", name="Förderung", position=0, synonyms="Fördermittel\r\nZuschuss")

    unchanged = import_directory(
        directory({"slug": "foerderung", "name": "Förderung", "synonyms": ["Fördermittel", "Zuschuss"]}),
        actor=None,
    )
    assert unchanged.topics_unchanged == ["foerderung"]

    changed = import_directory(
        directory({"slug": "foerderung", "name": "Förderung", "synonyms": ["Kredit"]}), actor=None
    )
    assert changed.topics_updated == ["foerderung"]
    assert Topic.objects.get().synonym_list() == ["Kredit"]

    import_directory(directory({"slug": "foerderung", "name": "Förderung"}), actor=None)
    assert Topic.objects.get().synonyms == ""


@pytest.mark.parametrize(
    ("synonyms", "expected"),
    [
        ("KI", ["$.topics[0].synonyms: expected an array, got a string"]),
        (["KI", 3], ["$.topics[0].synonyms[1]: expected a string, got a number"]),
        (["KI", ""], ["$.topics[0].synonyms[1]: required, must not be empty"]),
        (
            ["KI", "ki"],
            ["$.topics[0].synonyms[1]: synonym 'ki' is listed twice (first at $.topics[0].synonyms[0])"],
        ),
        (["zwei\nZeilen"], ["$.topics[0].synonyms[0]: must be on one line"]),
        ([" KI"], ["$.topics[0].synonyms[0]: must not start or end with spaces"]),
        (["x" * 121], ["$.topics[0].synonyms[0]: too long: 121 characters (at most 120)"]),
        (None, []),
        ([], []),
    ],
)
def test_validate_directory_checks_synonyms(synonyms, expected):
    assert problems_of(directory({"slug": "ki", "name": "KI", "synonyms": synonyms})) == expected


def test_validate_directory_suggests_the_synonyms_key_for_a_typo():
    problems = problems_of(directory({"slug": "ki", "name": "KI", "synonym": ["AI"]}))

    assert problems == ["$.topics[0].synonym: unknown key (did you mean 'synonyms'?)"]
