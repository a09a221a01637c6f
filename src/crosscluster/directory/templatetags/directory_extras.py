"""Small filters for the public directory pages."""

from urllib.parse import urlsplit

from django import template

from crosscluster.directory.vcard import normalize_phone

register = template.Library()


@register.filter
def tel_href(phone: str) -> str:
    """A `tel:` URI with the digits only, so that every phone dials the number as written."""
    number = normalize_phone(phone or "")
    return f"tel:{number}" if number else ""


@register.filter
def url_host(url: str) -> str:
    """`https://www.example.org/path` → `example.org`: a short, readable link text for a website."""
    host = urlsplit(url or "").hostname or ""
    return host.removeprefix("www.")


@register.filter
def name_initials(name: str) -> str:
    """Up to two initials of a name's significant words ("Maschinenbau-Zentrum Thüringen" → "MT"), for
    placeholders where a picture is missing."""
    words = [
        word for word in str(name).replace("-", " ").split() if word[:1].isalpha() and word[:1].isupper()
    ]
    return "".join(word[0] for word in words[:2]) or str(name)[:1].upper()
