"""Every API error is an RFC 7807 problem object served as `application/problem+json`.

Clients then parse one shape for every failure, whether ninja, Django or a directory service raised it:
`type`, `title`, `status`, `detail`, `instance`, and for validation failures a list of `errors`, each naming
where (`location`: body, query, path, header) and which field (`field`, a dotted path) it concerns.
"""

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from crosscluster.core.problems import PROBLEM_CONTENT_TYPE, problem
from crosscluster.directory.services import DirectoryError

# The same logger (and message) as Django's own 500 handling, so error reporting still sees API crashes.
request_logger = logging.getLogger("django.request")


class Throttled(HttpError):
    """Too many requests from this client; `Retry-After` says when to ask again."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(429, detail)
        self.retry_after = retry_after


class InvalidToken(AuthenticationError):
    """A bearer token was sent but is unknown or belongs to an inactive user."""

    def __init__(self) -> None:
        super().__init__(401, "invalid token")


def _dotted(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


# Every operation names its one body parameter so. The body is then the schema itself, and the parameter
# name that ninja puts second in a body error's `loc` is not part of the client's document.
BODY_PARAM = "payload"


def invalid_body(field: tuple[str | int, ...], detail: str, code: str) -> ValidationError:
    """A validation error found by the endpoint itself (e.g. an unknown topic slug), shaped like ninja's."""
    return ValidationError([{"loc": ("body", BODY_PARAM, *field), "msg": detail, "type": code}])


def _ninja_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Turn ninja's `loc` tuples into `location` + dotted `field`."""
    result = []
    for error in exc.errors:
        location, *path = error.get("loc") or ("body",)
        if location == "body" and path[:1] == [BODY_PARAM]:
            path = path[1:]
        result.append(
            {
                "location": location,
                "field": _dotted(path),
                "detail": error.get("msg", ""),
                "code": error.get("type", "invalid"),
            }
        )
    return result


def _directory_errors(exc: DirectoryError) -> list[dict[str, Any]]:
    """Recover the per-field messages of the model validation that the service turned into one message."""
    cause = exc.__cause__
    if not isinstance(cause, DjangoValidationError) or not hasattr(cause, "error_dict"):
        return []
    return [
        {
            "location": "body",
            "field": "" if field == NON_FIELD_ERRORS else field,
            "detail": message,
            "code": "invalid",
        }
        for field, messages in cause.message_dict.items()
        for message in messages
    ]


def handle_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem(request, 422, _("The request is not valid."), errors=_ninja_errors(exc))


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 401:
        challenge = 'Bearer error="invalid_token"' if isinstance(exc, InvalidToken) else "Bearer"
        detail = (
            _("The API token is not valid.")
            if isinstance(exc, InvalidToken)
            else _("Send an API token: Authorization: Bearer <key>.")
        )
        return problem(request, 401, detail, headers={"WWW-Authenticate": challenge})
    if isinstance(exc, Throttled):
        return problem(request, 429, str(exc), headers={"Retry-After": str(exc.retry_after)})
    return problem(request, exc.status_code, str(exc))


def handle_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, str(exc) or _("Not found."))


def handle_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, str(exc) or _("You may not do this."))


def handle_directory_error(request: HttpRequest, exc: DirectoryError) -> HttpResponse:
    return problem(request, 422, str(exc), errors=_directory_errors(exc))


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    request_logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    return problem(request, 500, _("Something went wrong on our side; it has been logged."))


def register_exception_handlers(api: NinjaAPI) -> None:
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (ValidationError, handle_validation_error),
        (HttpError, handle_http_error),
        (Http404, handle_not_found),
        (PermissionDenied, handle_permission_denied),
        (DirectoryError, handle_directory_error),
        (Exception, handle_unexpected),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap each URL's view: messages in the client's language, and problems where ninja answers otherwise.

    The site's LocaleMiddleware gives every path without a language prefix the default language; an API
    client states its language with `Accept-Language` instead. ninja answers an unsupported method with a
    plain-text 405 and its root URL with a bare `Http404`; a 204 needs no content type.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):
            return _as_problem(request, view, *args, **kwargs)

    return wrapper


def _as_problem(
    request: HttpRequest, view: Callable[..., HttpResponse], *args: Any, **kwargs: Any
) -> HttpResponse:
    try:
        response = view(request, *args, **kwargs)
    except Http404:
        return not_found(request)
    if response.status_code == 204:
        del response["Content-Type"]
    if response.status_code == 405 and response.get("Content-Type") != PROBLEM_CONTENT_TYPE:
        # ninja builds the header from a set; sort it so the answer is the same every time.
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip()))
        return problem(
            request,
            405,
            _("This endpoint allows only %(methods)s.") % {"methods": allowed},
            headers={"Allow": allowed},
        )
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that no endpoint serves."""
    return problem(
        request,
        404,
        _("There is no API endpoint at this path; the docs are at %(url)s.")
        % {"url": reverse("api:openapi-view")},
    )
