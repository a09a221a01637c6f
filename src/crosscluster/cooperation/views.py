"""The public Kooperationsbörse: the list with filters, the anonymous profile page, "Profil einreichen",
expressing interest, and the owner's private pages reached through token links (no account).

Every public query starts from `access.public_profiles()`; the owner's pages from `access.profile_for_token`,
which opens exactly one profile. Pages reached by a private link are never cached or indexed
(`core.responses.private_page`).
"""

import contextlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from crosscluster.core.responses import private_page

from . import services, throttling
from .access import can_enter_profiles, profile_for_token, public_profiles
from .forms import HONEYPOT, FilterForm, InterestForm, ProfileForm, PublicProfileForm
from .history import profile_history
from .models import CooperationProfile, Introduction

logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def _limit_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "You have sent this form several times in a short time. Please wait %(minutes)s minute.",
        "You have sent this form several times in a short time. Please wait %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def filter_form(data: Any) -> FilterForm:
    form = FilterForm(data)
    form.is_valid()  # invalid filters are shown with their error and left out
    return form


def filtered_profiles(filters: dict[str, Any]):
    profiles = public_profiles().select_related("region").prefetch_related("topics")
    if filters.get("kind"):
        profiles = profiles.filter(kind=filters["kind"])
    if filters.get("topic"):
        profiles = profiles.filter(topics=filters["topic"])
    if filters.get("region"):
        profiles = profiles.filter(region=filters["region"])
    if filters.get("language"):
        profiles = profiles.filter(language=filters["language"])
    return profiles.distinct().order_by("-published_at", "-pk")


def profile_list(request: HttpRequest) -> HttpResponse:
    form = filter_form(request.GET)
    page = Paginator(filtered_profiles(form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "profiles": page.object_list, "feed_query": form.query()}
    return render(request, "cooperation/profile_list.html", context)


def _public_profile(pk: int) -> CooperationProfile:
    profile = public_profiles().select_related("region").prefetch_related("topics").filter(pk=pk).first()
    if profile is None:
        raise Http404
    return profile


def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Anonymous unless the owner chose otherwise: no company, person or address on the page."""
    profile = _public_profile(pk)
    return render(request, "cooperation/profile_detail.html", {"profile": profile})


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = PublicProfileForm(initial={"language": translation.get_language()})
        return render(request, "cooperation/submit.html", {"form": form})
    if request.POST.get(HONEYPOT):
        logger.info("cooperation form: honeypot filled; nothing stored")
        return redirect("cooperation:submitted")
    form = PublicProfileForm(request.POST)
    if form.is_valid():
        admission = throttling.admit_request(form.cleaned_data["email"], throttling.client_address(request))
        if not admission.allowed:
            form.add_error(None, _limit_message(admission.wait))
            return render(request, "cooperation/submit.html", {"form": form}, status=429)
        try:
            services.submit_profile(consent=form.cleaned_data["consent"], **form.service_values())
        except services.CooperationError as error:
            admission.give_back()
            form.add_error(None, str(error))
        else:
            return redirect("cooperation:submitted")
    return render(request, "cooperation/submit.html", {"form": form})


def submitted(request: HttpRequest) -> HttpResponse:
    return render(request, "cooperation/submitted.html")


# Expressing interest ----------------------------------------------------------------------------------


def _is_manager(request: HttpRequest) -> bool:
    return request.user.is_authenticated and can_enter_profiles(request.user)


@require_http_methods(["GET", "POST"])
def interest(request: HttpRequest, pk: int) -> HttpResponse:
    """A visitor writes to the owner (confirming their address by mail first); a manager at once."""
    profile = _public_profile(pk)
    manager = _is_manager(request)
    form = InterestForm(request.POST or None, manager=manager)
    if request.method == "POST":
        if request.POST.get(HONEYPOT):
            return redirect("cooperation:interest-sent")
        if form.is_valid():
            data = form.cleaned_data
            if not manager:
                address = throttling.client_address(request)
                admission = throttling.admit_request(data["email"], address)
                if not admission.allowed:
                    form.add_error(None, _limit_message(admission.wait))
                    context = {"profile": profile, "form": form, "manager": manager}
                    return render(request, "cooperation/interest.html", context, status=429)
            try:
                services.express_interest(
                    profile,
                    message=data["message"],
                    name=data["name"],
                    email=data["email"],
                    company_name=data["company_name"],
                    consent=data["consent"],
                    language=translation.get_language(),
                    actor=request.user if manager else None,
                )
            except services.CooperationError as error:
                form.add_error(None, str(error))
            else:
                return redirect(reverse("cooperation:interest-sent") + ("?direkt=1" if manager else ""))
    return render(
        request, "cooperation/interest.html", {"profile": profile, "form": form, "manager": manager}
    )


def interest_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "cooperation/interest_sent.html", {"direct": request.GET.get("direkt") == "1"})


def _gone(request: HttpRequest) -> HttpResponse:
    """Unknown, erased and spent links look the same: a link tells nobody whether a profile existed."""
    return private_page(render(request, "cooperation/link_gone.html", status=404))


@require_http_methods(["GET", "POST"])
def confirm_interest(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners follow links), POST confirms and passes the message on to the owner."""
    introduction = services.introduction_for_confirmation(token)
    if introduction is None:
        return _gone(request)
    error = ""
    if request.method == "POST":
        try:
            services.confirm_interest(introduction)
        except services.CooperationError as exc:
            error = str(exc)
    context = {"introduction": introduction, "token": token, "error": error}
    return private_page(render(request, "cooperation/confirm_interest.html", context))


# The owner's pages ------------------------------------------------------------------------------------


def _owned(request: HttpRequest, token: str) -> CooperationProfile:
    profile = profile_for_token(token)
    if profile is None:
        raise Http404
    return profile


@require_http_methods(["GET", "POST"])
def owner(request: HttpRequest, token: str) -> HttpResponse:
    """The owner's private page: confirm the address (first visit), state, history, requests for contact."""
    profile = profile_for_token(token)
    if profile is None:
        return _gone(request)
    if request.method == "POST" and request.POST.get("action") == "confirm":
        services.confirm_profile(profile)
        return private_page(redirect("cooperation:owner", token=token))
    introductions = [
        (introduction, services.decision_url(introduction))
        for introduction in profile.introductions.exclude(
            state=Introduction.State.UNCONFIRMED
        ).select_related("counterpart")
    ]
    context = {
        "profile": profile,
        "token": token,
        "steps": profile_history(profile),
        "introductions": introductions,
        "renewable": profile.state in (CooperationProfile.State.PUBLISHED, CooperationProfile.State.EXPIRED),
        "editable": profile.state in CooperationProfile.EDITABLE_STATES,
    }
    with translation.override(profile.language):
        response = render(request, "cooperation/owner.html", context)
    return private_page(response)


@require_http_methods(["GET", "POST"])
def owner_edit(request: HttpRequest, token: str) -> HttpResponse:
    profile = profile_for_token(token)
    if profile is None:
        return _gone(request)
    if profile.state not in CooperationProfile.EDITABLE_STATES:
        raise PermissionDenied
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(profile))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(profile, **form.service_values())
        except services.CooperationError as error:
            form.add_error(None, str(error))
        else:
            return private_page(redirect("cooperation:owner", token=token))
    return private_page(
        render(request, "cooperation/owner_edit.html", {"profile": profile, "form": form, "token": token})
    )


@require_http_methods(["GET", "POST"])
def owner_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    profile = profile_for_token(token)
    if profile is None:
        return _gone(request)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.withdraw_profile(profile)
        return private_page(render(request, "cooperation/withdrawn.html"))
    return private_page(
        render(request, "cooperation/withdraw_confirm.html", {"profile": profile, "token": token})
    )


@require_http_methods(["GET", "POST"])
def renew(request: HttpRequest, signed: str) -> HttpResponse:
    """One-click renewal from the reminder mail (GET asks, POST renews) or from the owner's page."""
    profile = services.profile_for_renewal_link(signed)
    if profile is None:
        return _gone(request)
    renewed = False
    error = ""
    if request.method == "POST":
        try:
            services.renew_profile(profile)
            renewed = True
        except services.CooperationError as exc:
            error = str(exc)
    context = {"profile": profile, "renewed": renewed, "error": error}
    return private_page(render(request, "cooperation/renew.html", context))


@require_http_methods(["POST"])
def owner_renew(request: HttpRequest, token: str) -> HttpResponse:
    profile = profile_for_token(token)
    if profile is None:
        return _gone(request)
    with contextlib.suppress(services.CooperationError):  # the page shows the state as it is
        services.renew_profile(profile)
    return private_page(redirect("cooperation:owner", token=token))


@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, signed: str) -> HttpResponse:
    """The owner reads a request for contact and accepts or declines it; later records the outcome."""
    introduction = services.introduction_for_link(signed)
    if introduction is None:
        return _gone(request)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("accept", "decline"):
                services.decide_introduction(introduction, accept=action == "accept")
            elif action in ("started", "no_result"):
                services.record_outcome(introduction, started=action == "started")
        except services.CooperationError as exc:
            error = str(exc)
        else:
            return private_page(redirect("cooperation:decide", signed=signed))
    context = {
        "introduction": introduction,
        "profile": introduction.profile,
        "error": error,
        "contact": introduction.requester_contact()
        if introduction.state != Introduction.State.DECLINED
        else None,
    }
    with translation.override(introduction.profile.language):
        response = render(request, "cooperation/decide.html", context)
    return private_page(response)
