"""What the manager-area views of every app share: the methods they accept, the form data they bind, and a
service call whose refusal becomes a form error instead of a crash."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

read_only = require_http_methods(["GET", "HEAD"])
# Write views show their form (or the delete question) on GET and act on POST; nothing else.
read_write = require_http_methods(["GET", "HEAD", "POST"])


def bound(request: HttpRequest) -> tuple[Any, ...]:
    """Form arguments: the submitted data and files on POST, nothing (an unbound form) otherwise."""
    return (request.POST, request.FILES) if request.method == "POST" else ()


def call_service(
    form: forms.BaseForm,
    service: Callable[..., Any],
    *args: Any,
    refusals: tuple[type[Exception], ...],
    **kwargs: Any,
) -> Any:
    """Run the service; a refusal (one of `refusals`) becomes a form error: nothing saved, None returned."""
    try:
        return service(*args, **kwargs)
    except refusals as exc:
        form.add_error(None, str(exc) or _("You may not make this change."))
        return None
