"""Template helpers of the site frame: initials for placeholders where a logo or a photo is missing."""

import re

from django import template

register = template.Library()

# Words that make no initials: articles, conjunctions and legal forms.
SKIPPED = {"der", "die", "das", "und", "für", "the", "and", "of", "for", "e.v.", "gmbh", "dr.", "prof."}


@register.filter
def initials(name: str, count: int = 2) -> str:
    """ "Netzwerk Kunststoff Thüringen" → "NK"; "Dr. Katrin Hartmann" → "KH"; at most `count` letters."""
    words = [word for word in re.split(r"[\s\-–/()]+", str(name)) if word and word.lower() not in SKIPPED]
    letters = [word[0] for word in words if word[0].isalpha()]
    if len(letters) > count and words and not re.search(r"[a-z]", words[0]):
        return words[0][:count].upper()  # an acronym first ("MBZ", "IHK"): its letters
    return "".join(letters[:count]).upper() or "?"
