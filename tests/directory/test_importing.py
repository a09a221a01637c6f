"""Importing crosscluster-directory/1: validation with paths, all-or-nothing upserts, no-op re-imports."""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.importing import (
    DirectoryImportError,
    ImportProblem,
    import_directory,
    load_directory_file,
    validate_directory,
)
from crosscluster.directory.management.commands import __file__ as commands_init
from crosscluster.directory.models import Contact, Offer, Organization, Region, Topic, Video
from tests.factories import OrganizationFactory, RegionFactory, VideoFactory

DEMO_FILE = Path(commands_init).resolve().parents[2] / "demo" / "thueringen.json"
DATA_DIR = Path(__file__).parent / "data"
OrganizationTopic = Organization.topics.through
TABLES = [Region, Topic, Organization, OrganizationTopic, Offer, Contact, Video, AuditLogEntry]

BROKEN_FILE_PROBLEMS = [
    "$.organisations: unknown key (did you mean 'organizations'?)",
    "$.format: unsupported format 'crosscluster-directory/2' (expected 'crosscluster-directory/1')",
    "$.topics[1].slug: invalid slug 'Energie' (use only lower-case letters a-z, digits and hyphens)",
    "$.organizations[0].website: invalid URL 'mbz.example.org' "
    "(expected an absolute http:// or https:// URL)",
    "$.organizations[0].topics[1]: unknown topic 'maschinenbau' (not in $.topics)",
    "$.organizations[0].offers[0].kind: unknown kind 'beratung' (expected one of advice, funding, "
    "networking, training, event, infrastructure, matchmaking, information)",
    "$.organizations[0].contacts[0].emial: unknown key (did you mean 'email'?)",
    "$.organizations[1].name: required, must not be empty",
    "$.organizations[1].city: expected a string, got a number",
    "$.organizations[1].slug: duplicate organisation slug 'mbz' (first at $.organizations[0].slug)",
]


@pytest.fixture
def demo_data() -> dict:
    return load_directory_file(DEMO_FILE)


@pytest.fixture
def imported(db, demo_data):
    """The demo directory, imported once by the system."""
    return import_directory(copy.deepcopy(demo_data), actor=None)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table an import may touch, to prove that a failed import wrote nothing."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in TABLES}


def write_queries(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def problems_of(data: object) -> list[str]:
    return [str(problem) for problem in validate_directory(data)]


def test_import_directory_creates_the_demo_directory(imported, demo_data):
    assert imported.changed
    assert imported.summary() == (
        "organisations: 24 created, 0 updated, 0 unchanged; topics: 25 created, 0 updated, 0 unchanged; "
        "region thueringen: created"
    )
    assert imported.created == [item["slug"] for item in demo_data["organizations"]]
    assert imported.updated == []
    assert Region.objects.get().name == "Thüringen"
    assert list(Topic.objects.values_list("slug", flat=True)) == [t["slug"] for t in demo_data["topics"]]
    assert list(Topic.objects.values_list("position", flat=True)) == list(range(25))
    assert Organization.objects.filter(region__slug="thueringen", published=True).count() == 24
    assert (Offer.objects.count(), Contact.objects.count(), Video.objects.count()) == (123, 41, 16)

    mbz = Organization.objects.get(slug="mbz")
    assert (mbz.kind, mbz.city, mbz.website) == ("center", "Ilmenau", "https://mbz.example.org")
    assert [(o.position, o.title) for o in mbz.offers.all()][:2] == [
        (0, "Technologieberatung Fertigung"),
        (1, "Versuchsfeld Produktionstechnik"),
    ]
    assert "versuchsfeld" in mbz.search_text

    entries = AuditLogEntry.objects.filter(action="directory.organization.imported")
    assert entries.count() == 24
    entry = entries.get(organization=mbz)
    assert entry.actor is None
    assert entry.data == {
        "format": "crosscluster-directory/1",
        "created": True,
        "topics": ["maschinenbau", "digitalisierung", "technologietransfer"],
        "offers": 5,
        "contacts": 2,
        "videos": 1,
    }


def test_import_directory_second_run_changes_nothing(imported, demo_data):
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        report = import_directory(demo_data, actor=None)

    assert not report.changed
    assert report.summary() == "no changes: region thueringen, 25 topics and 24 organisations are up to date"
    assert (report.created, report.updated, len(report.unchanged)) == ([], [], 24)
    assert write_queries(queries) == []
    assert snapshot() == before


def test_import_directory_updates_only_what_differs(imported, demo_data):
    mbz, photonet, autonetz = demo_data["organizations"][:3]
    mbz["city"] = "Suhl"
    mbz["description"] = "Wir bauen Zeppeline."
    mbz["offers"].reverse()
    photonet["topics"].reverse()
    del autonetz["contacts"][1]
    demo_data["topics"][0]["name"] = "Maschinenbau und Automatisierung"
    audit_before = AuditLogEntry.objects.count()

    report = import_directory(demo_data, actor=None)

    assert report.updated == ["mbz", "photonet", "autonetz"]
    assert len(report.unchanged) == 21
    assert report.topics_updated == ["maschinenbau"]
    assert report.summary() == (
        "organisations: 0 created, 3 updated, 21 unchanged; topics: 0 created, 1 updated, 24 unchanged; "
        "region thueringen: unchanged"
    )
    organization = Organization.objects.get(slug="mbz")
    assert organization.city == "Suhl"
    assert "zeppelin" in organization.search_text
    assert "versuchsfeld" in organization.search_text  # still among the (reordered) offers
    assert [o.title for o in organization.offers.all()] == [o["title"] for o in mbz["offers"]]
    assert list(organization.offers.values_list("position", flat=True)) == [0, 1, 2, 3, 4]
    photonet_topics = OrganizationTopic.objects.filter(organization__slug="photonet").order_by("pk")
    assert [row.topic.slug for row in photonet_topics] == photonet["topics"]
    assert Contact.objects.filter(organization__slug="autonetz").count() == 1

    assert AuditLogEntry.objects.count() == audit_before + 3
    entry = AuditLogEntry.objects.filter(organization__slug="mbz").latest("pk")
    assert entry.action == "directory.organization.imported"
    changes = entry.data["changes"]
    assert sorted(changes) == ["city", "description", "offers"]
    assert changes["city"] == ["Ilmenau", "Suhl"]
    assert changes["offers"][1] == [o["title"] for o in mbz["offers"]]
    photonet_entry = AuditLogEntry.objects.filter(organization__slug="photonet").latest("pk")
    assert photonet_entry.data["changes"] == {"topics": [photonet["topics"][::-1], photonet["topics"]]}


def test_import_directory_leaves_organisations_missing_from_the_file_alone(organization, demo_data):
    offers = list(organization.offers.values_list("title", flat=True))

    report = import_directory(demo_data, actor=None)

    assert report.region_status == "unchanged"
    organization.refresh_from_db()
    assert organization.name == "PolymerNetz Thüringen"
    assert list(organization.offers.values_list("title", flat=True)) == offers
    assert Organization.objects.count() == 25


def test_import_directory_keeps_uploaded_videos(imported, demo_data):
    uploaded = VideoFactory(
        organization=Organization.objects.get(slug="mbz"),
        url="",
        file="videos/tour.mp4",
        captions="videos/captions/tour.vtt",
    )

    assert not import_directory(demo_data, actor=None).changed
    demo_data["organizations"][0]["videos"] = []
    report = import_directory(demo_data, actor=None)

    assert report.updated == ["mbz"]
    assert list(Video.objects.filter(organization__slug="mbz")) == [uploaded]


def test_import_directory_accepts_missing_null_and_empty_optional_fields(db):
    report = import_directory(load_directory_file(DATA_DIR / "minimal.json"), actor=None)

    assert report.created == ["kleines-netz", "leeres-netz"]
    organization = Organization.objects.get(slug="leeres-netz")
    assert (organization.city, organization.website, organization.summary) == ("", "", "")
    assert list(organization.contacts.values_list("name", "role", "email", "phone")) == [
        ("Erika Muster", "", "", "")
    ]
    assert not organization.videos.exists()


def test_import_directory_with_problems_lists_every_one_and_writes_nothing(imported, demo_data):
    broken = copy.deepcopy(demo_data)
    broken["generated_by"] = "excel"
    broken["topics"].append({"slug": "Raumfahrt", "name": "Raumfahrt"})
    organizations = broken["organizations"]
    organizations[0]["city"] = "Suhl"  # a valid change that must not be applied either
    organizations[1]["topics"].append("raumfahrt")
    organizations[2]["contacts"][0]["email"] = "k.hartmann(at)example.org"
    organizations[3]["offers"][0]["kind"] = "beratung"
    organizations[4]["name"] = "N" * 201
    organizations[5]["slug"] = "mbz"
    organizations[6]["videos"][0]["titel"] = organizations[6]["videos"][0].pop("title")
    del organizations[7]["kind"]
    organizations[8]["offers"] = {"title": "Beratung"}
    before = snapshot()

    with pytest.raises(DirectoryImportError) as excinfo:
        import_directory(broken, actor=None)

    assert [str(problem) for problem in excinfo.value.problems] == [
        "$.generated_by: unknown key (expected format, region, topics, organizations)",
        "$.topics[25].slug: invalid slug 'Raumfahrt' (use only lower-case letters a-z, digits and hyphens)",
        "$.organizations[1].topics[3]: unknown topic 'raumfahrt' (not in $.topics)",
        "$.organizations[2].contacts[0].email: invalid e-mail address 'k.hartmann(at)example.org'",
        "$.organizations[3].offers[0].kind: unknown kind 'beratung' (expected one of advice, funding, "
        "networking, training, event, infrastructure, matchmaking, information)",
        "$.organizations[4].name: too long: 201 characters (at most 200)",
        "$.organizations[5].slug: duplicate organisation slug 'mbz' (first at $.organizations[0].slug)",
        "$.organizations[6].videos[0].titel: unknown key (did you mean 'title'?)",
        "$.organizations[6].videos[0].title: missing (required)",
        "$.organizations[7].kind: missing (required)",
        "$.organizations[8].offers: expected an array, got an object",
    ]
    assert excinfo.value.problems[0] == ImportProblem(
        "$.generated_by", "unknown key (expected format, region, topics, organizations)"
    )
    assert snapshot() == before


def test_import_directory_refuses_organisation_of_another_region(db, demo_data):
    OrganizationFactory(region=RegionFactory(slug="sachsen", name="Sachsen"), slug="mbz")
    before = snapshot()

    with pytest.raises(DirectoryImportError) as excinfo:
        import_directory(demo_data, actor=None)

    assert [str(problem) for problem in excinfo.value.problems] == [
        "$.organizations[0].slug: organisation 'mbz' belongs to region 'sachsen', not 'thueringen'"
    ]
    assert snapshot() == before


def test_import_directory_records_the_coordinator_as_actor(coordinator, demo_data):
    import_directory(demo_data, actor=coordinator)

    assert set(AuditLogEntry.objects.values_list("actor", flat=True)) == {coordinator.pk}


def test_import_directory_refuses_a_manager(manager, demo_data):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        import_directory(demo_data, actor=manager)

    assert snapshot() == before


def test_validate_directory_accepts_the_demo_file(demo_data):
    assert validate_directory(demo_data) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], ["$: expected an object, got an array"]),
        ({}, ["$.format: missing (expected 'crosscluster-directory/1')", "$.region: missing (required)"]),
        (
            {"format": 1, "region": {"slug": "t h", "name": " "}, "my key": True},
            [
                '$["my key"]: unknown key (expected format, region, topics, organizations)',
                "$.format: unsupported format a number (expected 'crosscluster-directory/1')",
                "$.region.slug: invalid slug 't h' (use only lower-case letters a-z, digits and hyphens)",
                "$.region.name: must not be blank",
            ],
        ),
        (
            {
                "format": "crosscluster-directory/1",
                "region": {"slug": "thueringen", "name": "Thüringen"},
                "topics": [{"slug": "energie", "name": "Energie"}, {"slug": "energie", "name": "Strom"}, "x"],
                "organizations": [
                    {"slug": "a", "name": "A\x00", "kind": "network", "topics": ["energie", "energie", 3]},
                    {
                        "slug": "b",
                        "name": "B",
                        "kind": "verein",
                        "summary": "s" * 601,
                        "website": "ftp://b.de",
                    },
                ],
            },
            [
                "$.topics[1].slug: duplicate topic slug 'energie' (first at $.topics[0].slug)",
                "$.topics[2]: expected an object, got a string",
                "$.organizations[0].name: contains a NUL character, which the database cannot store",
                "$.organizations[0].topics[1]: topic 'energie' is listed twice",
                "$.organizations[0].topics[2]: expected a topic slug (string), got a number",
                "$.organizations[1].kind: unknown kind 'verein' (expected one of network, cluster, center, "
                "agency, chamber, research, supporter, coordination)",
                "$.organizations[1].website: invalid URL 'ftp://b.de' (expected an absolute http:// or "
                "https:// URL)",
                "$.organizations[1].summary: too long: 601 characters (at most 600)",
            ],
        ),
    ],
    ids=["not-an-object", "empty", "top-level", "nested"],
)
def test_validate_directory_reports_problems_with_paths(data, expected):
    assert problems_of(data) == expected


def test_load_directory_file_reports_duplicate_keys_with_their_path(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(
        '{"format": "crosscluster-directory/1", "region": {"slug": "t", "name": "T", "name": "U"}}',
        encoding="utf-8",
    )

    assert problems_of(load_directory_file(path)) == [
        "$.region.name: given more than once in the same object"
    ]


def test_load_directory_file_reports_invalid_json_with_line_and_column(tmp_path):
    path = tmp_path / "invalid.json"
    path.write_text('{\n  "format": "crosscluster-directory/1",\n  "region": ,\n}\n', encoding="utf-8")

    with pytest.raises(DirectoryImportError) as excinfo:
        load_directory_file(path)

    assert excinfo.value.problems == [ImportProblem("$", "invalid JSON at line 3 column 13: Expecting value")]


def test_load_directory_file_reports_non_utf8_with_line_and_column(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{\n  "region": {"name": "Thüringen"}\n}\n'.encode("latin-1"))

    with pytest.raises(DirectoryImportError) as excinfo:
        load_directory_file(path)

    assert [str(problem) for problem in excinfo.value.problems] == [
        "$: not UTF-8: byte 0xfc at line 2 column 25 (save the file as UTF-8)"
    ]


def test_load_directory_file_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + DEMO_FILE.read_bytes())

    assert validate_directory(load_directory_file(path)) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read {path}: No such file or directory"), ("[1, 2]", "expected an object, got an array")],
    ids=["missing", "array"],
)
def test_load_directory_file_reports_unusable_files(tmp_path, content, message):
    path = tmp_path / "directory.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(DirectoryImportError) as excinfo:
        load_directory_file(path)

    assert excinfo.value.problems == [ImportProblem("$", message.format(path=path))]


def test_import_directory_command_reports_counts_then_no_changes(db):
    first, second = StringIO(), StringIO()

    call_command("import-directory", str(DEMO_FILE), stdout=first)
    call_command("import-directory", str(DEMO_FILE), stdout=second)

    assert first.getvalue() == (
        "import-directory: organisations: 24 created, 0 updated, 0 unchanged; "
        "topics: 25 created, 0 updated, 0 unchanged; region thueringen: created\n"
    )
    assert second.getvalue() == (
        "import-directory: no changes: region thueringen, 25 topics and 24 organisations are up to date\n"
    )
    assert AuditLogEntry.objects.count() == 24


def test_import_directory_command_dry_run_saves_nothing(db):
    out = StringIO()

    call_command("import-directory", str(DEMO_FILE), "--dry-run", stdout=out)

    assert out.getvalue().startswith("import-directory (dry run, nothing saved): organisations: 24 created")
    assert not Region.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_import_directory_command_prints_every_problem_and_fails(imported):
    err = StringIO()
    before = snapshot()
    path = DATA_DIR / "broken.json"

    with pytest.raises(
        CommandError, match=r"^10 problems in .*broken\.json; nothing was imported$"
    ) as excinfo:
        call_command("import-directory", str(path), stdout=StringIO(), stderr=err)

    assert excinfo.value.returncode == 1
    assert err.getvalue().splitlines() == BROKEN_FILE_PROBLEMS
    assert snapshot() == before


def test_import_directory_command_fails_on_invalid_json(db, tmp_path):
    path = tmp_path / "invalid.json"
    path.write_text('{"format": "crosscluster-directory/1",}', encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match=r"^1 problem in "):
        call_command("import-directory", str(path), stderr=err)

    assert err.getvalue() == (
        "$: invalid JSON at line 1 column 39: Expecting property name enclosed in double quotes\n"
    )


# Parser failures: every one is a listed problem, never a traceback (issue 12, point 9).


def _demo_text(**changes: str) -> str:
    """The demo file as JSON text, its first organisation's fields replaced by raw JSON fragments."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    data["organizations"] = data["organizations"][:1]
    markers = {name: f"@@{name}@@" for name in changes}
    data["organizations"][0].update(markers)
    text = json.dumps(data, ensure_ascii=False)
    for name, fragment in changes.items():
        text = text.replace(json.dumps(markers[name]), fragment)
    return text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"format": "crosscluster-directory/1", "region": ' + "[" * 100_000 + "]" * 100_000 + "}",
            ["$: invalid JSON: nested too deeply (more than 100 levels of arrays and objects)"],
        ),
        (
            '{"format": "crosscluster-directory/1", "region": ' + "[" * 101 + "]" * 101 + "}",
            ["$: invalid JSON: nested too deeply (more than 100 levels of arrays and objects)"],
        ),
        (
            _demo_text(name='"Polymer\\ud800Netz"', city='"Jena\\udfff"'),
            [
                "$.organizations[0].name: contains \\ud800, half of a UTF-16 surrogate pair, which is not "
                "a character (the file was written by a broken program)",
                "$.organizations[0].city: contains \\udfff, half of a UTF-16 surrogate pair, which is not "
                "a character (the file was written by a broken program)",
            ],
        ),
        (
            '{"format": "crosscluster-directory/1", "\\udc00x": 1}',
            [
                '$["\\udc00x"]: contains \\udc00, half of a UTF-16 surrogate pair, which is not a '
                "character (the file was written by a broken program)",
            ],
        ),
        (
            _demo_text(city="9" * 5000),
            ["$.organizations[0].city: expected a string, got a number (an integer of 5000 digits)"],
        ),
    ],
    ids=["deeply-nested", "just-too-deep", "lone-surrogates", "surrogate-in-a-key", "huge-integer"],
)
def test_import_directory_command_lists_parser_failures_as_problems(db, tmp_path, text, expected):
    path = tmp_path / "directory.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    err = StringIO()
    before = snapshot()

    with pytest.raises(CommandError, match=r"^\d+ problems? in .*; nothing was imported$"):
        call_command("import-directory", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == expected
    err.getvalue().encode("utf-8")  # printable on any terminal: no lone surrogate in a message
    assert snapshot() == before


def test_import_directory_keeps_deep_but_allowed_nesting_for_the_checker(db, tmp_path):
    """100 levels still parse; the checker then says what is wrong where (the format needs 4)."""
    path = tmp_path / "directory.json"
    path.write_text(
        '{"format": "crosscluster-directory/1", "region": ' + "[" * 99 + "]" * 99 + "}", encoding="utf-8"
    )

    assert problems_of(load_directory_file(path)) == ["$.region: expected an object, got an array"]


def test_import_directory_removes_control_characters_and_keeps_word_line_breaks(db, tmp_path):
    """Text from outside is stored without what XML 1.0 forbids (issue 12, point 3); NUL stays a problem."""
    path = tmp_path / "directory.json"
    path.write_text(
        _demo_text(
            name='"Polymer\\u0001Netz\\u001f"', description='"Erste Zeile\\u000bzweite Zeile\\u007f\\uffff"'
        ),
        encoding="utf-8",
    )

    call_command("import-directory", str(path), stdout=StringIO())

    organization = Organization.objects.get()
    assert (organization.name, organization.description) == ("PolymerNetz", "Erste Zeile\nzweite Zeile")
