"""vCard 3.0 export of contact persons and phone numbers for `tel:` links."""

import pytest

from crosscluster.directory.vcard import (
    contact_uid,
    contact_vcard,
    escape_text,
    fold,
    normalize_phone,
    split_name,
    vcard_filename,
)
from tests.factories import ContactFactory, OrganizationFactory


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+49 361 123456", "+49361123456"),
        ("+49 (0)361 12-34 56", "+49361123456"),
        ("+49 (0) 361 / 123 456", "+49361123456"),
        ("(0361) 123 456", "0361123456"),
        ("0049 361 123456", "0049361123456"),
        ("0361/1234-56", "0361123456"),
        ("  ", ""),
        ("keine Angabe", ""),
    ],
)
def test_normalize_phone_keeps_plus_and_digits(phone, expected):
    assert normalize_phone(phone) == expected


def test_escape_text_escapes_backslash_comma_semicolon_and_newlines():
    assert escape_text("a\\b,c;d\ne\r\nf") == "a\\\\b\\,c\\;d\\ne\\nf"


def test_fold_breaks_at_75_octets_and_never_inside_a_character():
    line = "NOTE:" + "ä" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if index else part for index, part in enumerate(parts)) == line


def test_fold_leaves_short_lines_alone():
    assert fold("FN:Erika Muster") == "FN:Erika Muster"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr. Katrin Hartmann", ("Hartmann", "Katrin", "", "Dr.")),
        ("Prof. Dr. Anna Maria Schulz", ("Schulz", "Anna", "Maria", "Prof. Dr.")),
        ("Thomas Wendler", ("Wendler", "Thomas", "", "")),
        ("Koordinierungsstelle", ("Koordinierungsstelle", "", "", "")),
    ],
)
def test_split_name_guesses_family_given_and_prefixes(name, expected):
    assert split_name(name) == expected


@pytest.mark.django_db
def test_contact_vcard_contains_every_field_escaped(region):
    organization = OrganizationFactory(
        region=region, name="Netz; Forschung, Transfer", city="Erfurt", website="https://netz.example.org"
    )
    contact = ContactFactory(
        organization=organization,
        name="Dr. Katrin Hartmann",
        role="Leitung Transfer, Förderung; Beratung",
        email="k.hartmann@example.org",
        phone="+49 (0)361 0001007",
    )
    card = contact_vcard(contact)
    assert card == (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "PRODID:-//Crosscluster//Directory//EN\r\n"
        f"UID:{contact_uid(contact)}\r\n"
        "N:Hartmann;Katrin;;Dr.;\r\n"
        "FN:Dr. Katrin Hartmann\r\n"
        "ORG:Netz\\; Forschung\\, Transfer\r\n"
        "TITLE:Leitung Transfer\\, Förderung\\; Beratung\r\n"
        "EMAIL;TYPE=INTERNET,WORK:k.hartmann@example.org\r\n"
        "TEL;TYPE=WORK,VOICE:+493610001007\r\n"
        "ADR;TYPE=WORK:;;;Erfurt;;;\r\n"
        "URL:https://netz.example.org\r\n"
        "END:VCARD\r\n"
    )


@pytest.mark.django_db
def test_contact_vcard_leaves_out_empty_fields_and_folds_long_lines(region):
    organization = OrganizationFactory(region=region, name="Ü" * 60, city="", website="")
    contact = ContactFactory(organization=organization, name="Erika Muster", role="", email="", phone="")
    lines = contact_vcard(contact).split("\r\n")
    assert not [line for line in lines if line.startswith(("TITLE", "EMAIL", "TEL", "ADR", "URL"))]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert lines[lines.index("ORG:" + "Ü" * 35) + 1].startswith(" Ü")


@pytest.mark.django_db
def test_contact_uid_is_stable_per_contact(region):
    first, second = ContactFactory.create_batch(2, organization=OrganizationFactory(region=region))
    assert contact_uid(first) == contact_uid(first)
    assert contact_uid(first) != contact_uid(second)
    assert contact_uid(first).startswith("urn:uuid:")


@pytest.mark.django_db
def test_vcard_filename_is_ascii(region):
    contact = ContactFactory(organization=OrganizationFactory(region=region), name="Dr. Jürgen Groß")
    assert vcard_filename(contact) == "dr-juergen-gross.vcf"
