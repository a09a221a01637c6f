"""The Kooperationsbörse in the manager area: the review queue, entering profiles on a company's behalf,
a profile's page with its proposals, and the office's board "Wer passt zu wem".

Every view fetches through `access.profiles_visible_to`; a profile the user may not see answers 404 (like an
unknown one), a step they may not take 403. Steps are POSTs to their own URL and call one service.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crosscluster.core.manage import bound, read_only, read_write
from crosscluster.directory.access import is_coordinator, organizations_managed_by

from . import matches, services
from .access import can_enter_profiles, can_review, profiles_visible_to, public_profiles
from .forms import BoardFilterForm, ManagerProfileForm, PairForm, ProfileForm, ReasonForm
from .history import profile_history
from .models import CooperationProfile, Introduction, ProfileMatch

PAGE_SIZE = 50
DECISIONS = {"approve", "changes", "reject"}


def _visible_profile(request: HttpRequest, pk: int) -> CooperationProfile:
    profile = (
        profiles_visible_to(request.user)
        .select_related("region", "reviewing_organization", "created_by")
        .filter(pk=pk)
        .first()
    )
    if profile is None:
        raise Http404
    return profile


@login_required
@read_only
def profile_queue(request: HttpRequest) -> HttpResponse:
    """Waiting for review first, then the others the user may see."""
    state = request.GET.get("state") or CooperationProfile.State.SUBMITTED
    profiles = profiles_visible_to(request.user).select_related("reviewing_organization")
    if state != "all":
        profiles = profiles.filter(state=state)
    page = Paginator(profiles.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "profiles": page.object_list,
        "state": state,
        "states": [*CooperationProfile.State.choices, ("all", _("All"))],
        "can_create": can_enter_profiles(request.user),
        "is_coordinator": is_coordinator(request.user),
    }
    return render(request, "cooperation/manage/queue.html", context)


def _manager_form(request: HttpRequest, **kwargs: Any) -> ManagerProfileForm:
    office = is_coordinator(request.user)
    return ManagerProfileForm(
        *bound(request), organizations=organizations_managed_by(request.user), office=office, **kwargs
    )


@login_required
@read_write
def profile_create(request: HttpRequest) -> HttpResponse:
    if not can_enter_profiles(request.user):
        raise PermissionDenied
    form = _manager_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            profile, _token = services.submit_profile(
                actor=request.user,
                reviewing_organization=form.cleaned_data.get("reviewing_organization"),
                **form.service_values(),
            )
        except (services.CooperationError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The profile %(ref)s was entered and waits for review.") % {"ref": profile.reference},
            )
            return redirect("manage:cooperation-profile", pk=profile.pk)
    return render(
        request,
        "cooperation/manage/profile_form.html",
        {"form": form, "title": _("Enter a cooperation profile")},
    )


@login_required
@read_write
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _visible_profile(request, pk)
    if not can_review(request.user, profile):
        raise PermissionDenied
    form = ProfileForm(*bound(request), initial=ProfileForm.initial_for(profile))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(profile, actor=request.user, **form.service_values())
        except (services.CooperationError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The profile %(ref)s was saved.") % {"ref": profile.reference})
            return redirect("manage:cooperation-profile", pk=profile.pk)
    context = {"form": form, "profile": profile, "title": _("Edit %(ref)s") % {"ref": profile.reference}}
    return render(request, "cooperation/manage/profile_form.html", context)


@login_required
@read_only
def profile_page(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _visible_profile(request, pk)
    stored = (
        ProfileMatch.objects.filter(profile=profile, counterpart__in=public_profiles())
        .select_related("counterpart")
        .order_by("-score")
    )
    context = {
        "profile": profile,
        "topics": profile.topics.all(),
        "can_review": can_review(request.user, profile),
        "reason_form": ReasonForm(),
        "steps": profile_history(profile, for_staff=True),
        "matches": stored,
        "introductions": profile.introductions.select_related("counterpart").order_by("-created_at"),
    }
    return render(request, "cooperation/manage/profile.html", context)


@login_required
@require_POST
def profile_review(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve, ask for changes or reject (the last two with a reason for the owner)."""
    profile = _visible_profile(request, pk)
    if decision not in DECISIONS:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "") if hasattr(form, "cleaned_data") else ""
    try:
        if decision == "approve":
            services.approve_profile(profile, actor=request.user, note=reason)
            messages.success(request, _("The profile was published."))
        elif decision == "changes":
            services.request_changes(profile, actor=request.user, reason=reason)
            messages.success(request, _("The owner was asked for changes."))
        else:
            services.reject_profile(profile, actor=request.user, reason=reason)
            messages.success(request, _("The profile was rejected."))
    except services.CooperationError as error:
        messages.error(request, str(error))
    return redirect("manage:cooperation-profile", pk=profile.pk)


# The board "Wer passt zu wem" -------------------------------------------------------------------------


def _require_office(request: HttpRequest) -> None:
    if not is_coordinator(request.user):
        raise PermissionDenied


def weekly_counts(now=None) -> dict[str, int]:
    """Introductions of the last 7 days and what became of them (for the board and the dashboard)."""
    now = now or timezone.now()
    since = now - timedelta(days=7)
    State = Introduction.State
    counts = Introduction.objects.aggregate(
        introduced=Count("pk", filter=Q(created_at__gte=since) & ~Q(state=State.UNCONFIRMED)),
        accepted=Count(
            "pk", filter=Q(decided_at__gte=since, state__in=[State.ACCEPTED, State.STARTED, State.NO_RESULT])
        ),
        declined=Count("pk", filter=Q(decided_at__gte=since, state=State.DECLINED)),
        started=Count("pk", filter=Q(closed_at__gte=since, state=State.STARTED)),
    )
    return {key: value or 0 for key, value in counts.items()}


@login_required
@read_only
def board(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = BoardFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    pairs = matches.board_pairs(topic=data.get("topic"), organization=data.get("organization"))
    context = {"form": form, "pairs": pairs, "counts": weekly_counts()}
    return render(request, "cooperation/manage/board.html", context)


def _pair(request: HttpRequest) -> tuple[CooperationProfile, CooperationProfile, PairForm]:
    form = PairForm(request.POST)
    if not form.is_valid():
        raise Http404
    found = public_profiles().in_bulk([form.cleaned_data["first"], form.cleaned_data["second"]])
    first, second = found.get(form.cleaned_data["first"]), found.get(form.cleaned_data["second"])
    if first is None or second is None:
        raise Http404
    return first, second, form


@login_required
@require_POST
def board_introduce(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    first, second, form = _pair(request)
    try:
        introduction = services.introduce(first, second, actor=request.user, note=form.cleaned_data["note"])
    except services.CooperationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(a)s and %(b)s were introduced; the owner of %(a)s decides.")
            % {
                "a": introduction.profile.reference,
                "b": second.reference if introduction.profile == first else first.reference,
            },
        )
    return redirect("manage:cooperation-board")


@login_required
@require_POST
def board_dismiss(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    first, second, _form = _pair(request)
    services.dismiss_pair(first, second, actor=request.user)
    messages.success(
        request,
        _("The pair %(a)s – %(b)s will not be proposed again.")
        % {"a": first.reference, "b": second.reference},
    )
    return redirect("manage:cooperation-board")
