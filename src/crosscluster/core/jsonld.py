"""JSON-LD (schema.org) inside a page: the one way to write it into a <script> element safely."""

import json

from django.utils.safestring import SafeString, mark_safe

from .sanitize import clean_texts


def json_ld_script(data: dict) -> SafeString:
    """The data as the body of a <script> element: `<`, `>` and `&` escaped, so no text can close it."""
    # Cleaned once more, like the feeds: a lone surrogate could not even be encoded into the page.
    text = json.dumps(clean_texts(data), ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 — escaped above
