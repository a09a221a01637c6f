"""German comes first: every German catalogue is complete, and pages render in German and in English."""

import io
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

REPO_DIR = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(REPO_DIR.glob("src/crosscluster/**/locale/de/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}")


def catalogue_id(path: Path) -> str:
    return path.relative_to(REPO_DIR / "src/crosscluster").parts[0]


def test_german_catalogues_exist_for_core_and_directory():
    assert {"core", "directory"} <= {catalogue_id(path) for path in CATALOGUES}


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_german_catalogue_has_no_untranslated_or_fuzzy_entries(path):
    catalogue = polib.pofile(str(path))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_german_catalogue_keeps_every_placeholder(path):
    for entry in polib.pofile(str(path)).translated_entries():
        if entry.msgid_plural:
            expected = sorted(PLACEHOLDER.findall(entry.msgid_plural))
            translations = list(entry.msgstr_plural.values())
        else:
            expected = sorted(PLACEHOLDER.findall(entry.msgid))
            translations = [entry.msgstr]
        for translation in translations:
            assert sorted(PLACEHOLDER.findall(translation)) == expected, entry.msgid


@pytest.fixture
def compiled_catalogues():
    """Compile the .po files (make test does this too) and make Django read the fresh .mo files.

    Changing LOCALE_PATHS, even to the same value, is Django's own signal to drop its cached catalogues.
    """
    call_command("compiletranslations", stdout=io.StringIO())
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        yield


@pytest.mark.django_db
def test_home_renders_german_at_the_root(client, compiled_catalogues, organization):
    html = client.get("/").content.decode()
    assert '<html lang="de">' in html
    assert "Fragen Sie uns — wir finden, wer passt" in html
    assert "Ask us" not in html
    assert "Verzeichnis" in html


@pytest.mark.django_db
def test_home_renders_english_under_en(client, compiled_catalogues, organization):
    html = client.get("/en/").content.decode()
    assert '<html lang="en">' in html
    assert "Ask us — we find who fits" in html
    assert "Fragen Sie uns" not in html
    assert "Directory" in html


@pytest.mark.django_db
def test_organization_page_renders_german_labels(client, compiled_catalogues, organization):
    html = client.get(f"/organisationen/{organization.slug}/").content.decode()
    assert "Angebote" in html
    assert "Netzwerk" in html  # the kind, from the model's choices
