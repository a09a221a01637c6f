"""Forms for logging in, passwords and API tokens."""

import logging
import math
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from crosscluster.core.mail import queue_message

from . import services, throttling
from .models import ApiToken, User

logger = logging.getLogger("crosscluster.accounts.login")


class ThrottledLoginMixin:
    """Refuses tries while an address or a client is locked, and counts failures (see accounts.throttling).

    Both our login page and the admin's use it, so neither is an unthrottled way in. A valid form is a login:
    both views log the user in right after, so the audit entry is written here once for both.
    """

    request: Any
    cleaned_data: dict[str, Any]

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        email = throttling.normalize_email(self.cleaned_data.get("username") or "")
        address = throttling.client_address(self.request) if self.request is not None else "unknown"
        admission = None
        if email:
            # The try is counted before the password is checked, in one step with the check of the limit.
            admission = throttling.admit_login(email, address)
            if not admission.allowed:
                minutes = math.ceil(admission.wait / 60)
                # The same words whether or not the account exists.
                raise ValidationError(
                    ngettext(
                        "Too many failed attempts. Please wait %(minutes)s minute and try again.",
                        "Too many failed attempts. Please wait %(minutes)s minutes and try again.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="throttled",
                )
        try:
            cleaned_data = super().clean()  # type: ignore[misc]
        except ValidationError:
            if email:
                # The place taken stays busy: a failure.
                # A pseudonym instead of the address: enough to see an attack on one account.
                logger.warning("login failed: account %s from %s", throttling.pseudonym(email)[:12], address)
            raise
        user = self.get_user()  # type: ignore[attr-defined]
        if user is not None:
            if admission is not None:
                throttling.login_succeeded(admission, email, address)
            services.record_login(user)
        return cleaned_data


class LoginForm(ThrottledLoginMixin, auth_forms.AuthenticationForm):
    """E-mail address and password. The field keeps Django's name `username` so password managers fill it."""

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail address or the password is not correct."),
    }

    def clean_username(self) -> str:
        return throttling.normalize_email(self.cleaned_data["username"])


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, throttled like ours."""

    def clean_username(self) -> str:
        return throttling.normalize_email(self.cleaned_data["username"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Queue the mail in the outbox (core.mail) instead of sending it in the request.

        Django sends it at once and only logs a failure: with the mail server down the link was lost while
        the page said "sent", and a slow server held the request for up to EMAIL_TIMEOUT. From the outbox it
        is sent by the worker and retried like every other mail.
        """
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else ""
        queue_message(to_email, subject, body, html, topic=f"accounts.user:{context['user'].pk}")

    def get_users(self, email: str):
        """Every active account with this address, also one that never had a password.

        Django skips accounts without a usable password (meant for outside logins); here such an account is a
        new manager whose first password link has expired, and the mail is the way to a password.
        """
        return (
            user
            for user in User.objects.filter(email__iexact=email, is_active=True)
            if user.email.lower() == email.lower()
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Sets the password from a reset link through the service, so the reset is audited."""

    def save(self, commit: bool = True) -> User:
        return services.set_password(
            self.user, self.cleaned_data["new_password1"], actor=self.user, action="accounts.password.reset"
        )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Changes a logged-in user's password through the service, so the change is audited."""

    def save(self, commit: bool = True) -> User:
        return services.set_password(
            self.user, self.cleaned_data["new_password1"], actor=self.user, action="accounts.password.changed"
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("What the token is for, e.g. “CRM export”, so you can tell your tokens apart."),
    )
