from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

from .identity import current_identity

LANGUAGE_LABELS = {"de": "Deutsch", "en": "English"}


def _path_in_language(path: str, current: str, target: str) -> str:
    """The same page in another language.

    `translate_url` only knows paths that resolve; for anything else (a 404 page) swap the language prefix:
    German, the default language, has none, other languages have `/<code>/`.
    """
    translated = translate_url(path, target)
    if translated != path or current == target:
        return translated
    default = settings.LANGUAGE_CODE
    bare = path[len(current) + 1 :] if current != default and path.startswith(f"/{current}/") else path
    return bare if target == default else f"/{target}{bare}"


def site(request: HttpRequest) -> dict[str, object]:
    current = get_language()
    path = request.get_full_path()
    language_links = [
        {
            "code": code,
            "label": LANGUAGE_LABELS.get(code, code),
            "url": _path_in_language(path, current, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {"SITE_NAME": settings.SITE_NAME, "identity": current_identity(), "language_links": language_links}
