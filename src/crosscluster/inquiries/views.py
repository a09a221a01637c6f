"""The company's side of an inquiry: the form "Anfrage stellen", the thank-you page, the private status page.

The form works in two steps without JavaScript: the first POST ("find who fits") validates what the company
typed and asks the routing engine for suggestions; the second sends the inquiry to the chosen organisation,
or to the coordination office. The suggestions shown travel signed in the form, so the inquiry stores exactly
what the company saw and chose from.

Sending is idempotent: every form carries a one-time `submission` key (made when the form is first shown,
kept through every step and error). The inquiry stores it, unique, so the second step posted twice (a
double click, the browser's "resend", a retry after a timeout) finds the stored inquiry and shows the
thank-you page again instead of storing and mailing it twice.

The status token appears in as few places as possible: the mail, the status URL and, for the thank-you page
after the redirect, the session. Pages that show it never name it in a Referer (`core.responses`).
"""

import logging
import re
import secrets
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from crosscluster.accounts import throttling as accounts_throttling
from crosscluster.core.responses import private_page
from crosscluster.directory import queries
from crosscluster.directory.models import Organization, Region, Topic

from . import services, throttling
from .forms import COORDINATION, HONEYPOT, InquiryForm, Recipient
from .history import inquiry_history
from .models import TEXT_MAX_LENGTH, Inquiry, hash_status_token

logger = logging.getLogger(__name__)

SUGGESTIONS_SALT = "crosscluster.inquiries.suggestions"
SUGGESTIONS_MAX_AGE = 24 * 60 * 60
SUGGESTIONS_COUNT = 5
THANKS_SESSION_KEY = "inquiries:thanks"
SUBMISSION_FIELD = "submission"
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")
# An anonymous visitor's session exists only for the thank-you page; it expires soon after.
THANKS_SESSION_SECONDS = 60 * 60


# Routing ----------------------------------------------------------------------------------------------


def routing_suggest(text: str, *, region: Region, top: int) -> Any:
    """The routing engine's `suggest`, or None while `crosscluster.routing` is not installed."""
    if not apps.is_installed("crosscluster.routing"):
        return None
    from crosscluster.routing.services import suggest

    return suggest(text, region=region, top=top)


def fit_label(fit: str | None) -> str:
    """The translated words of a stored fit ("fits very well"); "" when unknown or without the engine."""
    if not fit or not apps.is_installed("crosscluster.routing"):
        return ""
    from crosscluster.routing.services import fit_label as label

    return label(fit)


def _ask_routing(request: HttpRequest, text: str, region: Region) -> dict[str, Any]:
    """The suggestions to show and store: {"confident", "items": [{"organization", "score", "fit", …}]}.

    Without an answer from the engine nobody is suggested and the coordination office decides: a broken
    engine must never keep a company from asking. So does a client that asked more often than routing
    queries allow (`accounts.throttling.admit_routing`, shared with POST /api/v1/route): it can still send
    its inquiry, but costs no more CPU.
    """
    address = throttling.client_address(request)
    if not accounts_throttling.admit_routing(address).allowed:
        logger.warning("inquiry form: routing queries of %s over the limit; no suggestions", address)
        return {"confident": False, "items": []}
    try:
        result = routing_suggest(text, region=region, top=SUGGESTIONS_COUNT)
    except Exception:
        logger.exception("routing failed; the coordination office decides")
        result = None
    if result is None:
        return {"confident": False, "items": []}
    items = [
        {
            "organization": suggestion.organization.slug,
            "score": round(float(suggestion.score), 4),
            "fit": str(getattr(suggestion, "fit", "")),
            "reasons": [str(reason) for reason in suggestion.reasons],
        }
        for suggestion in result.results
    ]
    return {"confident": bool(result.confident), "items": items}


def _recipients(
    suggestions: dict[str, Any], region: Region, preselected: Organization | None
) -> tuple[list[Recipient], str]:
    """The radio choices (organisations in the engine's order, the coordination office last) and the
    choice checked at first: the organisation the company came from, else the best fit when the engine is
    confident, else the coordination office."""
    slugs = [item["organization"] for item in suggestions["items"]]
    found = queries.published_organizations().filter(region=region, slug__in=slugs).in_bulk(field_name="slug")
    recipients: list[Recipient] = []
    if preselected is not None:
        recipients.append(Recipient(preselected.slug, preselected, [_("You chose it on its page.")]))
    for item in suggestions["items"]:
        organization = found.get(item["organization"])
        # The office is the last choice anyway ("let the coordination office decide").
        if organization is None or organization.kind == Organization.Kind.COORDINATION:
            continue
        fit = str(item.get("fit") or "")
        if preselected is not None and organization.pk == preselected.pk:
            recipients[0].reasons.extend(item["reasons"])
            recipients[0].fit, recipients[0].fit_label = fit, fit_label(fit)
            continue
        reasons = list(item["reasons"])
        recipients.append(Recipient(organization.slug, organization, reasons, fit, fit_label(fit)))
    recipients.append(Recipient(COORDINATION))
    if preselected is not None:
        initial = preselected.slug
    elif suggestions["confident"] and recipients[0].organization is not None:
        initial = recipients[0].value
    else:
        initial = COORDINATION
    return recipients, initial


# The form ---------------------------------------------------------------------------------------------


def _preselected(request: HttpRequest) -> tuple[Organization | None, Topic | None]:
    """`?organisation=<slug>` from an organisation's page, `?thema=<slug>` from a topic page (also carried
    through the POSTs as hidden fields)."""
    source = request.POST if request.method == "POST" else request.GET
    organization = topic = None
    if slug := source.get("organisation", "").strip():
        organization = queries.published_organizations().select_related("region").filter(slug=slug).first()
    if slug := source.get("thema", "").strip():
        topic = Topic.objects.filter(slug=slug).first()
    return organization, topic


def _limit_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "You have sent several inquiries in a short time. Please wait %(minutes)s minute and send again, "
        "or contact the coordination office directly.",
        "You have sent several inquiries in a short time. Please wait %(minutes)s minutes and send again, "
        "or contact the coordination office directly.",
        minutes,
    ) % {"minutes": minutes}


def _posted_submission_key(request: HttpRequest) -> str:
    """The form's one-time key as posted, or "" when there is none (or it was not made by us)."""
    key = request.POST.get(SUBMISSION_FIELD, "")
    return key if SUBMISSION_KEY.fullmatch(key) else ""


def _already_sent(request: HttpRequest, inquiry: Inquiry) -> HttpResponse:
    """The form was sent before: the thank-you page (with its details if this session sent it)."""
    logger.info("inquiry form: %s posted again; nothing stored", inquiry.reference)
    return redirect("inquiries:thanks")


@require_http_methods(["GET", "POST"])
def inquiry_form(request: HttpRequest) -> HttpResponse:
    preselected, topic = _preselected(request)
    region = preselected.region if preselected is not None else queries.default_region()
    submission_key = _posted_submission_key(request) if request.method == "POST" else ""
    context: dict[str, Any] = {
        "preselected": preselected,
        "topic": topic,
        "region": region,
        "submission": submission_key or secrets.token_urlsafe(24),
    }
    if request.method != "POST":
        # `?text=` from the search ("turn this into an inquiry") starts the description; nothing is sent yet.
        initial = {"text": request.GET.get("text", "").strip()[:TEXT_MAX_LENGTH]}
        return render(request, "inquiries/form.html", {**context, "form": InquiryForm(initial=initial)})

    if request.POST.get(HONEYPOT):
        # Pretend success: a bot learns nothing, and nothing is stored or mailed.
        logger.info("inquiry form: honeypot filled; nothing stored")
        return redirect("inquiries:thanks")

    # Without its one-time key a form cannot be sent (only shown again, with a key).
    sending = request.POST.get("step") == "send" and bool(submission_key)
    suggestions = None
    if sending:
        try:
            suggestions = signing.loads(
                request.POST.get("shown", ""), salt=SUGGESTIONS_SALT, max_age=SUGGESTIONS_MAX_AGE
            )
        except signing.BadSignature:
            sending = False  # no (valid) suggestions shown yet: show them first
    form = InquiryForm(request.POST)
    if region is None or not form.is_valid():
        if region is None:
            form.add_error(None, _("Inquiries cannot be sent at the moment. Please try again later."))
        return render(request, "inquiries/form.html", {**context, "form": form}, status=200)

    if suggestions is None or suggestions.get("region") != region.pk:
        text = form.cleaned_data["text"]
        suggestions = {
            "region": region.pk,
            **_ask_routing(request, f"{topic.name}\n{text}" if topic else text, region),
        }
        sending = False
    recipients, initial = _recipients(suggestions, region, preselected)
    form = InquiryForm(request.POST, recipients=recipients, choosing=sending)
    form.is_valid()
    posted = form.data.get("recipient", "")
    if posted not in {recipient.value for recipient in recipients}:
        posted = "" if sending else initial
    context.update(
        form=form,
        recipients=recipients,
        checked=posted,
        confident=suggestions["confident"],
        shown=signing.dumps(suggestions, salt=SUGGESTIONS_SALT),
    )
    if not sending:
        return render(request, "inquiries/form.html", context)
    if form.errors:
        return render(request, "inquiries/form.html", context)

    repeated = Inquiry.objects.filter(submission_key=submission_key).first()
    if repeated is not None:  # before the rate limit: a double click is not a second inquiry
        return _already_sent(request, repeated)
    data = form.cleaned_data
    address = throttling.client_address(request)
    admission = throttling.admit_submission(data["email"], address)
    if not admission.allowed:
        form.add_error(None, ValidationError(_limit_message(admission.wait), code="throttled"))
        return render(request, "inquiries/form.html", context, status=429)
    chosen = form.chosen()
    try:
        inquiry, token = services.create_inquiry(
            region=region,
            text=data["text"],
            company_name=data["company_name"],
            contact_name=data["contact_name"],
            email=data["email"],
            phone=data["phone"],
            company_size=data["company_size"],
            location=data["location"],
            consent=data["consent"],
            language=translation.get_language(),
            organization=chosen.organization if chosen else None,
            suggestions=suggestions["items"],
            submission_key=submission_key,
        )
    except services.AlreadySubmitted as repeated_meanwhile:  # both posts arrived at once
        admission.give_back()
        return _already_sent(request, repeated_meanwhile.inquiry)
    except services.InquiryError as error:
        admission.give_back()  # nothing was sent
        form.add_error(None, str(error))
        return render(request, "inquiries/form.html", context)
    request.session[THANKS_SESSION_KEY] = {"inquiry": inquiry.pk, "token": token}
    if not request.user.is_authenticated:
        request.session.set_expiry(THANKS_SESSION_SECONDS)
    return redirect("inquiries:thanks")


def thanks(request: HttpRequest) -> HttpResponse:
    """Reference, where the inquiry went and the status link; a neutral thank-you without a session."""
    stored = request.session.get(THANKS_SESSION_KEY) or {}
    inquiry = None
    token = stored.get("token", "")
    if token:
        inquiry = (
            Inquiry.objects.select_related("organization")
            .filter(
                pk=stored.get("inquiry"), status_token_hash=hash_status_token(token), erased_at__isnull=True
            )
            .first()
        )
    context = {"inquiry": inquiry, "status_url": services.status_url(inquiry, token) if inquiry else ""}
    return private_page(render(request, "inquiries/thanks.html", context))


# The status page --------------------------------------------------------------------------------------

STATE_TEXTS = {
    Inquiry.State.SUBMITTED: gettext_lazy(
        "The coordination office reads your inquiry and passes it on to the organisation that fits."
    ),
    Inquiry.State.ASSIGNED: gettext_lazy(
        "Your inquiry is with %(organization)s. They will get in touch with you soon."
    ),
    Inquiry.State.ACCEPTED: gettext_lazy("%(organization)s is working on your inquiry."),
    Inquiry.State.RESOLVED: gettext_lazy("Your inquiry has been answered. It is closed."),
    Inquiry.State.NO_FIT: gettext_lazy(
        "Unfortunately no organisation of the initiative can help with this inquiry. It is closed."
    ),
    Inquiry.State.WITHDRAWN: gettext_lazy("You have withdrawn your inquiry."),
}


def _state_text(inquiry: Inquiry) -> str:
    text = str(STATE_TEXTS[inquiry.state])
    if "%(organization)s" in text:
        name = inquiry.organization.name if inquiry.organization else _("the organisation")
        return text % {"organization": name}
    return text


def _gone(request: HttpRequest) -> HttpResponse:
    """Unknown and erased inquiries look the same, so a link tells nobody whether an inquiry existed."""
    return private_page(render(request, "inquiries/status_gone.html", status=404))


def status(request: HttpRequest, token: str) -> HttpResponse:
    inquiry = services.inquiry_for_token(token)
    if inquiry is None:
        return _gone(request)
    with translation.override(inquiry.language):
        context = {
            "inquiry": inquiry,
            "token": token,
            "state_text": _state_text(inquiry),
            "involved": list(inquiry.involved.order_by("name").values_list("name", flat=True)),
            # The steps that concern the company, with organisation names; never notes or staff names.
            "steps": inquiry_history(inquiry, for_public=True),
            "retention_days": settings.INQUIRY_RETENTION_DAYS,
        }
        response = render(request, "inquiries/status.html", context)
    response["Content-Language"] = inquiry.language
    return private_page(response)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Asks once more, then withdraws (if still open) and erases everything personal at once."""
    inquiry = services.inquiry_for_token(token)
    if inquiry is None:
        return _gone(request)
    with translation.override(inquiry.language):
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            services.withdraw_inquiry(inquiry)
            return private_page(redirect(reverse("inquiries:withdrawn")))
        response = render(request, "inquiries/withdraw_confirm.html", {"inquiry": inquiry, "token": token})
    response["Content-Language"] = inquiry.language
    return private_page(response)


def withdrawn(request: HttpRequest) -> HttpResponse:
    return private_page(render(request, "inquiries/withdrawn.html"))
