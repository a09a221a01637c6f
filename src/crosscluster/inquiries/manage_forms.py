"""Forms of the inquiry inbox: the filter and one form per step; the services decide what is allowed."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Organization, Topic

from .models import Inquiry
from .stats import overdue_filter

NOTE_MAX_LENGTH = 2000
# "A-00042", "a42", "42": the reference people quote on the phone.
REFERENCE = re.compile(r"(?:a-?)?0*(\d{1,12})", re.IGNORECASE)


class InboxFilterForm(forms.Form):
    """GET parameters of the inbox. Invalid values are shown as errors and that filter is left out."""

    OPEN = "open"
    ALL = "all"

    q = forms.CharField(label=_("Reference or company"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(OPEN, _("Open")), *Inquiry.State.choices, (ALL, _("All"))],
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=_("All organisations"),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.all(), required=False, empty_label=_("All topics")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, data: Any, *, coordinator: bool) -> None:
        super().__init__(data)
        if not coordinator:
            # A manager's inbox holds their own organisations' inquiries; other names are not theirs to see.
            del self.fields["organization"]

    def values(self) -> dict[str, Any]:
        """The valid filters (`is_valid()` first); an invalid one counts as not given."""
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    def filter_except_state(self, inquiries, now: datetime):
        values = self.values()
        if text := values.get("q", "").strip():
            match = REFERENCE.fullmatch(text)
            condition = Q(company_name__icontains=text)
            if match:
                condition |= Q(pk=int(match.group(1)))
            inquiries = inquiries.filter(condition)
        if values.get("organization"):
            inquiries = inquiries.filter(organization=values["organization"])
        if values.get("topic"):
            inquiries = inquiries.filter(topics=values["topic"])
        if values.get("overdue"):
            inquiries = inquiries.filter(overdue_filter(now))
        return inquiries

    @property
    def chosen_state(self) -> str:
        return self.values().get("state") or self.OPEN

    def filter_state(self, inquiries):
        if self.chosen_state == self.OPEN:
            return inquiries.open()
        if self.chosen_state == self.ALL:
            return inquiries
        return inquiries.filter(state=self.chosen_state)


def note_field(*, required: bool, label: Any = None, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label or (_("Note") if required else _("Note (optional)")),
        required=required,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
    )


class ActionForm(forms.Form):
    """A step's form. Those with an `organization` field offer the published organisations of the inquiry's
    region, the routing engine's suggestions first, without those the step cannot go to (`exclude`) and
    without the coordination office's own directory entry: the way to the office is handing back."""

    def __init__(
        self,
        data: Any = None,
        *,
        prefix: str,
        targets: Iterable[Organization] = (),
        suggested: Iterable[int] = (),
        exclude: Iterable[int] = (),
    ) -> None:
        super().__init__(data, prefix=prefix)
        if "organization" not in self.fields:
            return
        excluded = set(exclude)
        self.targets = {
            org.pk: org
            for org in targets
            if org.pk not in excluded and org.kind != Organization.Kind.COORDINATION
        }
        first = [self.targets[pk] for pk in dict.fromkeys(suggested) if pk in self.targets]
        rest = sorted(
            (org for org in self.targets.values() if org not in first), key=lambda org: org.name.casefold()
        )
        choices: list[Any] = [("", _("Choose an organisation"))]
        if first:
            choices.append((_("Suggested when the company asked"), [(org.pk, org.name) for org in first]))
            choices.append((_("Further organisations"), [(org.pk, org.name) for org in rest]))
        else:
            choices.extend((org.pk, org.name) for org in rest)
        self.fields["organization"].choices = choices

    def clean_organization(self) -> Organization:
        return self.targets[int(self.cleaned_data["organization"])]


def organization_field(label: Any) -> forms.ChoiceField:
    """Choices are set per inquiry by `ActionForm`."""
    return forms.ChoiceField(label=label)


class AcceptForm(ActionForm):
    pass


class ForwardForm(ActionForm):
    organization = organization_field(_("Forward to"))
    note = note_field(
        required=True,
        help_text=_("Why it goes there and what you know so far. The receiving organisation reads it."),
    )


class InvolveForm(ActionForm):
    organization = organization_field(_("Organisation to involve"))
    note = note_field(required=False, help_text=_("What you ask of them. They read it in their mail."))


class HandBackForm(ActionForm):
    note = note_field(
        required=True, help_text=_("Why your organisation does not fit, and any hint who might.")
    )


class ResolveForm(ActionForm):
    note = note_field(required=False, help_text=_("For the history; the company is not shown this note."))


class AssignForm(ActionForm):
    organization = organization_field(_("Organisation"))
    note = note_field(required=False, help_text=_("The organisation reads it in its mail."))


class CloseNoFitForm(ActionForm):
    note = note_field(
        required=True,
        label=_("Note to the company"),
        help_text=_("The company receives this note by mail: explain why nobody in the network fits."),
    )
