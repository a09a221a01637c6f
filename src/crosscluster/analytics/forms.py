"""The filter of the statistics page (GET parameters)."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crosscluster.directory.models import Organization

from .stats import PERIODS


class StatisticsFilterForm(forms.Form):
    """The period and, for the office or someone with several organisations, one organisation.

    Only the organisations the user manages are offered; the view answers 403 to any other one given.
    """

    tage = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[
            (days, ngettext_lazy("last %(days)s day", "last %(days)s days", "days") % {"days": days})
            for days in PERIODS
        ],
        initial=PERIODS[0],
        required=False,
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("All my organisations"),
    )

    def __init__(self, data: Any, *, organizations: QuerySet[Organization], coordinator: bool) -> None:
        super().__init__(data)
        field = self.fields["organisation"]
        field.queryset = organizations.order_by("name")
        if coordinator:
            field.empty_label = _("All pages")
