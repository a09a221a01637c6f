"""Response headers that several apps need for the same reason."""

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers


def private_page(response: HttpResponse) -> HttpResponse:
    """A page reached by a private token link (inquiry status, digest subscription).

    Never cached or indexed, and the link is never named in a Referer to other sites. `same-origin` rather
    than `no-referrer`: under `no-referrer` browsers send `Origin: null` with the page's own form POSTs,
    which Django's CSRF check rejects, so buttons such as "withdraw my inquiry" would fail.
    """
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
