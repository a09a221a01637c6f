""" "Published organisation" is written once, in `directory.queries`; no other module spells it out."""

import re
from pathlib import Path

from crosscluster.directory.queries import (
    organization_is_published,
    published_offers,
    published_organizations,
)
from tests.factories import OfferFactory, OrganizationFactory

SRC = Path(__file__).resolve().parents[2] / "src" / "crosscluster"
# An organisation's `published` flag, read through a relation or on the model itself.
HAND_WRITTEN = re.compile(r"organizations?__published|Organization\.objects\.filter\([^)]*published")


def test_no_module_but_directory_queries_writes_the_published_condition():
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and path != SRC / "directory" / "queries.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_WRITTEN.search(line)
    ]

    assert offenders == []


def test_published_querysets_leave_out_unpublished_organizations_and_their_offers(region):
    shown = OrganizationFactory(region=region, published=True)
    hidden = OrganizationFactory(region=region, published=False)
    OfferFactory(organization=shown, title="Sichtbar")
    OfferFactory(organization=hidden, title="Verborgen")

    assert list(published_organizations()) == [shown]
    assert [offer.title for offer in published_offers()] == ["Sichtbar"]
    assert organization_is_published("organization__").children == [("organization__published", True)]
