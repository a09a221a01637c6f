"""Request and response shapes of /api/v1/.

Output schemas name related objects by slug (region, topics, organisation) and give files as absolute URLs,
so a client needs no second call to make sense of one answer. Input schemas are separate: they list exactly
what the API lets a client change (no slugs, no uploads) and refuse unknown fields instead of ignoring them.
"""

from typing import Any, Literal

from django.conf import settings
from django.db.models.fields.files import FieldFile
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from crosscluster.directory.models import Contact, Offer, Organization, Topic, Video

OrganizationKind = Literal[*Organization.Kind.values]
OfferKind = Literal[*Offer.Kind.values]
LanguageCode = Literal[*[code for code, _name in settings.LANGUAGES]]


def _absolute_url(file: FieldFile | None, context: dict[str, Any]) -> str | None:
    if not file:
        return None
    return str(context["request"].build_absolute_uri(file.url))


def _topic_slugs(obj: Organization | Offer) -> list[str]:
    # `.all()` so that a `prefetch_related("topics")` is used; the Topic ordering is the taxonomy's.
    return [topic.slug for topic in obj.topics.all()]


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class ClientSchema(Schema):
    """Anything a client sends (filters and bodies); text with NUL characters is refused.

    PostgreSQL can neither store nor compare such text, so it would fail in the database as a 500.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise PydanticCustomError("nul_character", "Text must not contain NUL characters")
        return value


# --- Errors ---------------------------------------------------------------------------------------------


class FieldError(Schema):
    location: Literal["body", "query", "path", "header"]
    field: str = Field(..., description="Dotted path inside the location, e.g. `topics.0`; empty for all.")
    detail: str
    code: str = Field(..., description="A machine-readable reason, e.g. `string_too_long`.")


class Problem(Schema):
    """An RFC 7807 problem object, served as `application/problem+json`."""

    type: str = Field("about:blank", description="`about:blank`: the status code says it all.")
    title: str
    status: int
    detail: str
    instance: str = Field(..., description="The request path.")
    errors: list[FieldError] | None = Field(None, description="Only for 422: what is wrong, field by field.")


# --- Read -----------------------------------------------------------------------------------------------


class RegionOut(Schema):
    slug: str
    name: str


def german(obj: Any, field: str) -> str:
    """The German text of a translated field, whatever language the request is in (core/bilingual.py)."""
    return getattr(obj, f"{field}_de", None) or ""


def english(obj: Any, field: str) -> str | None:
    """The English text of a translated field; None when there is none."""
    return getattr(obj, f"{field}_en", None) or None


class TopicOut(Schema):
    slug: str
    name: str
    name_en: str | None = Field(
        ..., description="The name in English; null when there is none (use the German one)."
    )

    @staticmethod
    def resolve_name(obj: Topic) -> str:
        return german(obj, "name")

    @staticmethod
    def resolve_name_en(obj: Topic) -> str | None:
        return english(obj, "name")


class OfferOut(Schema):
    id: int
    organization: str = Field(..., description="Slug of the organisation that makes the offer.")
    title: str
    title_en: str | None = Field(
        ..., description="The title in English; null when there is none (use the German one)."
    )
    description: str
    description_en: str | None = Field(
        ..., description="The description in English; null when there is none (use the German one)."
    )
    kind: OfferKind
    topics: list[str] = Field(..., description="Topic slugs.")
    position: int

    @staticmethod
    def resolve_organization(obj: Offer) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_title(obj: Offer) -> str:
        return german(obj, "title")

    @staticmethod
    def resolve_title_en(obj: Offer) -> str | None:
        return english(obj, "title")

    @staticmethod
    def resolve_description(obj: Offer) -> str:
        return german(obj, "description")

    @staticmethod
    def resolve_description_en(obj: Offer) -> str | None:
        return english(obj, "description")

    @staticmethod
    def resolve_topics(obj: Offer) -> list[str]:
        return _topic_slugs(obj)


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str
    photo_url: str | None = Field(..., description="Absolute URL of the photo, if there is one.")
    position: int

    @staticmethod
    def resolve_photo_url(obj: Contact, context: dict[str, Any]) -> str | None:
        return _absolute_url(obj.photo, context)


class VideoOut(Schema):
    """Either `external_url` (a video platform) or `file_url` (uploaded, with poster and captions) is set."""

    id: int
    title: str
    external_url: str | None
    file_url: str | None
    poster_url: str | None
    captions_url: str | None
    captions_language: LanguageCode
    position: int

    @staticmethod
    def resolve_external_url(obj: Video) -> str | None:
        return obj.url or None

    @staticmethod
    def resolve_file_url(obj: Video, context: dict[str, Any]) -> str | None:
        return _absolute_url(obj.file, context)

    @staticmethod
    def resolve_poster_url(obj: Video, context: dict[str, Any]) -> str | None:
        return _absolute_url(obj.poster, context)

    @staticmethod
    def resolve_captions_url(obj: Video, context: dict[str, Any]) -> str | None:
        return _absolute_url(obj.captions, context)


class OrganizationSummary(Schema):
    """An organisation as it appears in lists."""

    slug: str
    name: str
    name_en: str | None = Field(
        ..., description="The name in English; null when there is none (use the German one)."
    )
    kind: OrganizationKind
    region: str = Field(..., description="Region slug.")
    city: str
    website: str
    summary: str
    summary_en: str | None = Field(
        ..., description="The summary in English; null when there is none (use the German one)."
    )
    logo_url: str | None = Field(..., description="Absolute URL of the logo, if there is one.")
    topics: list[str] = Field(..., description="Topic slugs.")

    @staticmethod
    def resolve_name(obj: Organization) -> str:
        return german(obj, "name")

    @staticmethod
    def resolve_name_en(obj: Organization) -> str | None:
        return english(obj, "name")

    @staticmethod
    def resolve_summary(obj: Organization) -> str:
        return german(obj, "summary")

    @staticmethod
    def resolve_summary_en(obj: Organization) -> str | None:
        return english(obj, "summary")

    @staticmethod
    def resolve_region(obj: Organization) -> str:
        return obj.region.slug

    @staticmethod
    def resolve_logo_url(obj: Organization, context: dict[str, Any]) -> str | None:
        return _absolute_url(obj.logo, context)

    @staticmethod
    def resolve_topics(obj: Organization) -> list[str]:
        return _topic_slugs(obj)


class OrganizationDetail(OrganizationSummary):
    """One organisation with everything its public page shows."""

    description: str
    description_en: str | None = Field(
        ..., description="The description in English; null when there is none (use the German one)."
    )
    published: bool
    offers: list[OfferOut]

    @staticmethod
    def resolve_description(obj: Organization) -> str:
        return german(obj, "description")

    @staticmethod
    def resolve_description_en(obj: Organization) -> str | None:
        return english(obj, "description")

    contacts: list[ContactOut]
    videos: list[VideoOut]

    @staticmethod
    def resolve_offers(obj: Organization) -> list[Offer]:
        return list(obj.offers.all())

    @staticmethod
    def resolve_contacts(obj: Organization) -> list[Contact]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_videos(obj: Organization) -> list[Video]:
        return list(obj.videos.all())


class RegionList(Schema):
    count: int
    items: list[RegionOut]


class TopicList(Schema):
    count: int
    items: list[TopicOut]


class OrganizationList(Schema):
    count: int
    items: list[OrganizationSummary]


class OfferList(Schema):
    count: int
    items: list[OfferOut]


# --- Write ----------------------------------------------------------------------------------------------


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """An optional field of a change set has no default value; leaving it out keeps the current one."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class InputSchema(ClientSchema):
    """Unknown fields are refused so that a typo or a read-only field (slug, logo) is not silently lost."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)

    def submitted(self) -> dict[str, Any]:
        """Only the fields the client sent, so the model's and the service's defaults apply to the rest."""
        return self.model_dump(exclude_unset=True)


class ChangeSchema(InputSchema):
    """A PATCH body: every field may be left out; only those sent are changed. `null` is refused."""


class OrganizationUpdate(ChangeSchema):
    name: str = Field(None, min_length=1, max_length=200)
    name_en: str = Field(None, max_length=200, description="English; empty: none (pages show the German).")
    summary_en: str = Field(None, max_length=600, description="English; empty: none.")
    description_en: str = Field(None, max_length=10000, description="English; empty: none.")
    kind: OrganizationKind = None
    city: str = Field(None, max_length=100)
    website: str = Field(None, max_length=200, description="An http(s) URL, or empty.")
    summary: str = Field(None, max_length=600)
    description: str = Field(None, max_length=10000)
    published: bool = Field(None, description="Only the coordination office may change this.")
    topics: list[str] = Field(None, description="Topic slugs; replaces the current topics.")


class OfferCreate(InputSchema):
    title: str = Field(..., min_length=1, max_length=200)
    title_en: str = Field("", max_length=200, description="English; empty: none (pages show the German).")
    description: str = Field("", max_length=5000)
    description_en: str = Field("", max_length=5000, description="English; empty: none.")
    kind: OfferKind = "advice"
    topics: list[str] = Field([], description="Topic slugs.")
    position: int = Field(None, ge=0, description="Defaults to the end of the list.")


class OfferUpdate(ChangeSchema):
    title: str = Field(None, min_length=1, max_length=200)
    title_en: str = Field(None, max_length=200, description="English; empty: none (pages show the German).")
    description: str = Field(None, max_length=5000)
    description_en: str = Field(None, max_length=5000, description="English; empty: none.")
    kind: OfferKind = None
    topics: list[str] = Field(None, description="Topic slugs; replaces the current topics.")
    position: int = Field(None, ge=0)


class ContactCreate(InputSchema):
    """The photo is uploaded in the manager area, not through the API."""

    name: str = Field(..., min_length=1, max_length=150)
    role: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    position: int = Field(None, ge=0, description="Defaults to the end of the list.")


class ContactUpdate(ChangeSchema):
    name: str = Field(None, min_length=1, max_length=150)
    role: str = Field(None, max_length=150)
    email: str = Field(None, max_length=254)
    phone: str = Field(None, max_length=40)
    position: int = Field(None, ge=0)


class VideoCreate(InputSchema):
    """Only external videos: files, posters and captions are uploaded in the manager area."""

    title: str = Field(..., min_length=1, max_length=200)
    url: str = Field(..., min_length=1, max_length=200, description="The http(s) URL on the platform.")
    captions_language: LanguageCode = "de"
    position: int = Field(None, ge=0, description="Defaults to the end of the list.")


class VideoUpdate(ChangeSchema):
    title: str = Field(None, min_length=1, max_length=200)
    url: str = Field(None, min_length=1, max_length=200)
    captions_language: LanguageCode = None
    position: int = Field(None, ge=0)


# --- Filters and responses ------------------------------------------------------------------------------


class OrganizationFilters(ClientSchema):
    region: str | None = Field(None, pattern=SLUG_PATTERN, description="Region slug.")
    topic: str | None = Field(None, pattern=SLUG_PATTERN, description="Topic slug.")
    kind: OrganizationKind | None = None
    city: str | None = Field(None, max_length=100, description="City name, ignoring case.")
    q: str | None = Field(
        None,
        max_length=200,
        description="Words to find in any German word form: Förderung finds Fördermittel.",
    )


class OfferFilters(ClientSchema):
    organization: str | None = Field(None, pattern=SLUG_PATTERN, description="Organisation slug.")
    topic: str | None = Field(None, pattern=SLUG_PATTERN, description="Topic slug.")
    kind: OfferKind | None = None
    q: str | None = Field(
        None,
        max_length=200,
        description="Words to find in the offer's title and description, in any word form.",
    )


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """The error answers an operation documents; the OpenAPI schema serves them as problem+json."""
    return dict.fromkeys(statuses, Problem)
