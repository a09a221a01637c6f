"""The staff side of inquiries: the inbox, one inquiry with its history and its steps, the dashboard.

Every view starts from `inquiries_visible_to(request.user)`. An inquiry the user may not see answers 404 on
every URL, exactly like one that does not exist: not even its existence is an unrelated organisation's
business (unlike a directory organisation, which is public and answers 403). A visible inquiry whose step
the user may not take (an involved organisation's manager trying to forward it) answers 403 and nothing
changes. Each step is a POST to its own URL and calls one service; the service's `InquiryError` becomes a
form error on the re-rendered page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, F, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crosscluster.core.manage import read_only
from crosscluster.core.workers import background_health
from crosscluster.directory.access import is_coordinator
from crosscluster.directory.models import Organization
from crosscluster.directory.queries import published_organizations

from . import services, stats
from .access import inquiries_visible_to, is_responsible
from .history import inquiry_history
from .manage_forms import (
    AcceptForm,
    ActionForm,
    AssignForm,
    CloseNoFitForm,
    ForwardForm,
    HandBackForm,
    InboxFilterForm,
    InvolveForm,
    ResolveForm,
)
from .models import Inquiry
from .services import InquiryError
from .views import fit_label

State = Inquiry.State
INBOX_PAGE_SIZE = 50


# The steps --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step an inquiry can take in the manager area; `manage_urls` gives each its own POST URL."""

    name: str  # "forward" → URL name manage:inquiry-forward, form prefix "forward"
    form_class: type[ActionForm]
    title: Promise
    description: Promise
    submit_label: Promise
    success: Promise  # %(reference)s and, for steps with an organisation, %(organization)s
    states: tuple[str, ...]  # where the form is offered; the service has the last word
    run: Callable[[Inquiry, Any, dict[str, Any]], Inquiry]
    coordinator_only: bool = False
    # The organisations this step cannot go to, by id: the current one, and for involving those involved.
    exclude: Callable[[Inquiry], set[int]] = lambda inquiry: set()

    def allowed_for(self, user: Any, inquiry: Inquiry) -> bool:
        """The role check; the state is the service's to judge, so that a stale page gets a clear error."""
        return is_coordinator(user) if self.coordinator_only else is_responsible(user, inquiry)

    def form(
        self,
        inquiry: Inquiry,
        data: Any = None,
        *,
        targets: list[Organization],
        suggested: list[int],
    ) -> ActionForm:
        return self.form_class(
            data, prefix=self.name, targets=targets, suggested=suggested, exclude=self.exclude(inquiry)
        )


def _current(inquiry: Inquiry) -> set[int]:
    return {inquiry.organization_id} if inquiry.organization_id else set()


STEPS = {
    step.name: step
    for step in [
        Step(
            name="accept",
            form_class=AcceptForm,
            title=gettext_lazy("Accept"),
            description=gettext_lazy(
                "Your organisation takes care of the inquiry; the company is told. This meets the deadline."
            ),
            submit_label=gettext_lazy("Accept the inquiry"),
            success=gettext_lazy("You accepted the inquiry %(reference)s."),
            states=(State.ASSIGNED,),
            run=lambda inquiry, actor, data: services.accept_inquiry(inquiry, actor=actor),
        ),
        Step(
            name="forward",
            form_class=ForwardForm,
            title=gettext_lazy("Forward to another organisation"),
            description=gettext_lazy(
                "The inquiry goes to the organisation that fits better, with its whole history and your "
                "note; it leaves your inbox."
            ),
            submit_label=gettext_lazy("Forward"),
            success=gettext_lazy("The inquiry %(reference)s was forwarded to %(organization)s."),
            states=(State.ASSIGNED, State.ACCEPTED),
            run=lambda inquiry, actor, data: services.forward_inquiry(
                inquiry, data["organization"], actor=actor, note=data["note"]
            ),
            exclude=_current,
        ),
        Step(
            name="involve",
            form_class=InvolveForm,
            title=gettext_lazy("Involve another organisation"),
            description=gettext_lazy(
                "The other organisation sees the inquiry and works on it with you; it stays in your care."
            ),
            submit_label=gettext_lazy("Involve"),
            success=gettext_lazy("%(organization)s is now involved in the inquiry %(reference)s."),
            states=Inquiry.OPEN_STATES,
            run=lambda inquiry, actor, data: services.involve_organization(
                inquiry, data["organization"], actor=actor, note=data["note"]
            ),
            exclude=lambda inquiry: _current(inquiry) | {org.pk for org in inquiry.involved.all()},
        ),
        Step(
            name="hand-back",
            form_class=HandBackForm,
            title=gettext_lazy("Hand back to the coordination office"),
            description=gettext_lazy(
                "Your organisation does not fit and you do not know who does: the coordination office "
                "decides. The inquiry leaves your inbox."
            ),
            submit_label=gettext_lazy("Hand back"),
            success=gettext_lazy("The inquiry %(reference)s was handed back to the coordination office."),
            states=(State.ASSIGNED, State.ACCEPTED),
            run=lambda inquiry, actor, data: services.hand_back_inquiry(
                inquiry, actor=actor, note=data["note"]
            ),
        ),
        Step(
            name="resolve",
            form_class=ResolveForm,
            title=gettext_lazy("Mark as resolved"),
            description=gettext_lazy(
                "The company got what it needed; it is told that the inquiry is resolved."
            ),
            submit_label=gettext_lazy("Mark as resolved"),
            success=gettext_lazy("The inquiry %(reference)s is resolved."),
            states=(State.ASSIGNED, State.ACCEPTED),
            run=lambda inquiry, actor, data: services.resolve_inquiry(
                inquiry, actor=actor, note=data["note"]
            ),
        ),
        Step(
            name="assign",
            form_class=AssignForm,
            title=gettext_lazy("Assign to an organisation"),
            description=gettext_lazy(
                "The organisation is told by mail and has to respond within the deadline."
            ),
            submit_label=gettext_lazy("Assign"),
            success=gettext_lazy("The inquiry %(reference)s was assigned to %(organization)s."),
            states=Inquiry.OPEN_STATES,
            run=lambda inquiry, actor, data: services.assign_inquiry(
                inquiry, data["organization"], actor=actor, note=data["note"]
            ),
            coordinator_only=True,
            exclude=_current,
        ),
        Step(
            name="close",
            form_class=CloseNoFitForm,
            title=gettext_lazy("Close: no organisation fits"),
            description=gettext_lazy("Nobody in the network can help. The company receives your note."),
            submit_label=gettext_lazy("Close the inquiry"),
            success=gettext_lazy("The inquiry %(reference)s was closed: no organisation fits."),
            states=Inquiry.OPEN_STATES,
            run=lambda inquiry, actor, data: services.close_no_fit(inquiry, actor=actor, note=data["note"]),
            coordinator_only=True,
        ),
    ]
}


# Fetching ---------------------------------------------------------------------------------------------


def _visible_inquiry(request: HttpRequest, pk: int) -> Inquiry:
    inquiries = (
        inquiries_visible_to(request.user)
        .select_related("region", "organization", "first_organization", "resolved_by")
        .prefetch_related("involved", "topics")
    )
    return get_object_or_404(inquiries, pk=pk)


def _targets(inquiry: Inquiry) -> list[Organization]:
    """Where an inquiry may go: the published organisations of its region (the services check the same)."""
    return list(published_organizations().filter(region_id=inquiry.region_id).order_by("name"))


def _suggestions(inquiry: Inquiry, targets: list[Organization]) -> list[dict[str, Any]]:
    """The routing engine's suggestions stored at submission, with their organisations where still listed."""
    by_key = {org.slug: org for org in targets} | {str(org.pk): org for org in targets}
    items = []
    for suggestion in inquiry.suggestions or []:
        if not isinstance(suggestion, dict):
            continue
        key = str(suggestion.get("organization", ""))
        reasons = suggestion.get("reasons") or []
        items.append(
            {
                "organization": by_key.get(key),
                "key": key,
                "fit_label": fit_label(suggestion.get("fit")),
                "reasons": [reasons] if isinstance(reasons, str) else [str(reason) for reason in reasons],
            }
        )
    return items


def is_overdue(inquiry: Inquiry, now: datetime) -> bool:
    return inquiry.state == State.ASSIGNED and inquiry.due_at is not None and inquiry.due_at < now


# The inbox --------------------------------------------------------------------------------------------


def _urgency(now: datetime) -> Case:
    """Overdue first, then those waiting for the coordination office, then waiting for a first response,
    then accepted ones; closed ones last."""
    return Case(
        When(stats.overdue_filter(now), then=Value(0)),
        When(state=State.SUBMITTED, then=Value(1)),
        When(state=State.ASSIGNED, then=Value(2)),
        When(state=State.ACCEPTED, then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )


@login_required
@read_only
def inbox(request: HttpRequest) -> HttpResponse:
    """Inquiries with or involving the user's organisations; every one for the coordination office."""
    now = timezone.now()
    form = InboxFilterForm(request.GET, coordinator=is_coordinator(request.user))
    form.is_valid()
    filtered = form.filter_except_state(inquiries_visible_to(request.user), now)
    counts = stats.count_by_state(filtered)
    inquiries = (
        form.filter_state(filtered)
        .select_related("organization")
        .annotate(
            urgency=_urgency(now),
            overdue=Case(
                When(stats.overdue_filter(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by(
            "urgency",
            F("due_at").asc(nulls_last=True),
            F("closed_at").desc(nulls_last=True),
            "created_at",
            "id",
        )
    )
    page = Paginator(inquiries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inquiries/manage/inbox.html",
        {
            "filter_form": form,
            "page": page,
            "tabs": _state_tabs(request, form.chosen_state, counts),
            "page_query": _query(request),
        },
    )


def _query(request: HttpRequest, **changes: str) -> str:
    """The current filters as a query string without the page number, with some parameters changed."""
    query = request.GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def _state_tabs(request: HttpRequest, current: str, counts: dict[str, int]) -> list[dict[str, Any]]:
    """Links to each state with its number under the other filters."""
    options = [
        (InboxFilterForm.OPEN, _("Open"), sum(counts[state] for state in Inquiry.OPEN_STATES)),
        *((state, label, counts[state]) for state, label in State.choices),
        (InboxFilterForm.ALL, _("All"), sum(counts.values())),
    ]
    return [
        {
            "state": state,
            "label": label,
            "count": count,
            "query": _query(request, state=state),
            "current": state == current,
        }
        for state, label, count in options
    ]


# One inquiry ------------------------------------------------------------------------------------------


@login_required
@read_only
def inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_inquiry(request, _visible_inquiry(request, pk))


def _render_inquiry(request: HttpRequest, inquiry: Inquiry, failed: ActionForm | None = None) -> HttpResponse:
    """The inquiry with the forms of the steps this user can take now; `failed` is a refused one."""
    now = timezone.now()
    targets = _targets(inquiry)
    suggestions = _suggestions(inquiry, targets)
    suggested = [item["organization"].pk for item in suggestions if item["organization"]]
    responsible = is_responsible(request.user, inquiry)
    coordinator = is_coordinator(request.user)
    steps = []
    for step in STEPS.values():
        if failed is not None and failed.prefix == step.name:
            form = failed
        elif inquiry.state in step.states and (coordinator if step.coordinator_only else responsible):
            form = step.form(inquiry, targets=targets, suggested=suggested)
        else:
            continue
        url = reverse(f"manage:inquiry-{step.name}", kwargs={"pk": inquiry.pk})
        steps.append({"step": step, "form": form, "url": url})
    return render(
        request,
        "inquiries/manage/inquiry.html",
        {
            "inquiry": inquiry,
            "overdue": is_overdue(inquiry, now),
            "history": inquiry_history(inquiry, for_public=False),
            "suggestions": suggestions,
            "steps": steps,
            "form": failed,  # the base template marks the page title when it has errors
            "is_coordinator": coordinator,
        },
    )


@login_required
@require_POST
def inquiry_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take one step: parse the form, call the step's service, redirect; a refusal re-renders the page."""
    action = STEPS[step]
    inquiry = _visible_inquiry(request, pk)
    if not action.allowed_for(request.user, inquiry):
        raise PermissionDenied
    targets = _targets(inquiry) if "organization" in action.form_class.base_fields else []
    suggested = [item["organization"].pk for item in _suggestions(inquiry, targets) if item["organization"]]
    form = action.form(inquiry, request.POST, targets=targets, suggested=suggested)
    if form.is_valid():
        try:
            action.run(inquiry, request.user, form.cleaned_data)
        except InquiryError as exc:
            form.add_error(None, str(exc))
        else:
            organization = form.cleaned_data.get("organization")
            messages.success(
                request,
                action.success % {"reference": inquiry.reference, "organization": organization or ""},
            )
            # After forwarding or handing back, the inquiry is no longer the user's to see.
            if inquiries_visible_to(request.user).filter(pk=inquiry.pk).exists():
                return redirect("manage:inquiry", pk=inquiry.pk)
            return redirect("manage:inquiries")
        inquiry = _visible_inquiry(request, pk)  # as stored: the refused service may have changed the object
    return _render_inquiry(request, inquiry, failed=form)


# The coordination office's dashboard ------------------------------------------------------------------


@login_required
@read_only
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_coordinator(request.user):
        raise PermissionDenied
    return render(
        request,
        "inquiries/manage/dashboard.html",
        {"figures": stats.dashboard(), "background": background_health()},
    )
