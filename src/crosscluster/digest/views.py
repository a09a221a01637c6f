"""Public digest pages: the subscribe form, confirmation, the private "manage" page and unsubscribing.

Every answer of the subscribe form is the same "check your inbox" page, whether the address was new, waiting
for confirmation or already subscribed, so the form tells nobody who subscribes.

Links from mails are opened by mail scanners too, so nothing changes on a GET: confirming and unsubscribing
show a button that POSTs. The unsubscribe URL also takes the RFC 8058 one-click POST that mail programs
send without a CSRF token (and without cookies); it is the only view exempt from CSRF checks, and deleting
one's own subscription through an unguessable link is all it can do.
"""

import logging

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crosscluster.core.responses import private_page
from crosscluster.directory.models import Topic

from . import services, throttling
from .forms import HONEYPOT, ManageForm, SubscribeForm

logger = logging.getLogger(__name__)


def _limit_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "You have sent this form several times in a short time. "
        "Please wait %(minutes)s minute and try again.",
        "You have sent this form several times in a short time. "
        "Please wait %(minutes)s minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def _form_page(request: HttpRequest, form: SubscribeForm, status: int = 200) -> HttpResponse:
    return render(request, "digest/subscribe.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {}
        if slug := request.GET.get("topic", "").strip():
            initial["topics"] = list(Topic.objects.filter(slug=slug))
        return _form_page(request, SubscribeForm(initial=initial))

    if request.POST.get(HONEYPOT):
        # Pretend success: a bot learns nothing, and nothing is stored or mailed.
        logger.info("digest form: honeypot filled; nothing stored")
        return redirect("digest:check-inbox")
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form)
    data = form.cleaned_data
    address = throttling.client_address(request)
    admission = throttling.admit_request(data["email"], address)
    if not admission.allowed:
        form.add_error(None, ValidationError(_limit_message(admission.wait), code="throttled"))
        return _form_page(request, form, status=429)
    services.subscribe(
        email=data["email"],
        topics=data["topics"],
        language=translation.get_language(),
        consent=data["consent"],
    )
    return redirect("digest:check-inbox")


def check_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "digest/check_inbox.html")


def _gone(request: HttpRequest) -> HttpResponse:
    """Unknown, expired and deleted subscriptions look the same."""
    return private_page(render(request, "digest/gone.html", status=404))


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = services.subscriber_for_token(token)
    if subscriber is None:
        return _gone(request)
    if request.method == "POST":
        services.confirm_subscription(subscriber)
        return private_page(redirect(reverse("digest:manage", kwargs={"token": token}) + "?done=confirmed"))
    if subscriber.is_confirmed:
        return private_page(redirect("digest:manage", token=token))
    return private_page(render(request, "digest/confirm.html", {"subscriber": subscriber, "token": token}))


DONE_MESSAGES = {
    "confirmed": _("Thank you: your subscription is confirmed. The next digest comes to you."),
    "saved": _("Your changes are saved."),
}


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = services.subscriber_for_token(token)
    if subscriber is None:
        return _gone(request)
    if not subscriber.is_confirmed:
        return private_page(redirect("digest:confirm", token=token))
    if request.method == "POST":
        form = ManageForm(request.POST)
        if form.is_valid():
            services.update_subscription(
                subscriber, topics=form.cleaned_data["topics"], language=form.cleaned_data["language"]
            )
            with translation.override(subscriber.language):
                url = reverse("digest:manage", kwargs={"token": token})
            return private_page(redirect(url + "?done=saved"))
    else:
        form = ManageForm(initial={"topics": list(subscriber.topics.all()), "language": subscriber.language})
    done = DONE_MESSAGES.get(request.GET.get("done", ""))
    context = {"subscriber": subscriber, "token": token, "form": form, "done": str(done) if done else ""}
    return private_page(render(request, "digest/manage.html", context))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (scanners prefetch links); any POST unsubscribes, the RFC 8058 one-click POST included."""
    subscriber = services.subscriber_for_token(token)
    if request.method == "POST":
        if subscriber is not None:
            services.unsubscribe(subscriber)
        # Also for a link used twice: the answer is the same, and the address is gone either way. A page
        # rather than a redirect: mail programs that post in the background only look at the status.
        return private_page(render(request, "digest/unsubscribed.html"))
    if subscriber is None:
        return _gone(request)
    return private_page(render(request, "digest/unsubscribe_confirm.html", {"token": token}))
