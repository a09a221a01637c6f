"""Organisations and offers as CSV for the coordination office's spreadsheets.

Made for Excel as German offices use it, and read as well by LibreOffice and Numbers:

- UTF-8 with a byte order mark, without which Excel reads the file as Windows-1252 and breaks every umlaut;
- `;` between cells, the list separator of German Excel (it splits a `,` file only with English settings),
  and CRLF line ends; a cell with `;`, quotes or line breaks is quoted, as RFC 4180 says;
- **formula injection** guarded: a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
  leading apostrophe, so a text entered by a network manager (a name like `=HYPERLINK(…)`) is shown as text
  and never run as a formula. That includes phone numbers such as `'+49 361 …`.

The header row is in the active language; values are as the office enters them (German texts, the English
ones in columns of their own). Which organisations is the caller's choice (`organizations`): the command
exports the published ones unless asked otherwise, the manager area's download everything the office manages.
"""

import csv
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Offer, Organization

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("organizations", "offers")


def safe_cell(value: Any) -> str:
    """The cell's text, with an apostrophe before anything a spreadsheet would take for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def display_zone() -> zoneinfo.ZoneInfo:
    """Times as the pages show them (Berlin), whatever the server's TIME_ZONE is."""
    return zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)


def _changed(organization: Organization) -> str:
    return timezone.localtime(organization.updated_at, display_zone()).strftime("%Y-%m-%d %H:%M")


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _page_url(organization: Organization) -> str:
    """In the site's default language, like the other exports, whatever language the header row is in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _absolute(organization.get_absolute_url())


def _topics(obj: Organization | Offer) -> str:
    return ", ".join(topic.name_de for topic in obj.topics.all())


def _contacts(organization: Organization) -> str:
    """One contact per line inside the cell: name (role), e-mail, phone."""
    lines = []
    for contact in organization.contacts.all():
        name = f"{contact.name} ({contact.role})" if contact.role else contact.name
        lines.append(", ".join(part for part in (name, contact.email, contact.phone) if part))
    return "\n".join(lines)


Column = tuple[Callable[[], str], Callable[[Any], Any]]

ORGANIZATION_COLUMNS: list[Column] = [
    (lambda: _("Slug"), lambda o: o.slug),
    (lambda: _("Name"), lambda o: o.name_de),
    (lambda: _("Name (English)"), lambda o: o.name_en),
    (lambda: _("Kind"), lambda o: o.get_kind_display()),
    (lambda: _("Region"), lambda o: o.region.name),
    (lambda: _("City"), lambda o: o.city),
    (lambda: _("Website"), lambda o: o.website),
    (lambda: _("Summary"), lambda o: o.summary_de),
    (lambda: _("Summary (English)"), lambda o: o.summary_en),
    (lambda: _("Topics"), _topics),
    (lambda: _("Offers"), lambda o: len(o.offers.all())),
    (lambda: _("Contact persons"), _contacts),
    (lambda: _("Published"), lambda o: _yes_no(o.published)),
    (lambda: _("Public page"), _page_url),
    (lambda: _("Last changed"), _changed),
]

OFFER_COLUMNS: list[Column] = [
    (lambda: _("Organisation (slug)"), lambda o: o.organization.slug),
    (lambda: _("Organisation"), lambda o: o.organization.name_de),
    (lambda: _("Title"), lambda o: o.title_de),
    (lambda: _("Title (English)"), lambda o: o.title_en),
    (lambda: _("Kind"), lambda o: o.get_kind_display()),
    (lambda: _("Topics"), _topics),
    (lambda: _("Description"), lambda o: o.description_de),
    (lambda: _("Description (English)"), lambda o: o.description_en),
    (lambda: _("Published"), lambda o: _yes_no(o.organization.published)),
    (lambda: _("Public page"), lambda o: _page_url(o.organization)),
]


def _write(stream: TextIO, columns: list[Column], rows: Iterable[Any]) -> int:
    """Write the BOM, the header and one line per row; return the number of rows."""
    stream.write(BOM)
    writer = csv.writer(stream, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(header()) for header, _value in columns])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(value(row)) for _header, value in columns])
        count += 1
    return count


def _chosen(organizations: QuerySet[Organization] | None) -> QuerySet[Organization]:
    return Organization.objects.all() if organizations is None else organizations


def write_organizations(stream: TextIO, organizations: QuerySet[Organization] | None = None) -> int:
    """One line per organisation of `organizations` (all by default), by name."""
    offer_ids = Prefetch("offers", queryset=Offer.objects.only("pk", "organization"))  # only counted
    queryset = (
        _chosen(organizations)
        .select_related("region")
        .prefetch_related("topics", "contacts", offer_ids)
        .order_by("name", "slug")
    )
    return _write(stream, ORGANIZATION_COLUMNS, queryset)


def write_offers(stream: TextIO, organizations: QuerySet[Organization] | None = None) -> int:
    """One line per offer of `organizations` (all by default), by organisation name and the offers' order."""
    queryset = (
        Offer.objects.filter(organization__in=_chosen(organizations))
        .select_related("organization")
        .prefetch_related("topics")
        .order_by("organization__name", "organization__slug", "position", "pk")
    )
    return _write(stream, OFFER_COLUMNS, queryset)


WRITERS = {"organizations": write_organizations, "offers": write_offers}
