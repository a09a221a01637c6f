"""Contact persons as vCard 3.0 (RFC 2426) and phone numbers as `tel:` URIs.

Version 3.0 rather than 4.0 because the address books our visitors use (Outlook, older Android and iOS
versions) import it most reliably. Text values escape `\\ , ;` and newlines; lines are folded at 75 octets
without splitting a UTF-8 character; lines end with CRLF, as the RFC demands.
"""

import uuid

from django.conf import settings
from django.utils.text import slugify

from .models import Contact

FOLD_OCTETS = 75
# German letters spelt out, so that a file name reads "mueller", not "muller".
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_DIGITS = frozenset("0123456789")


def normalize_phone(phone: str) -> str:
    """`+49 (0)361 12-34 56` → `+49361123456`: a leading + and digits, dialable from any phone."""
    phone = phone.strip()
    international = phone.startswith("+")
    if international:
        # The national trunk prefix written as "(0)" must not be dialled after the country code.
        phone = phone.replace("(0)", "", 1)
    digits = "".join(char for char in phone if char in _DIGITS)
    if not digits:
        return ""
    return f"+{digits}" if international else digits


def escape_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line at 75 octets; each continuation line starts with a space."""
    lines: list[str] = []
    current, size = "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > FOLD_OCTETS:
            lines.append(current)
            current, size = " ", 1
        current += char
        size += octets
    lines.append(current)
    return "\r\n".join(lines)


def split_name(full_name: str) -> tuple[str, str, str, str]:
    """(family, given, additional, prefixes) from a name like `Dr. Katrin Maria Hartmann`.

    We store one name field; this guess is good enough for the N property, and FN keeps the name as written.
    """
    tokens = full_name.split()
    prefixes: list[str] = []
    while len(tokens) > 1 and tokens[0].endswith("."):
        prefixes.append(tokens.pop(0))
    if not tokens:
        return "", "", "", " ".join(prefixes)
    family = tokens.pop()
    given = tokens.pop(0) if tokens else ""
    return family, given, " ".join(tokens), " ".join(prefixes)


def contact_uid(contact: Contact) -> str:
    """Stable across downloads, so that importing the card again updates the entry instead of adding one."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/contacts/{contact.pk}')}"


def contact_vcard(contact: Contact) -> str:
    organization = contact.organization
    family, given, additional, prefixes = split_name(contact.name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Crosscluster//Directory//EN",
        f"UID:{contact_uid(contact)}",
        "N:" + ";".join(escape_text(part) for part in (family, given, additional, prefixes, "")),
        f"FN:{escape_text(contact.name)}",
        f"ORG:{escape_text(organization.name)}",
    ]
    if contact.role:
        lines.append(f"TITLE:{escape_text(contact.role)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{escape_text(contact.email)}")
    if phone := normalize_phone(contact.phone):
        lines.append(f"TEL;TYPE=WORK,VOICE:{phone}")
    if organization.city:
        lines.append(f"ADR;TYPE=WORK:;;;{escape_text(organization.city)};;;")
    if organization.website:
        lines.append(f"URL:{organization.website}")
    lines.append("END:VCARD")
    return "".join(f"{fold(line)}\r\n" for line in lines)


def vcard_filename(contact: Contact) -> str:
    """An ASCII file name from the person's name, which every browser and mail program handles."""
    return f"{slugify(contact.name.translate(_GERMAN_LETTERS)) or 'contact'}.vcf"
