from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

LANGUAGE_LABELS = {"de": "Deutsch", "en": "English"}


def site(request: HttpRequest) -> dict[str, object]:
    current = get_language()
    path = request.get_full_path()
    language_links = [
        {
            "code": code,
            "label": LANGUAGE_LABELS.get(code, code),
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {"SITE_NAME": settings.SITE_NAME, "language_links": language_links}
