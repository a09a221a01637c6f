"""What an app server does once when its process starts, so that its first request costs what any does.

Django imports the URLconf (and with it every view module and the API's schemas, about a second of
pydantic) on the first request, compiles each template on its first use, and ONNX Runtime prepares its
buffers on the first sentence it encodes. `prepare_process` does all of that at start-up (`wsgi.py`);
it builds no index and reads nothing from the database, so every process still answers from the database
alone (bench/search.py measures the first search of a new process after it).
"""

import logging

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver

logger = logging.getLogger(__name__)

# Pages whose first view should not compile their templates (the search, the busiest one).
TEMPLATES = ("search/results.html", "search/_results.html", "search/_item.html", "search/_past.html")


def prepare_process() -> None:
    get_resolver().url_patterns  # noqa: B018 (imports every view and builds the API's schemas)
    for name in TEMPLATES:
        get_template(name)
    if settings.ROUTING_PRELOAD_ENCODER:
        from crosscluster.routing.encoders import get_encoder

        try:
            get_encoder().encode_queries(["Start"])  # loads the model and runs it once
        except Exception:  # the search ranks lexically without it; the router reports its own errors
            logger.exception("startup: the sentence encoder could not be loaded")
