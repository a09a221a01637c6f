"""Translated texts on pages, with the German fallback marked (see core/bilingual.py).

A builtin library (settings.TEMPLATES), so templates need no `{% load %}`.
"""

from django import template
from django.utils.html import format_html

from crosscluster.core.bilingual import localized as localized_text

register = template.Library()


@register.simple_tag
def lang_attr(obj, field: str) -> str:
    """` lang="de"` when the page shows `obj.<field>` in German for want of a translation, else nothing."""
    text = localized_text(obj, field)
    return format_html(' lang="{}"', text.lang) if text.fallback else ""


@register.simple_tag
def localized(obj, field: str) -> str:
    """The text of `obj.<field>` in the page's language, a German fallback in `<span lang="de">`."""
    text = localized_text(obj, field)
    if text.fallback:
        return format_html('<span lang="{}">{}</span>', text.lang, text.text)
    return text.text
