"""What an app server does once when its process starts, so that its first request costs what any does.

Django imports the URLconf (and with it every view module and the API's schemas, about a second of
pydantic) on the first request, builds the tables of `reverse` per language on their first use, compiles
each template on its first use, resolves each model's fields on its first query, and ONNX Runtime prepares
its buffers on the first sentence it encodes. `prepare_process` does all of that at start-up (`wsgi.py`);
it builds no index and reads nothing from the database (the search's SQL is built, never run), so every
process still answers from the database alone (bench/search.py measures the first search of a new process
after it).
"""

import logging

from django.conf import settings
from django.template.loader import get_template
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import translation

logger = logging.getLogger(__name__)

# Pages whose first view should not compile their templates (the search, the busiest one).
TEMPLATES = ("search/results.html", "search/_results.html", "search/_item.html", "search/_past.html")


# Pages resolved once per language at start-up, so that their patterns' expressions are compiled.
PATHS = ("search:results", "directory:list")


def _reverse_lookups(resolver: URLResolver) -> None:
    """Django builds each URLconf's table for `reverse` on first use, per language and per included
    URLconf (150 ms of the first search page: its links and the language switcher)."""
    resolver.reverse_dict  # noqa: B018
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            _reverse_lookups(pattern)


def prepare_process() -> None:
    get_resolver().url_patterns  # noqa: B018 (imports every view and builds the API's schemas)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            _reverse_lookups(get_resolver())
            for name in PATHS:
                resolve(reverse(name))
    for name in TEMPLATES:
        get_template(name)
    from crosscluster.search.services import prepare as prepare_search

    prepare_search()
    if settings.PAGE_CACHE_ENABLED:
        from crosscluster.core.page_cache import release

        release()  # hashes the code and templates (about 50 ms), else the first request would
    if settings.ROUTING_PRELOAD_ENCODER:
        from crosscluster.routing.encoders import get_encoder

        try:
            get_encoder().encode_queries(["Start"])  # loads the model and runs it once
        except Exception:  # the search ranks lexically without it; the router reports its own errors
            logger.exception("startup: the sentence encoder could not be loaded")
