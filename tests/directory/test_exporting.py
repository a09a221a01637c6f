"""Exporting crosscluster-directory/1: a lossless round trip of the demo file; the command and its regions."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crosscluster.directory.exporting import export_directory
from crosscluster.directory.importing import import_directory, load_directory_file
from crosscluster.directory.management.commands import __file__ as commands_init
from crosscluster.directory.models import Region
from tests.factories import (
    ContactFactory,
    OfferFactory,
    OrganizationFactory,
    RegionFactory,
    TopicFactory,
    VideoFactory,
)

DEMO_FILE = Path(commands_init).resolve().parents[2] / "demo" / "thueringen.json"


@pytest.fixture
def demo_data() -> dict:
    return load_directory_file(DEMO_FILE)


@pytest.fixture
def imported(db, demo_data):
    return import_directory(demo_data, actor=None)


def by_slug(data: dict) -> dict:
    """The file with organisations sorted by slug: the export's order, as the database keeps no file order."""
    return {**data, "organizations": sorted(data["organizations"], key=lambda item: item["slug"])}


def test_export_directory_round_trips_the_demo_file(imported, demo_data):
    exported = export_directory(Region.objects.get(slug="thueringen"))

    assert exported == by_slug(demo_data)


def test_export_directory_output_imports_without_changes(imported):
    exported = export_directory(Region.objects.get(slug="thueringen"))

    assert not import_directory(exported, actor=None).changed


def test_export_directory_omits_empty_fields_and_uploaded_videos(region):
    first, second = TopicFactory(slug="erstes", name="Erstes"), TopicFactory(slug="zweites", name="Zweites")
    organization = OrganizationFactory(
        region=region,
        slug="knapp",
        name="Knapp",
        kind="agency",
        city="",
        website="",
        summary="",
        description="",
    )
    organization.topics.add(second)
    OfferFactory(organization=organization, title="Sprechstunde", description="", kind="funding")
    ContactFactory(organization=organization, name="Erika Muster", role="", email="", phone="")
    VideoFactory(
        organization=organization,
        title="Hochgeladen",
        url="",
        file="videos/film.mp4",
        captions="videos/captions/film.vtt",
    )
    VideoFactory(organization=organization, title="Extern", url="https://video.example.org/a.mp4")

    exported = export_directory(region)

    assert exported == {
        "format": "crosscluster-directory/1",
        "region": {"slug": "thueringen", "name": "Thüringen"},
        "topics": [{"slug": first.slug, "name": "Erstes"}, {"slug": second.slug, "name": "Zweites"}],
        "organizations": [
            {
                "slug": "knapp",
                "name": "Knapp",
                "kind": "agency",
                "topics": ["zweites"],
                "offers": [{"title": "Sprechstunde", "kind": "funding"}],
                "contacts": [{"name": "Erika Muster"}],
                "videos": [{"title": "Extern", "url": "https://video.example.org/a.mp4"}],
            }
        ],
    }


def test_export_directory_leaves_out_other_regions_and_unpublished_unless_asked(region, topic):
    OrganizationFactory(region=region, slug="oeffentlich")
    OrganizationFactory(region=region, slug="entwurf", published=False)
    OrganizationFactory(region=RegionFactory(slug="sachsen", name="Sachsen"), slug="dresdner-netz")

    def slugs(data: dict) -> list[str]:
        return [item["slug"] for item in data["organizations"]]

    assert slugs(export_directory(region)) == ["oeffentlich"]
    assert slugs(export_directory(region, include_unpublished=True)) == ["entwurf", "oeffentlich"]
    assert export_directory(region)["topics"] == [{"slug": "kunststoffe", "name": "Kunststoffe und Polymere"}]


def test_export_directory_command_writes_utf8_json_to_stdout(imported, demo_data):
    out = StringIO()

    call_command("export-directory", stdout=out)

    text = out.getvalue()
    assert text == json.dumps(by_slug(demo_data), ensure_ascii=False, indent=2) + "\n"
    assert '"name": "Thüringen"' in text


def test_export_directory_command_writes_a_file(imported, demo_data, tmp_path):
    path = tmp_path / "export.json"
    out = StringIO()

    call_command("export-directory", "--region", "thueringen", "-o", str(path), stdout=out)

    assert json.loads(path.read_text(encoding="utf-8")) == by_slug(demo_data)
    assert out.getvalue() == (
        f"export-directory: region thueringen, 25 topics and 24 organisations written to {path}\n"
    )


def test_export_directory_command_rejects_an_unknown_region(region):
    with pytest.raises(CommandError, match=r"^unknown region 'bayern'; regions: thueringen$"):
        call_command("export-directory", "--region", "bayern", stdout=StringIO())


def test_export_directory_command_needs_region_when_there_are_several(region):
    RegionFactory(slug="sachsen", name="Sachsen")

    with pytest.raises(
        CommandError, match=r"^several regions, choose one with --region: sachsen, thueringen$"
    ):
        call_command("export-directory", stdout=StringIO())

    out = StringIO()
    call_command("export-directory", "--region", "sachsen", stdout=out)
    assert json.loads(out.getvalue())["region"] == {"slug": "sachsen", "name": "Sachsen"}


def test_export_directory_command_fails_without_regions(db):
    with pytest.raises(CommandError, match=r"^there is no region to export$"):
        call_command("export-directory", stdout=StringIO())
