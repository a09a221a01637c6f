"""Texts in German and English: the directory's, the events' and the notices'.

django-modeltranslation adds a `<field>_de` and a `<field>_en` column for each field named in an app's
`translation.py` (directory, events, news). `obj.<field>` reads the text of the active language and falls back
to German when the English one is missing; forms, the import format and the API name the columns directly.

German is the language of record: it is required where a text is, and what the site shows when English is
missing. Such a German text on an English page must say so (`lang="de"`, for screen readers and translation
tools), so pages read translated texts through `localized`, which also tells the language of the text:
`{% lang_attr org "name" %}` writes ` lang="de"` on the element when it falls back, and
`{% localized org "name" %}` writes the text, in a `<span lang="de">` when it falls back.

In queries a translated field's plain name means its German column in every language (`lookups_in_german`):
`order_by("name")` sorts by the German names, `filter(name=…)` and `Model(name=…)` use German, on any page.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

GERMAN = "de"
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class Localized:
    """A text and the language it is in; `fallback` when that is not the page's language."""

    text: str
    lang: str
    fallback: bool

    def __str__(self) -> str:
        return self.text


def page_language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def localized(obj, field: str, language: str | None = None) -> Localized:
    """The text of `field` in `language` (default: the active one), else the German text."""
    language = language or page_language()
    for lang in dict.fromkeys((language, GERMAN)):
        text = getattr(obj, f"{field}_{lang}", None)
        if text:
            return Localized(text, lang, lang != language)
    return Localized("", language, False)


def texts(obj, field: str) -> dict[str, str]:
    """Every language's text of `field`, empty ones included: {"de": …, "en": …}."""
    return {lang: getattr(obj, f"{field}_{lang}", None) or "" for lang in LANGUAGES}


def all_texts(obj, field: str) -> str:
    """The German text and, where present, the English one, for search and routing."""
    return "\n".join(text for text in texts(obj, field).values() if text)


def with_english(german: str | None, *english: str | None) -> str:
    """A German text followed by the English texts that are given, for search and routing."""
    return "\n".join(text for text in (german, *english) if text)


def translated_fields(model) -> tuple[str, ...]:
    """The plain names of a model's translated texts, e.g. ("name", "summary", "description")."""
    from modeltranslation.translator import NotRegistered, translator

    try:
        return tuple(translator.get_options_for_model(model).get_field_names())
    except NotRegistered:
        return ()


def column(model, field: str) -> str:
    """The attribute to read or write for `field`: a translated text's plain name means its German column.

    `obj.name = …` would write the active language's column (modeltranslation), so services that take
    `name` (the import, the API) write `name_de` instead, whatever language the request is in.
    """
    return f"{field}_{GERMAN}" if field in translated_fields(model) else field


def plain_name(model, field: str) -> str:
    """`name` for `name_de`, as the audit log names a change of the German text; any other name as it is."""
    base = field.removesuffix(f"_{GERMAN}")
    return base if base != field and base in translated_fields(model) else field


def translation_columns(model) -> list[str]:
    """Every language column of a model's translated texts: ["name_de", "name_en", …]."""
    return [f"{field}_{lang}" for field in translated_fields(model) for lang in LANGUAGES]


def english(fields) -> tuple[str, ...]:
    """The English columns of the given translated fields: ("name",) -> ("name_en",)."""
    return tuple(f"{field}_en" for field in fields)


def lookups_in_german() -> None:
    """Make modeltranslation read a translated field's plain name in queries as its German column.

    modeltranslation rewrites `filter(name=…)`, `order_by("name")`, `update(name=…)` and `Model(name=…)` to
    the active language's column, without fallback: on an English page, `order_by("name")` would sort every
    organisation without an English name first, in no order, and a filter would miss German-only rows. Here
    the plain name always means the German column (the language of record); reading `obj.name` still gives
    the active language's text with the German fallback. Called once from CoreConfig.ready.
    """
    from modeltranslation import manager, translator

    if getattr(manager.rewrite_lookup_key, "german", False):
        return
    original = manager.rewrite_lookup_key

    def rewrite_lookup_key(model, lookup_key):
        with translation.override(GERMAN):
            return original(model, lookup_key)

    rewrite_lookup_key.german = True
    manager.rewrite_lookup_key = rewrite_lookup_key
    translator.rewrite_lookup_key = rewrite_lookup_key
