"""Import a directory in the `crosscluster-directory/1` format (see docs/directory-format.md).

The whole file is checked before anything is written, and every problem is reported with its JSON path, so an
operator fixes a file in one round instead of one error per run. The import then upserts by slug in one
transaction and writes only what differs: importing the same file twice changes nothing, not even the audit
log.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models, transaction
from django.db.models import Prefetch

from crosscluster.core.bilingual import column
from crosscluster.core.sanitize import clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import announce, organizations_changed, texts_changed_once, topics_changed
from crosscluster.core.types import Actor

from .access import is_coordinator
from .models import Contact, Offer, Organization, Region, Topic, Video
from .search import refresh_search_text

FORMAT = "crosscluster-directory/1"
AUDIT_ACTION = "directory.organization.imported"

_SLUG = re.compile(r"[a-z0-9-]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_validate_url = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file, at a JSON path such as `$.organizations[3].offers[0].kind`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DirectoryImportError(Exception):
    """The file cannot be imported; `problems` lists every reason, nothing has been written."""

    def __init__(self, problems: Iterable[ImportProblem]) -> None:
        self.problems: list[ImportProblem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# The file, checked and normalised: missing, null and empty values are all "". Tuples so that the import can
# compare the file with the database by plain equality.


@dataclass(frozen=True)
class RegionData:
    slug: str
    name: str


@dataclass(frozen=True)
class TopicData:
    slug: str
    name: str
    synonyms: tuple[str, ...] = ()
    introduction: str = ""
    name_en: str = ""
    introduction_en: str = ""


@dataclass(frozen=True)
class OfferData:
    title: str
    description: str
    kind: str
    title_en: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class ContactData:
    name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True)
class VideoData:
    title: str
    url: str


@dataclass(frozen=True)
class OrganizationData:
    slug: str
    name: str
    kind: str
    city: str
    website: str
    summary: str
    description: str
    topics: tuple[str, ...]
    offers: tuple[OfferData, ...]
    contacts: tuple[ContactData, ...]
    videos: tuple[VideoData, ...]
    name_en: str = ""
    summary_en: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class DirectoryData:
    region: RegionData
    topics: tuple[TopicData, ...]
    organizations: tuple[OrganizationData, ...]


# Texts in German (`name`) and, optionally, English (`name_en`); see core/bilingual.py. The German one is
# stored in the `name_de` column (`column`), whatever language the import runs in.
ORGANIZATION_SCALARS = (
    *("name", "kind", "city", "website", "summary", "description"),
    *("name_en", "summary_en", "description_en"),
)


# --- Reading the file ---


class _JSONObject(dict):
    """A JSON object that remembers keys given twice; `json` would silently keep only the last value."""

    duplicate_keys: list[str]

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.duplicate_keys = []
        for key, value in pairs:
            if key in self:
                self.duplicate_keys.append(key)
            self[key] = value


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (in characters, both from 1) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


# The format nests four levels deep; a file nested much deeper is broken, and parsing or walking it costs
# the interpreter's stack (json raises RecursionError at about 1,000 levels).
MAX_DEPTH = 100
_TOO_DEEP = f"invalid JSON: nested too deeply (more than {MAX_DEPTH} levels of arrays and objects)"
# No field of the format is a number; longer integers are not even converted (Python refuses more than
# 4,300 digits with a ValueError), only reported with their length.
_MAX_INTEGER_DIGITS = 100


class _LongInteger:
    """An integer of the file too long to be worth converting: only its length is kept, for the message."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _LongInteger:
    digits = len(text.lstrip("-"))
    return _LongInteger(digits) if digits > _MAX_INTEGER_DIGITS else int(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(text: str) -> str:
    """A message with any lone surrogate written as its escape, so that a terminal can print it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _surrogate_problem(path: str, text: str) -> ImportProblem | None:
    """JSON's `\\ud800` escapes decode to lone surrogates, which are no characters: nothing can store or
    print them (UTF-8 cannot encode them)."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    code = f"\\u{ord(found.group()):04x}"
    message = f"contains {code}, half of a UTF-16 surrogate pair, which is not a character"
    return ImportProblem(_printable(path), f"{message} (the file was written by a broken program)")


def _unreadable_values(data: object) -> list[ImportProblem]:
    """Strings (keys too) that are no text, in file order, and nesting beyond `MAX_DEPTH`; walked with a
    stack of its own, since the file may nest as deep as the parser allowed."""
    problems: list[ImportProblem] = []
    # (value, its path, its depth); a key is pushed as a string at its value's path, to be checked first.
    stack: list[tuple[object, str, int]] = [(data, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [ImportProblem("$", _TOO_DEEP)]
        if isinstance(value, str):
            if problem := _surrogate_problem(path, value):
                problems.append(problem)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                item_path = _key_path(path, key)
                stack += [(item, item_path, depth + 1), (key, item_path, depth + 1)]
        elif isinstance(value, list):
            items = reversed(list(enumerate(value)))
            stack += [(item, f"{path}[{index}]", depth + 1) for index, item in items]
    return problems


def load_directory_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a directory file; unreadable files, bad encodings and bad JSON become a DirectoryImportError."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DirectoryImportError([ImportProblem("$", f"cannot read {path}: {exc.strerror}")]) from exc
    # A byte order mark is pointless in UTF-8 but harmless; some editors write one.
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, bom + exc.start)
        byte = raw[bom + exc.start]
        message = f"not UTF-8: byte 0x{byte:02x} at line {line} column {column} (save the file as UTF-8)"
        raise DirectoryImportError([ImportProblem("$", message)]) from exc
    try:
        data = json.loads(text, object_pairs_hook=_JSONObject, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise DirectoryImportError([ImportProblem("$", message)]) from exc
    except RecursionError as exc:  # deeper than the interpreter's recursion limit (about 1,000 levels)
        raise DirectoryImportError([ImportProblem("$", _TOO_DEEP)]) from exc
    if not isinstance(data, dict):
        raise DirectoryImportError([ImportProblem("$", f"expected an object, got {_type_name(data)}")])
    return data


# --- Validation ---


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, _LongInteger):
        return f"a number (an integer of {value.digits} digits)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: str, limit: int = 60) -> str:
    """Quote a value for a message, shortened so that a 10,000-character mistake stays readable."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _check_slug(value: str) -> str | None:
    if not _SLUG.fullmatch(value):
        return f"invalid slug {_show(value)} (use only lower-case letters a-z, digits and hyphens)"
    return None


def _check_url(value: str) -> str | None:
    try:
        _validate_url(value)
    except ValidationError:
        return f"invalid URL {_show(value)} (expected an absolute http:// or https:// URL)"
    return None


def _check_email(value: str) -> str | None:
    try:
        validate_email(value)
    except ValidationError:
        return f"invalid e-mail address {_show(value)}"
    return None


def _check_choice(choices: Iterable[str]) -> Callable[[str], str | None]:
    allowed = list(choices)

    def check(value: str) -> str | None:
        if value not in allowed:
            return f"unknown kind {_show(value)} (expected one of {', '.join(allowed)})"
        return None

    return check


@dataclass(frozen=True)
class _Text:
    """How one string field of the format is checked."""

    max_length: int | None
    required: bool = False
    check: Callable[[str], str | None] | None = None


def _text(model: type[models.Model], name: str, **kwargs: Any) -> _Text:
    return _Text(max_length=_max_length(model, name), **kwargs)


REGION_FIELDS = {
    "slug": _text(Region, "slug", required=True, check=_check_slug),
    "name": _text(Region, "name", required=True),
}
TOPIC_FIELDS = {
    "slug": _text(Topic, "slug", required=True, check=_check_slug),
    "name": _text(Topic, "name", required=True),
    "name_en": _text(Topic, "name_en"),
    "introduction": _text(Topic, "introduction"),
    "introduction_en": _text(Topic, "introduction_en"),
}
TOPIC_LISTS = ("synonyms",)
# One synonym is a word or a short phrase; `Topic.synonyms` keeps them one per line.
SYNONYM_FIELD = _Text(max_length=_max_length(Topic, "name"), required=True)
ORGANIZATION_FIELDS = {
    "slug": _text(Organization, "slug", required=True, check=_check_slug),
    "name": _text(Organization, "name", required=True),
    "kind": _text(Organization, "kind", required=True, check=_check_choice(Organization.Kind.values)),
    "city": _text(Organization, "city"),
    "website": _text(Organization, "website", check=_check_url),
    "summary": _text(Organization, "summary"),
    "description": _text(Organization, "description"),
    "name_en": _text(Organization, "name_en"),
    "summary_en": _text(Organization, "summary_en"),
    "description_en": _text(Organization, "description_en"),
}
ORGANIZATION_LISTS = ("topics", "offers", "contacts", "videos")
OFFER_FIELDS = {
    "title": _text(Offer, "title", required=True),
    "description": _text(Offer, "description"),
    "kind": _text(Offer, "kind", required=True, check=_check_choice(Offer.Kind.values)),
    "title_en": _text(Offer, "title_en"),
    "description_en": _text(Offer, "description_en"),
}
CONTACT_FIELDS = {
    "name": _text(Contact, "name", required=True),
    "role": _text(Contact, "role"),
    "email": _text(Contact, "email", check=_check_email),
    "phone": _text(Contact, "phone"),
}
VIDEO_FIELDS = {
    "title": _text(Video, "title", required=True),
    "url": _text(Video, "url", required=True, check=_check_url),
}
TOP_LEVEL_KEYS = ("format", "region", "topics", "organizations")


class _Checker:
    """Walks the parsed JSON once, collecting every problem and building the normalised DirectoryData."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(ImportProblem(path, message))

    def keys(self, value: dict[str, Any], path: str, allowed: Iterable[str]) -> None:
        """Unknown keys are errors at every level: a typo such as `emial` must not silently drop data."""
        allowed = list(allowed)
        for key in getattr(value, "duplicate_keys", ()):
            self.problem(_key_path(path, key), "given more than once in the same object")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(allowed)}"
                self.problem(_key_path(path, key), f"unknown key ({hint})")

    def object(self, value: object, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected an object, got {_type_name(value)}")
            return None
        return value

    def array(self, value: object, path: str) -> list[Any]:
        """Missing and null mean an empty list."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected an array, got {_type_name(value)}")
            return []
        return value

    def text(self, value: object, path: str, spec: _Text) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.problem(path, f"expected a string, got {_type_name(value)}")
            return ""
        if "\x00" in value:
            self.problem(path, "contains a NUL character, which the database cannot store")
            return value
        # Other control characters are dropped (vertical tabs become line breaks), as everywhere text
        # enters: they would break every XML and iCalendar export (core.sanitize.clean_text).
        value = clean_text(value)
        if spec.required and not value.strip():
            self.problem(path, "required, must not be empty" if value == "" else "must not be blank")
        elif spec.max_length is not None and len(value) > spec.max_length:
            self.problem(path, f"too long: {len(value)} characters (at most {spec.max_length})")
        elif value and spec.check is not None and (message := spec.check(value)):
            self.problem(path, message)
        return value

    def fields(
        self, value: dict[str, Any], path: str, specs: dict[str, _Text], *, extra: Iterable[str] = ()
    ) -> dict[str, str]:
        self.keys(value, path, [*specs, *extra])
        texts = {}
        for name, spec in specs.items():
            if spec.required and name not in value:
                self.problem(_key_path(path, name), "missing (required)")
                texts[name] = ""
            else:
                texts[name] = self.text(value.get(name), _key_path(path, name), spec)
        return texts

    def unique(self, seen: dict[str, str], slug: str, path: str, what: str) -> None:
        if not slug:
            return
        if slug in seen:
            self.problem(path, f"duplicate {what} {_show(slug)} (first at {seen[slug]})")
        else:
            seen[slug] = path

    def directory(self, data: object) -> DirectoryData | None:
        root = self.object(data, "$")
        if root is None:
            return None
        self.keys(root, "$", TOP_LEVEL_KEYS)
        if "format" not in root:
            self.problem("$.format", f"missing (expected {FORMAT!r})")
        elif root["format"] != FORMAT:
            shown = _show(root["format"]) if isinstance(root["format"], str) else _type_name(root["format"])
            self.problem("$.format", f"unsupported format {shown} (expected {FORMAT!r})")

        region = RegionData("", "")
        if "region" not in root:
            self.problem("$.region", "missing (required)")
        elif (value := self.object(root["region"], "$.region")) is not None:
            region = RegionData(**self.fields(value, "$.region", REGION_FIELDS))

        topics = []
        topic_paths: dict[str, str] = {}
        for index, item in enumerate(self.array(root.get("topics"), "$.topics")):
            path = f"$.topics[{index}]"
            if (value := self.object(item, path)) is not None:
                fields = self.fields(value, path, TOPIC_FIELDS, extra=TOPIC_LISTS)
                topic = TopicData(**fields, synonyms=self.synonyms(value.get("synonyms"), f"{path}.synonyms"))
                self.unique(topic_paths, topic.slug, f"{path}.slug", "topic slug")
                topics.append(topic)
        # Also slugs that failed their own check, so one bad topic slug is reported once, not at every use.
        raw_topics = root.get("topics")
        known_topics = [
            item.get("slug")
            for item in (raw_topics if isinstance(raw_topics, list) else [])
            if isinstance(item, dict)
        ]

        organizations = []
        organization_paths: dict[str, str] = {}
        for index, item in enumerate(self.array(root.get("organizations"), "$.organizations")):
            path = f"$.organizations[{index}]"
            if (value := self.object(item, path)) is not None:
                organization = self.organization(value, path, known_topics)
                self.unique(organization_paths, organization.slug, f"{path}.slug", "organisation slug")
                organizations.append(organization)
        return DirectoryData(region, tuple(topics), tuple(organizations))

    def synonyms(self, value: object, path: str) -> tuple[str, ...]:
        """Distinct strings, each on one line (`Topic.synonyms` stores them one per line)."""
        synonyms: list[str] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(self.array(value, path)):
            item_path = f"{path}[{index}]"
            text = self.text(item, item_path, SYNONYM_FIELD)
            if not isinstance(item, str) or not text.strip():
                continue
            if "\n" in text or "\r" in text:
                self.problem(item_path, "must be on one line")
            elif text != text.strip():
                self.problem(item_path, "must not start or end with spaces")
            elif text.casefold() in seen:
                self.problem(
                    item_path, f"synonym {_show(text)} is listed twice (first at {seen[text.casefold()]})"
                )
            else:
                seen[text.casefold()] = item_path
                synonyms.append(text)
        return tuple(synonyms)

    def organization(self, value: dict[str, Any], path: str, known_topics: list[Any]) -> OrganizationData:
        texts = self.fields(value, path, ORGANIZATION_FIELDS, extra=ORGANIZATION_LISTS)
        topics: list[str] = []
        for index, slug in enumerate(self.array(value.get("topics"), f"{path}.topics")):
            item_path = f"{path}.topics[{index}]"
            if not isinstance(slug, str):
                self.problem(item_path, f"expected a topic slug (string), got {_type_name(slug)}")
            elif slug not in known_topics:
                self.problem(item_path, f"unknown topic {_show(slug)} (not in $.topics)")
            elif slug in topics:
                self.problem(item_path, f"topic {_show(slug)} is listed twice")
            else:
                topics.append(slug)
        return OrganizationData(
            **texts,
            topics=tuple(topics),
            offers=self.items(value, path, "offers", OFFER_FIELDS, OfferData),
            contacts=self.items(value, path, "contacts", CONTACT_FIELDS, ContactData),
            videos=self.items(value, path, "videos", VIDEO_FIELDS, VideoData),
        )

    def items(self, value: dict[str, Any], path: str, name: str, specs: dict[str, _Text], cls: type) -> tuple:
        items = []
        for index, item in enumerate(self.array(value.get(name), f"{path}.{name}")):
            item_path = f"{path}.{name}[{index}]"
            if (obj := self.object(item, item_path)) is not None:
                items.append(cls(**self.fields(obj, item_path, specs)))
        return tuple(items)


def parse_directory(data: object) -> tuple[DirectoryData | None, list[ImportProblem]]:
    """Check the parsed JSON and normalise it; the data is only meaningful when there are no problems."""
    problems = _unreadable_values(data)
    if problems:
        return None, problems
    checker = _Checker()
    directory = checker.directory(data)
    return directory, checker.problems


def validate_directory(data: object) -> list[ImportProblem]:
    """Every problem of the file, in file order; an empty list means the file can be imported."""
    return parse_directory(data)[1]


# --- Applying ---


@dataclass
class ImportReport:
    """What an import did, by slug; `changed` is False when the database already matched the file."""

    region: str
    region_status: Literal["created", "updated", "unchanged"]
    topics_created: list[str] = field(default_factory=list)
    topics_updated: list[str] = field(default_factory=list)
    topics_unchanged: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.region_status != "unchanged"
            or self.topics_created
            or self.topics_updated
            or self.created
            or self.updated
        )

    def summary(self) -> str:
        if not self.changed:
            return (
                f"no changes: region {self.region}, {len(self.topics_unchanged)} topics and "
                f"{len(self.unchanged)} organisations are up to date"
            )
        return (
            f"organisations: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged; topics: {len(self.topics_created)} created, "
            f"{len(self.topics_updated)} updated, {len(self.topics_unchanged)} unchanged; "
            f"region {self.region}: {self.region_status}"
        )


def import_directory(data: dict[str, Any], *, actor: Actor) -> ImportReport:
    """Upsert the file's region, topics and organisations by slug, all or nothing.

    `actor=None` is the system (CLI, demo loader); a person must belong to the coordination office, because
    an import touches every organisation of a region. Raises DirectoryImportError and writes nothing when the
    file has problems.
    """
    if actor is not None and not is_coordinator(actor):
        raise PermissionDenied("Only the coordination office imports the directory.")
    directory, problems = parse_directory(data)
    if problems or directory is None:
        raise DirectoryImportError(problems)
    with transaction.atomic():
        return _apply(directory, actor)


def _apply(directory: DirectoryData, actor: Actor) -> ImportReport:
    region = Region.objects.filter(slug=directory.region.slug).first()
    slugs = [organization.slug for organization in directory.organizations]
    existing = {
        organization.slug: organization
        for organization in Organization.objects.filter(slug__in=slugs)
        .select_related("region")
        .prefetch_related(
            "offers",
            "contacts",
            # Uploaded videos cannot be described by the format; the import leaves them alone.
            Prefetch("videos", queryset=Video.objects.exclude(url=""), to_attr="external_videos"),
        )
    }
    # Slugs are unique across regions; silently moving another region's organisation would be a surprise.
    conflicts = [
        ImportProblem(
            f"$.organizations[{index}].slug",
            f"organisation {_show(item.slug)} belongs to region {_show(existing[item.slug].region.slug)}, "
            f"not {_show(directory.region.slug)}",
        )
        for index, item in enumerate(directory.organizations)
        if item.slug in existing and (region is None or existing[item.slug].region_id != region.pk)
    ]
    if conflicts:
        raise DirectoryImportError(conflicts)

    if region is None:
        region = Region.objects.create(slug=directory.region.slug, name=directory.region.name)
        report = ImportReport(region=region.slug, region_status="created")
    elif region.name != directory.region.name:
        region.name = directory.region.name
        region.save(update_fields=["name"])
        report = ImportReport(region=region.slug, region_status="updated")
    else:
        report = ImportReport(region=region.slug, region_status="unchanged")

    topics = _apply_topics(directory.topics, report)
    topic_slugs = _topic_slugs(existing.values())
    writer = _ChildWriter()
    changed_pks = []
    for item in directory.organizations:
        organization = existing.get(item.slug)
        if organization is None:
            organization = _create_organization(item, region, writer, topics)
            report.created.append(item.slug)
            data = {
                "format": FORMAT,
                "created": True,
                "topics": list(item.topics),
                "offers": len(item.offers),
                "contacts": len(item.contacts),
                "videos": len(item.videos),
            }
        else:
            changes = _update_organization(organization, item, writer, topics, topic_slugs[organization.pk])
            if not changes:
                report.unchanged.append(item.slug)
                continue
            report.updated.append(item.slug)
            data = {"format": FORMAT, "created": False, "changes": changes}
        changed_pks.append(organization.pk)
        log_action(AUDIT_ACTION, actor=actor, obj=organization, organization=organization, data=data)
    writer.flush()

    with texts_changed_once():  # the search documents of all changed organisations in a few batches
        for organization in Organization.objects.filter(pk__in=changed_pks).prefetch_related(
            "topics", "offers"
        ):
            refresh_search_text(organization)
    # Their publication decides whether their events are listed (events.signals), their names are in the
    # search documents of their events and notices.
    announce(organizations_changed, Organization, changed_pks, names=True)
    return report


def _apply_topics(items: Iterable[TopicData], report: ImportReport) -> dict[str, Topic]:
    """Upsert topics; `position` keeps the file's order, which is also the order of export and display."""
    items = list(items)
    topics = {topic.slug: topic for topic in Topic.objects.filter(slug__in=[item.slug for item in items])}
    for position, item in enumerate(items):
        topic = topics.get(item.slug)
        values = {
            "name_de": item.name,
            "name_en": item.name_en,
            "position": position,
            "synonyms": "\n".join(item.synonyms),
            "introduction_de": item.introduction,
            "introduction_en": item.introduction_en,
        }
        if topic is None:
            topics[item.slug] = Topic.objects.create(slug=item.slug, **values)
            report.topics_created.append(item.slug)
        elif {**_stored(topic, values), "synonyms": "\n".join(topic.synonym_list())} != values:
            for name, value in values.items():
                setattr(topic, name, value)
            topic.save(update_fields=list(values))
            report.topics_updated.append(item.slug)
        else:
            report.topics_unchanged.append(item.slug)
    changed = {*report.topics_created, *report.topics_updated}
    # The calendar's filter choices list them; renamed ones are in the documents of what has them.
    announce(topics_changed, Topic, [topics[slug].pk for slug in changed], names=True)
    return topics


def _stored(obj: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """The stored values of the fields in `values`, with an empty text for a NULL one (an English column)."""
    return {name: getattr(obj, name) if getattr(obj, name) is not None else "" for name in values}


def _columns(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The file's names as columns: `name` is the German text, `name_de` (core.bilingual.column)."""
    return {column(model, name): value for name, value in values.items()}


def _topic_slugs(organizations: Iterable[Organization]) -> dict[int, list[str]]:
    """Each organisation's topic slugs in the order they were imported (the order of the through rows).

    The many-to-many table has no position column, so the row id carries the file's order; see
    docs/directory-format.md.
    """
    slugs: dict[int, list[str]] = {organization.pk: [] for organization in organizations}
    rows = (
        Organization.topics.through.objects.filter(organization__in=list(slugs))
        .order_by("pk")
        .values_list("organization_id", "topic__slug")
    )
    for organization_id, slug in rows:
        slugs[organization_id].append(slug)
    return slugs


class _ChildWriter:
    """Collects deletions and new rows of all organisations, so each table costs one or two queries."""

    def __init__(self) -> None:
        self.replaced: dict[type[models.Model], list[int]] = {}
        self.rows: dict[type[models.Model], list[models.Model]] = {}

    def add(self, model: type[models.Model], rows: list[models.Model]) -> None:
        self.rows.setdefault(model, []).extend(rows)

    def replace(
        self, model: type[models.Model], organization: Organization, rows: list[models.Model]
    ) -> None:
        self.replaced.setdefault(model, []).append(organization.pk)
        self.add(model, rows)

    def flush(self) -> None:
        for model, organization_pks in self.replaced.items():
            queryset = model._default_manager.filter(organization__in=organization_pks)
            if model is Video:
                queryset = queryset.exclude(url="")
            queryset.delete()
        for model, rows in self.rows.items():
            model._default_manager.bulk_create(rows)


def _topic_rows(organization: Organization, slugs: Iterable[str], topics: dict[str, Topic]) -> list:
    through = Organization.topics.through
    return [through(organization=organization, topic=topics[slug]) for slug in slugs]


def _rows(model: type[models.Model], organization: Organization, items: Iterable[Any]) -> list[models.Model]:
    """New rows for offers, contacts or videos, numbered in file order."""
    return [
        model(organization=organization, position=position, **_columns(model, vars(item)))
        for position, item in enumerate(items)
    ]


def _create_organization(
    item: OrganizationData, region: Region, writer: _ChildWriter, topics: dict[str, Topic]
) -> Organization:
    organization = Organization(
        region=region,
        slug=item.slug,
        **_columns(Organization, {name: getattr(item, name) for name in ORGANIZATION_SCALARS}),
    )
    organization.save()
    # The through rows are created in file order (not with `topics.set()`, which loses it).
    writer.add(Organization.topics.through, _topic_rows(organization, item.topics, topics))
    writer.add(Offer, _rows(Offer, organization, item.offers))
    writer.add(Contact, _rows(Contact, organization, item.contacts))
    writer.add(Video, _rows(Video, organization, item.videos))
    return organization


def _update_organization(
    organization: Organization,
    item: OrganizationData,
    writer: _ChildWriter,
    topics: dict[str, Topic],
    old_topics: list[str],
) -> dict[str, Any]:
    """Bring one organisation in line with the file and return what changed as {field: [old, new]}.

    Offers, contacts and external videos are compared as ordered lists and replaced as a whole only when they
    differ, so an unchanged organisation costs no write at all.
    """
    changes: dict[str, Any] = {}
    for name in ORGANIZATION_SCALARS:
        old, new = getattr(organization, column(Organization, name)) or "", getattr(item, name)
        if old != new:
            changes[name] = [old, new]
            setattr(organization, column(Organization, name), new)
    if old_topics != list(item.topics):
        changes["topics"] = [old_topics, list(item.topics)]
        rows = _topic_rows(organization, item.topics, topics)
        writer.replace(Organization.topics.through, organization, rows)

    offers = tuple(
        OfferData(o.title_de or "", o.description_de or "", o.kind, o.title_en or "", o.description_en or "")
        for o in organization.offers.all()
    )
    if offers != item.offers:
        changes["offers"] = [[o.title for o in offers], [o.title for o in item.offers]]
        writer.replace(Offer, organization, _rows(Offer, organization, item.offers))
    contacts = tuple(ContactData(c.name, c.role, c.email, c.phone) for c in organization.contacts.all())
    if contacts != item.contacts:
        changes["contacts"] = [[c.name for c in contacts], [c.name for c in item.contacts]]
        writer.replace(Contact, organization, _rows(Contact, organization, item.contacts))
    videos = tuple(VideoData(v.title, v.url) for v in organization.external_videos)
    if videos != item.videos:
        changes["videos"] = [[v.title for v in videos], [v.title for v in item.videos]]
        writer.replace(Video, organization, _rows(Video, organization, item.videos))

    if changes:
        # Also for list-only changes, so `updated_at` tells when the profile last changed.
        scalars = [column(Organization, name) for name in ORGANIZATION_SCALARS if name in changes]
        organization.save(update_fields=[*scalars, "updated_at"])
    return changes
