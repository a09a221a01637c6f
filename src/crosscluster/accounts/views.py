"""Logging in and out, passwords, the manager dashboard and personal API tokens."""

import logging
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crosscluster.directory.access import is_coordinator, organizations_managed_by

from . import services, throttling
from .forms import ApiTokenForm, LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .todo import EXPIRING_DAYS, remember_nav_counts, todo_for

logger = logging.getLogger("crosscluster.accounts.login")


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link; limited per address and per client (accounts.throttling), as each request mails.

    A refused request says so, in the same words whether or not an account has the address.
    """

    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {
        "site_name": settings.SITE_NAME,
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
    }

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = throttling.normalize_email(form.cleaned_data["email"])
        address = throttling.client_address(self.request)
        admission = throttling.admit_reset_request(email, address)
        if not admission.allowed:
            minutes = math.ceil(admission.wait / 60)
            form.add_error(
                None,
                ValidationError(
                    ngettext(
                        "Too many requests. Please wait %(minutes)s minute and try again.",
                        "Too many requests. Please wait %(minutes)s minutes and try again.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="throttled",
                ),
            )
            logger.warning(
                "password reset refused: account %s from %s", throttling.pseudonym(email)[:12], address
            )
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("manage:dashboard")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """The manager's home: the to-do list, the organisations this person looks after (the coordination
    office sees all of them) and the tools of the manager area."""
    organizations = list(organizations_managed_by(request.user).select_related("region").order_by("name"))
    todo = todo_for(request.user)
    remember_nav_counts(request, todo.nav_counts())  # the navigation shows the same numbers, uncounted
    return render(
        request,
        "accounts/dashboard.html",
        {
            "organizations": organizations,
            "is_coordinator": is_coordinator(request.user),
            "todo": todo,
            "expiring_days": EXPIRING_DAYS,
        },
    )


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List and create personal tokens. A new key is shown in this one response and never again."""
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_key = services.issue_api_token(
                request.user, form.cleaned_data["name"], actor=request.user
            )
            messages.success(request, _("The token “%(name)s” was created.") % {"name": token.name})
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    return render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask before revoking; only POST revokes. Other people's tokens do not exist here (404)."""
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    if request.method == "POST":
        services.revoke_api_token(token, actor=request.user)
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("manage:api-tokens")
    return render(request, "accounts/api_token_revoke.html", {"token": token})
