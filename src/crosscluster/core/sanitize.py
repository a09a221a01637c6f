"""Text from outside (imports, feeds, forms, the API): HTML passes through nh3 before it is ever rendered,
and characters that no XML, iCalendar or database can carry are removed before anything is stored."""

import re
from typing import Any

import nh3
from django.utils.functional import Promise

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def clean_html(html: str) -> str:
    """Keep harmless formatting, drop scripts, event handlers and styles; links get rel=noopener."""
    return nh3.clean(
        clean_text(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


# Characters that XML 1.0 does not allow in a document (its `Char` production, section 2.2): the C0
# controls but tab, line feed and carriage return; lone UTF-16 surrogates; U+FFFE and U+FFFF. DEL is allowed
# by XML but not by iCalendar's TEXT (RFC 5545 3.3.11), and is never meant as text either. One such
# character in a title made every RSS and Atom feed of the site answer 500 (Django's feed writer refuses
# it), a lone surrogate cannot even be encoded as UTF-8, and PostgreSQL cannot store NUL.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Word writes a manual line break as a vertical tab, and a page break as a form feed: a line break each.
_AS_LINE_BREAK = frozenset("\x0b\x0c")


def _replacement(match: re.Match[str]) -> str:
    return "\n" if match.group() in _AS_LINE_BREAK else ""


def clean_text(value: str) -> str:
    """Text as every format we write can carry it: what XML 1.0 forbids removed, Word's breaks kept.

    Applied where text from outside enters (forms through the services, the API, imports and feeds) so
    that nothing stored needs it again; the writers of XML, iCalendar and JSON-LD apply it once more, so
    that a value stored before (or by a path that forgot) cannot break a feed for everyone.
    """
    if not _NOT_TEXT.search(value):
        return value
    return _NOT_TEXT.sub(_replacement, value)


def clean_texts(value: Any) -> Any:
    """`clean_text` on every string in a value, also inside lists, tuples and dicts (keys too)."""
    if isinstance(value, Promise):  # a lazy translation
        value = str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return type(value)(clean_texts(item) for item in value)
    if isinstance(value, dict):
        return {clean_texts(key): clean_texts(item) for key, item in value.items()}
    return value
