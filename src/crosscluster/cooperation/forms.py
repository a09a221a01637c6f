"""Forms of the Kooperationsbörse. They parse and validate; the functions in cooperation.services save."""

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.forms import TopicsWidget
from crosscluster.directory.models import Organization, Region, Topic

from .models import TEXT_MAX_LENGTH, CooperationProfile

HONEYPOT = "homepage"
Kind = CooperationProfile.Kind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    """The profile as the company (or a manager on its behalf) writes it."""

    kind = forms.ChoiceField(label=_("What do you publish?"), choices=Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Description"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What you offer or need, what is new about it, what stage it is at. No confidential details."
        ),
    )
    partner_wanted = forms.CharField(
        label=_("Partner wanted"),
        max_length=300,
        required=False,
        help_text=_("E.g. “SME with injection moulding”, “research institute for field tests”."),
    )
    topics: forms.ModelMultipleChoiceField[Topic] = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.order_by("position", "name"),
        required=False,
        widget=TopicsWidget,
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.order_by("name"),
        required=False,
        empty_label=_("Any region"),
    )
    language = forms.ChoiceField(label=_("Language of the profile"), choices=settings.LANGUAGES)
    expires_at = forms.DateField(
        label=_("Public until"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: for 12 months. You are reminded before it ends and can renew it with one click."),
    )
    call = forms.CharField(
        label=_("Funding call"),
        max_length=300,
        required=False,
        help_text=_("For research partner searches: the programme and call."),
    )
    roles = forms.CharField(label=_("Roles wanted in the consortium"), max_length=300, required=False)
    call_deadline = forms.DateField(label=_("Deadline of the call"), required=False, widget=DateInput())
    company_name = forms.CharField(
        label=_("Company or institute"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label=_("Contact person"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    show_identity = forms.BooleanField(
        label=_("Show company and contact person on the public page"),
        required=False,
        help_text=_("Off: the profile is anonymous; you decide about each request for contact."),
    )

    fieldsets = [
        (_("Your profile"), ["kind", "title", "text", "partner_wanted", "topics", "region", "language"]),
        (_("Research partner search"), ["call", "roles", "call_deadline"]),
        (_("Publication"), ["expires_at", "show_identity"]),
        (_("Who you are"), ["company_name", "contact_name", "email"]),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = kwargs.get("initial", {}).get("language") or settings.LANGUAGE_CODE

    @classmethod
    def initial_for(cls, profile: CooperationProfile) -> dict[str, Any]:
        names = [name for name in cls.base_fields if name not in ("topics", "consent", HONEYPOT)]
        initial = {name: getattr(profile, name) for name in names if hasattr(profile, name)}
        initial["topics"] = list(profile.topics.all())
        return initial

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
        ]

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("consent", None)
        data.pop(HONEYPOT, None)
        data.pop("reviewing_organization", None)
        return data


class PublicProfileForm(ProfileForm):
    consent = forms.BooleanField(
        label=_("I agree that my data are processed as the privacy notice describes."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "consent-notice"}),
    )
    # Invisible to people; bots fill it.
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class ManagerProfileForm(ProfileForm):
    """A manager enters a profile on a company's behalf and names the organisation that reviews it."""

    reviewing_organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("Reviewed by"), queryset=Organization.objects.none(), required=False
    )

    def __init__(self, *args: Any, organizations: Any, office: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Organization]", self.fields["reviewing_organization"])
        field.queryset = organizations.order_by("name")
        field.required = not office
        field.empty_label = _("The coordination office") if office else None
        self.fieldsets = [*self.fieldsets, (_("Review"), ["reviewing_organization"])]


class InterestForm(forms.Form):
    message = forms.CharField(
        label=_("Your message to the owner"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who you are and what you have in mind. The owner reads it and decides about contact."),
    )
    name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    company_name = forms.CharField(
        label=_("Company or institute"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    email = forms.EmailField(label=_("Your e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    consent = forms.BooleanField(
        label=_("I agree that my data are processed as the privacy notice describes."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "consent-notice"}),
    )
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, manager: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if manager:  # a manager's name and address are known; no consent needed for their work
            for name in ("name", "email", "consent"):
                self.fields[name].required = False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason or note for the owner"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PairForm(forms.Form):
    first = forms.IntegerField(widget=forms.HiddenInput)
    second = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the owners"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FilterForm(forms.Form):
    """The filters of the public list as plain GET parameters; an invalid value is reported, not applied."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Kind.choices], required=False)
    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("position", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All regions"),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("All languages")), *settings.LANGUAGES], required=False
    )

    NAMES = ("kind", "topic", "region", "language")

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {name: data.get(name) or None for name in self.NAMES}

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())

    def query(self) -> str:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return urlencode({name: self.data[name] for name in self.NAMES if data.get(name)})


class BoardFilterForm(forms.Form):
    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("position", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
    )
    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("Network"),
        queryset=Organization.objects.exclude(kind=Organization.Kind.COORDINATION).order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All networks"),
    )
