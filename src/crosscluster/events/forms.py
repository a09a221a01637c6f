"""Forms of the Netzwerktimer: the manager's event form and the public filter form.

They parse and validate; the functions in events.services save. Times are typed and shown in the display
zone (Europe/Berlin), which `core.middleware.display_time_zone` activates for every request.
"""

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.forms import ServiceForm, TopicsWidget
from crosscluster.directory.models import Organization, Topic

from .models import Event
from .times import all_day_bounds, last_day, local


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date and time picker; the value has no zone and means the display zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class EventForm(ServiceForm):
    fieldsets: ClassVar[list[tuple[Any, Any, list[str]]]] = [
        (
            _("When"),
            _("Times are local time in Thüringen. For all-day events only the days count."),
            ["start", "end", "all_day"],
        ),
        (
            _("Repetition"),
            _(
                "For a series: the event above is the first date; the further dates within a year "
                "are listed in the calendar on their own."
            ),
            ["rrule", "exdates"],
        ),
        (_("Where"), None, ["format", "venue", "address", "city", "online_url"]),
        (
            _("Participation"),
            None,
            ["is_free", "price_text", "registration_url", "language"],
        ),
        (_("Publication"), None, ["status", "published"]),
    ]

    start = forms.DateTimeField(label=_("Start"), widget=DateTimeLocalInput())
    end = forms.DateTimeField(
        label=_("End"),
        widget=DateTimeLocalInput(),
        help_text=_("For an all-day event: the last day."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta(ServiceForm.Meta):
        model = Event
        fields = [
            "title",
            "organizers",
            "description",
            "topics",
            "start",
            "end",
            "all_day",
            "rrule",
            "exdates",
            "format",
            "venue",
            "address",
            "city",
            "online_url",
            "is_free",
            "price_text",
            "registration_url",
            "language",
            "status",
            "published",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "rrule": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            "exdates": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            "organizers": forms.CheckboxSelectMultiple,
            "topics": TopicsWidget,
            "online_url": forms.URLInput(attrs={"inputmode": "url"}),
            "registration_url": forms.URLInput(attrs={"inputmode": "url"}),
        }
        help_texts = {
            "description": _(
                "Paragraphs, bold, italics, lists and links are kept; other formatting is removed."
            ),
            "organizers": _("Tick the organisations that run the event: at least one of yours."),
            "price_text": _("For example “50 € for members, 80 € otherwise”."),
            "published": _("Only published events appear in the public calendar."),
            "rrule": _(
                "An iCalendar rule, for example “FREQ=WEEKLY;COUNT=10” (ten weeks) or "
                "“FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231” (every first Tuesday until the end of 2027). "
                "Empty for a single date."
            ),
            "exdates": _("Dates the series skips, for example “2026-12-29, 2027-01-05”."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizers = self.fields["organizers"]
        organizers.queryset = self._organizer_choices(user)
        organizers.error_messages["required"] = gettext("Choose at least one organiser.")
        # A manager of one organisation has nothing to choose: it is ticked, and taken if left unticked.
        choices = list(organizers.queryset.order_by()[:2])
        self.only_organizer = choices[0] if len(choices) == 1 else None
        if self.only_organizer is not None:
            organizers.required = False
            organizers.help_text = gettext("Your organisation runs the event.")
            if not self.instance.pk:
                self.initial["organizers"] = [self.only_organizer.pk]
        self.fields["topics"].queryset = Topic.objects.all()
        event = self.instance
        if event.pk and event.all_day and not self.is_bound:
            # Shown as the last day; stored as the exclusive midnight after it.
            self.initial["end"] = dt.datetime.combine(last_day(event.start, event.end), dt.time())

    def _organizer_choices(self, user: Any) -> QuerySet[Organization]:
        """The user's organisations plus those already named, so saving never drops a co-organiser."""
        if is_coordinator(user):
            return Organization.objects.all()
        managed = organizations_managed_by(user)
        if self.instance.pk:
            current = self.instance.organizers.all()
            return Organization.objects.filter(pk__in=managed.values("pk")) | Organization.objects.filter(
                pk__in=current.values("pk")
            )
        return managed

    def clean_organizers(self) -> Any:
        chosen = self.cleaned_data.get("organizers")
        if not chosen and self.only_organizer is not None:
            return Organization.objects.filter(pk=self.only_organizer.pk)
        return chosen

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if start is None or end is None:
            return cleaned_data
        if cleaned_data.get("all_day"):
            start, end = all_day_bounds(local(start).date(), local(end).date())
            cleaned_data["start"], cleaned_data["end"] = start, end
        if end < start:
            self.add_error(
                "end", forms.ValidationError(_("The end lies before the start."), code="end_before")
            )
        return cleaned_data


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class InlineSelect(forms.Select):
    """A select written in Python: Django's default renders a template per option (and builds a dict of
    attributes for each), which for the few hundred organisers of the filter form cost more than the whole
    event list. No option groups and no option attributes, which the filter form does not use."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None) -> SafeString:
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if key in selected else "", label)
                for key, label in ((str(option), label) for option, label in self.choices)
            ),
        )
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, final_attrs, options)


class EventFilterForm(forms.Form):
    """The filters of the public calendar as plain GET parameters, so every view is a shareable URL.

    An invalid value is reported and not applied; the valid ones still are.
    """

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.only("pk", "slug", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
        widget=InlineSelect,
    )
    organizer = forms.ModelChoiceField(
        label=_("Organiser"),
        # Only what the choices show: with a few hundred networks, full instances cost milliseconds.
        queryset=Organization.objects.filter(published=True).order_by("name").only("pk", "slug", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All organisers"),
        widget=InlineSelect,
    )
    format = forms.ChoiceField(label=_("Format"), required=False, widget=InlineSelect)
    city = forms.ChoiceField(label=_("City"), required=False, widget=InlineSelect)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    free = forms.BooleanField(label=_("Free of charge only"), required=False)

    # The month and week pages choose their own time range.
    RANGE_FIELDS = ("date_from", "date_to")

    def __init__(
        self,
        *args: Any,
        cities: list[str],
        organizers: list[tuple[str, str]] | None = None,
        topics: list[tuple[str, str]] | None = None,
        with_range: bool = True,
        **kwargs: Any,
    ) -> None:
        """`organizers` and `topics` ((slug, name) pairs, as `queries.filter_choices` caches them) replace
        the choices the select shows; a chosen value is still looked up in the field's queryset."""
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [("", _("All formats")), *Event.Format.choices]
        self.fields["city"].choices = [("", _("All cities"))] + [(city, city) for city in cities]
        for name, choices in (("organizer", organizers), ("topic", topics)):
            if choices is not None:
                field = self.fields[name]
                field.widget.choices = [("", field.empty_label), *choices]
        if not with_range:
            for name in self.RANGE_FIELDS:
                del self.fields[name]

    def _data(self) -> dict[str, Any]:
        return self.cleaned_data if hasattr(self, "cleaned_data") else {}

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments for `queries.filter_events`."""
        data = self._data()
        return {
            "text": data.get("q") or "",
            "topic": data.get("topic"),
            "organizer": data.get("organizer"),
            "format": data.get("format") or "",
            "city": data.get("city") or "",
            "free_only": bool(data.get("free")),
        }

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        data = self._data()
        return data.get("date_from"), data.get("date_to")

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values()) or any(self.date_range())
