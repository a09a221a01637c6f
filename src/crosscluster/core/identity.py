"""The visual identity and legal contacts of one installation (name, logo, colours, favicon, Impressum).

Everything comes from settings (`SITE_NAME`, `SITE_IDENTITY`, filled from environment variables), so another
region runs its own look without a code change. Templates receive it as `identity` (the context processor
core.context_processors.site); the favicon views draw a mark from the short name and the primary colour
when no favicon file is configured.
"""

import hashlib
import io
import re
from dataclasses import dataclass, fields
from functools import lru_cache

from django.conf import settings
from django.templatetags.static import static

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_PRIMARY = "#1a3d8f"
DEFAULT_ACCENT = "#f2a900"

# The Impressum (§ 5 DDG) needs these; the page lists the missing ones for the operator.
REQUIRED_OPERATOR_FIELDS = ("operator_name", "operator_address", "operator_representative", "operator_email")


@dataclass(frozen=True)
class Identity:
    name: str
    short_name: str
    tagline: str
    logo: str
    favicon: str
    color_primary: str
    color_accent: str
    operator_name: str
    operator_address: str
    operator_representative: str
    operator_email: str
    operator_phone: str
    operator_register: str
    operator_vat_id: str
    privacy_contact: str
    privacy_email: str

    @property
    def logo_url(self) -> str:
        return _asset_url(self.logo)

    @property
    def favicon_url(self) -> str:
        return _asset_url(self.favicon)

    @property
    def has_own_colours(self) -> bool:
        """site.css holds the default colours; only other ones need /identity.css (one request less)."""
        return (self.color_primary, self.color_accent) != (DEFAULT_PRIMARY, DEFAULT_ACCENT)

    @property
    def version(self) -> str:
        """Changes with the colours, so browsers fetch identity.css anew after a change."""
        return hashlib.sha256(f"{self.color_primary}{self.color_accent}".encode()).hexdigest()[:8]

    @property
    def missing_operator_fields(self) -> list[str]:
        """Environment variable names the operator still has to set for a complete Impressum."""
        return [f"SITE_{name.upper()}" for name in REQUIRED_OPERATOR_FIELDS if not getattr(self, name)]

    @property
    def operator_address_lines(self) -> list[str]:
        # Environment variables hold one line; "|" or a newline separates the address lines.
        return [line.strip() for line in re.split(r"\n|\|", self.operator_address) if line.strip()]


def _asset_url(value: str) -> str:
    if not value:
        return ""
    if value.startswith(("/", "http://", "https://")):
        return value
    return static(value)


def _colour(value: str, default: str) -> str:
    return value if HEX_COLOUR.match(value or "") else default


def _initials(name: str) -> str:
    words = [word for word in re.split(r"[\s\-–]+", name) if word[:1].isalpha()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def current_identity() -> Identity:
    raw = dict(getattr(settings, "SITE_IDENTITY", {}))
    names = [field.name for field in fields(Identity) if field.name != "name"]
    values = {name: str(raw.get(name, "") or "") for name in names}
    values["short_name"] = (values["short_name"] or _initials(settings.SITE_NAME))[:3]
    values["color_primary"] = _colour(values["color_primary"], DEFAULT_PRIMARY)
    values["color_accent"] = _colour(values["color_accent"], DEFAULT_ACCENT)
    return Identity(name=settings.SITE_NAME, **values)


def favicon_svg(identity: Identity) -> str:
    """A rounded square in the primary colour with the short name in white: readable at 16 px."""
    letters = identity.short_name
    size = 30 if len(letters) < 3 else 22
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{identity.color_primary}"/>'
        f'<rect x="0" y="52" width="64" height="12" fill="{identity.color_accent}"/>'
        '<text x="32" y="40" text-anchor="middle" font-family="Fira Sans, sans-serif" font-weight="600" '
        f'font-size="{size}" fill="#fff">{_escape(letters)}</text></svg>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=8)
def _favicon_png(letters: str, primary: str, accent: str, size: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=primary)
    draw.rectangle((0, size * 13 // 16, size - 1, size - 1), fill=accent)
    font = ImageFont.load_default(size=size * (15 if len(letters) < 3 else 11) // 32)
    draw.text((size / 2, size * 0.42), letters, font=font, fill="#ffffff", anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def favicon_png(identity: Identity, size: int = 180) -> bytes:
    return _favicon_png(identity.short_name, identity.color_primary, identity.color_accent, size)


def favicon_ico(identity: Identity) -> bytes:
    from PIL import Image

    png = Image.open(io.BytesIO(favicon_png(identity, 64)))
    buffer = io.BytesIO()
    png.save(buffer, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return buffer.getvalue()


def identity_css(identity: Identity) -> str:
    """Custom properties for site.css and KERN's action colour (both validated as #rrggbb)."""
    primary, accent = identity.color_primary, identity.color_accent
    return (
        f":root{{--cc-brand:{primary};--cc-accent:{accent};--accent:{primary};"
        f"--kern-color-action-default:{primary};--kern-color-action-default-contextual:{primary};"
        f"--kern-color-decorative-brand-default:{primary}}}\n"
    )
