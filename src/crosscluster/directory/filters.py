"""The filter form of the public directory list: plain GET parameters, so every result is a shareable URL."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organization, Topic
from .queries import published_cities


class DirectoryFilterForm(forms.Form):
    """Parses `q`, `topic` (a slug), `kind` and `city`; an invalid value is reported and not applied."""

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
    )
    kind = forms.ChoiceField(label=_("Kind of organisation"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *Organization.Kind.choices]
        self.fields["city"].choices = [("", _("All cities"))] + [(city, city) for city in published_cities()]

    def filters(self) -> dict[str, object]:
        """The valid filters as keyword arguments for `queries.filter_organizations`."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            "text": data.get("q") or "",
            "topic": data.get("topic"),
            "kind": data.get("kind") or "",
            "city": data.get("city") or "",
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())
