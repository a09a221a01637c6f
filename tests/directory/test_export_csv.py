"""CSV of organisations and offers for the office's spreadsheets: Excel's dialect, the formula guard, the
command and the coordination office's download in the manager area."""

import csv
import io
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from crosscluster.directory.exports.spreadsheet import safe_cell, write_offers, write_organizations
from crosscluster.directory.models import Organization
from tests.factories import ContactFactory, OfferFactory, OrganizationFactory, TopicFactory

ORGANIZATION_HEADER = [
    "Kürzel",
    "Name",
    "Name (englisch)",
    "Art",
    "Region",
    "Ort",
    "Website",
    "Kurzbeschreibung",
    "Kurzbeschreibung (englisch)",
    "Themen",
    "Angebote",
    "Ansprechpersonen",
    "Veröffentlicht",
    "Öffentliche Seite",
    "Zuletzt geändert",
]
OFFER_HEADER = [
    "Organisation (Kürzel)",
    "Organisation",
    "Titel",
    "Titel (englisch)",
    "Art",
    "Themen",
    "Beschreibung",
    "Beschreibung (englisch)",
    "Veröffentlicht",
    "Öffentliche Seite",
]


def rows(text: str) -> list[list[str]]:
    """Parse as Excel does: BOM first, `;` between cells, CRLF line ends."""
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def written(writer, organizations=None) -> str:
    stream = io.StringIO(newline="")
    writer(stream, organizations)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+49 361 123456", "'+49 361 123456"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Erfurt", "Erfurt"),
        ("a=b", "a=b"),
        (3, "3"),
        (None, ""),
    ],
)
def test_safe_cell_disarms_formulas_only(value, cell):
    assert safe_cell(value) == cell


@time_machine.travel("2030-03-01 09:30 +01:00", tick=False)
def test_csv_organizations_row_by_row(region, settings):
    settings.SITE_URL = "https://cluster.example.org"
    topic = TopicFactory(slug="optik", name="Optik und Photonik")
    organization = OrganizationFactory(
        region=region,
        slug="licht",
        name="=Licht; Netz",
        name_en="Light",
        kind="cluster",
        city="Jena",
        summary="Zeile 1\nZeile 2",
        topics=[topic],
    )
    OfferFactory(organization=organization)
    OfferFactory(organization=organization)
    ContactFactory(
        organization=organization, name="Ada", role="Leitung", email="ada@example.org", phone="+49 1"
    )
    ContactFactory(organization=organization, name="Bob", role="", email="", phone="")
    OrganizationFactory(region=region, slug="entwurf", name="Zz Entwurf", published=False, city="")

    table = rows(written(write_organizations))

    assert table == [
        ORGANIZATION_HEADER,
        [
            "licht",
            "'=Licht; Netz",
            "Light",
            "Cluster",
            "Thüringen",
            "Jena",
            "https://netzwerk.example.org",
            "Zeile 1\nZeile 2",
            "",
            "Optik und Photonik",
            "2",
            "Ada (Leitung), ada@example.org, +49 1\nBob",
            "ja",
            "https://cluster.example.org/organisationen/licht/",
            "2030-03-01 09:30",
        ],
        [
            "entwurf",
            "Zz Entwurf",
            "",
            "Netzwerk",
            "Thüringen",
            "",
            "https://netzwerk.example.org",
            "Ein Netzwerk für Unternehmen in Thüringen.",
            "",
            "",
            "0",
            "",
            "nein",
            "https://cluster.example.org/organisationen/entwurf/",
            "2030-03-01 09:30",
        ],
    ]


def test_csv_offers_row_by_row(organization, other_organization, settings):
    settings.SITE_URL = "https://cluster.example.org"
    OfferFactory(
        organization=organization, title="-Rabatt", title_en="Discount", kind="funding", description=""
    )

    table = rows(written(write_offers, Organization.objects.filter(pk=organization.pk)))

    assert table == [
        OFFER_HEADER,
        [
            "polymer-netz",
            "PolymerNetz Thüringen",
            "Kunststoffberatung",
            "",
            "Beratung",
            "Kunststoffe und Polymere",
            "Beratung für kleine und mittlere Unternehmen.",
            "",
            "ja",
            "https://cluster.example.org/organisationen/polymer-netz/",
        ],
        [
            "polymer-netz",
            "PolymerNetz Thüringen",
            "'-Rabatt",
            "Discount",
            "Förderung",
            "",
            "",
            "",
            "ja",
            "https://cluster.example.org/organisationen/polymer-netz/",
        ],
    ]


def test_csv_organizations_queries_do_not_grow_with_rows(region, django_assert_num_queries):
    for number in range(5):
        organization = OrganizationFactory(region=region, topics=[TopicFactory()])
        OfferFactory(organization=organization)
        ContactFactory(organization=organization)

    # organisations with regions, topics, contacts, offers
    with django_assert_num_queries(4):
        text = written(write_organizations)

    assert len(rows(text)) == 6


def test_export_directory_command_csv_lists_published_organisations(organization, other_organization):
    OrganizationFactory(region=organization.region, slug="entwurf", published=False)
    out = StringIO()

    call_command("export-directory", "--format", "csv", stdout=out)

    assert [row[0] for row in rows(out.getvalue())] == ["Kürzel", "andere-org", "polymer-netz"]


def test_export_directory_command_csv_with_drafts_and_offers_to_a_file(organization, tmp_path):
    OfferFactory(
        organization=OrganizationFactory(region=organization.region, slug="entwurf", published=False)
    )
    target, out = tmp_path / "angebote.csv", StringIO()

    call_command(
        "export-directory",
        "--format",
        "csv",
        "--what",
        "offers",
        "--include-unpublished",
        "-o",
        str(target),
        stdout=out,
    )

    table = rows(target.read_bytes().decode("utf-8"))
    assert [(row[0], row[8]) for row in table[1:]] == [("entwurf", "nein"), ("polymer-netz", "ja")]
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.getvalue() == f"export-directory: 2 offers (CSV) written to {target}\n"


# The coordination office's download ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["manage:export-organizations", "manage:export-offers"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 403), ("manager", 403), ("coordinator", 200), ("admin_user", 200)],
)
def test_csv_download_is_for_the_coordination_office_only(client, request, organization, name, role, status):
    url = reverse(name)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    response = client.get(url)

    assert response.status_code == status
    if role == "anonymous":
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    if status == 200:
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith(b"\xef\xbb\xbf")


@time_machine.travel("2030-03-01 23:30 +01:00", tick=False)
def test_csv_download_lists_every_organisation_with_a_dated_name(client, coordinator, organization):
    OrganizationFactory(region=organization.region, slug="entwurf", name="Entwurf", published=False)
    client.force_login(coordinator)

    response = client.get(reverse("manage:export-organizations"))

    assert response["Content-Disposition"] == 'attachment; filename="organisationen-2030-03-01.csv"'
    table = rows(response.content.decode("utf-8"))
    assert [(row[0], row[12]) for row in table[1:]] == [("entwurf", "nein"), ("polymer-netz", "ja")]


def test_csv_download_refuses_post(client, coordinator):
    client.force_login(coordinator)

    assert client.post(reverse("manage:export-offers")).status_code == 405


def test_csv_download_links_on_the_office_dashboard_only(client, coordinator, manager):
    client.force_login(coordinator)
    office = client.get(reverse("manage:dashboard")).content.decode()
    client.force_login(manager)
    own = client.get(reverse("manage:dashboard")).content.decode()

    for name in ("manage:export-organizations", "manage:export-offers"):
        assert f'href="{reverse(name)}" download' in office
        assert reverse(name) not in own


def test_export_directory_command_refuses_what_without_csv(db):
    with pytest.raises(CommandError, match="add --format csv"):
        call_command("export-directory", "--what", "offers", stdout=StringIO())
