"""The public inquiry form: what the company needs, who it is, its consent, and whom the inquiry goes to."""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Organization

from .models import TEXT_MAX_LENGTH, Inquiry

# The value of the "let the coordination office decide" choice; slugs cannot contain "_", so no clash.
COORDINATION = "_coordination"
# Bots fill every field they find; people never see this one (see the template).
HONEYPOT = "homepage"


@dataclass
class Recipient:
    """A choice of the radio group: a suggested organisation with its reasons, or the coordination office."""

    value: str
    organization: Organization | None = None
    reasons: list[str] = field(default_factory=list)
    # How well it fits in words ("fits very well"), translated; "" when unknown.
    fit: str = ""
    fit_label: str = ""


def _model_max_length(name: str) -> int:
    return Inquiry._meta.get_field(name).max_length


class InquiryForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Describe in your own words what your company needs. You do not need to know who is responsible: "
            "finding that out is our job."
        ),
    )
    company_name = forms.CharField(
        label=_("Company"),
        max_length=_model_max_length("company_name"),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label=_("Contact person"),
        max_length=_model_max_length("contact_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you a confirmation with a private link where you can follow your inquiry."),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=_model_max_length("phone"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    company_size = forms.ChoiceField(
        label=_("Company size (optional)"),
        required=False,
        choices=[("", _("Not specified")), *Inquiry.CompanySize.choices],
    )
    location = forms.CharField(
        label=_("Location (optional)"),
        required=False,
        max_length=_model_max_length("location"),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        help_text=_("Town or district of your company."),
    )
    consent = forms.BooleanField(
        widget=forms.CheckboxInput(attrs={"aria-describedby": "consent-notice"}),
        label=_(
            "I agree that my details are processed to answer my inquiry, as the privacy notice describes."
        ),
        error_messages={
            "required": _("Please agree to the privacy notice so that we may process your inquiry.")
        },
    )
    # The honeypot: visually hidden, hidden from assistive technology and out of the tab order.
    homepage = forms.CharField(
        label=_("Please leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(
        self, *args: Any, recipients: list[Recipient] | None = None, choosing: bool = False, **kwargs: Any
    ) -> None:
        """`recipients` are the choices of step 2; `choosing` makes a choice required (sending)."""
        super().__init__(*args, **kwargs)
        self.recipients = recipients or []
        self.consent_version = settings.INQUIRY_CONSENT_VERSION
        if self.recipients:
            self.fields["recipient"] = forms.ChoiceField(
                label=_("Who should receive your inquiry?"),
                choices=[(recipient.value, recipient.value) for recipient in self.recipients],
                widget=forms.RadioSelect,
                required=choosing,
                error_messages={
                    "required": _("Please choose who should receive your inquiry."),
                    "invalid_choice": _("Please choose one of the suggestions."),
                },
            )

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("company_name", "contact_name", "email", "phone")]

    def company_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("company_size", "location")]

    def chosen(self) -> Recipient | None:
        value = self.cleaned_data.get("recipient")
        return next((recipient for recipient in self.recipients if recipient.value == value), None)
