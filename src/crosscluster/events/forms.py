"""Forms of the Netzwerktimer: the manager's event form and the public filter form.

They parse and validate; the functions in events.services save. Times are typed and shown in the display
zone (Europe/Berlin), which `core.middleware.display_time_zone` activates for every request.
"""

import datetime as dt
import itertools
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.forms import ENGLISH_HELP, ServiceForm, TopicsWidget
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.queries import published_organizations

from . import recurrence
from .feeds.ical import REFUSED_FREQUENCIES
from .models import Event
from .recurrence import DAILY, MONTHLY, WEEKLY, YEARLY, Repetition
from .times import all_day_bounds, last_day, local


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date and time picker; the value has no zone and means the display zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


CUSTOM = "custom"
NEVER, AFTER_COUNT, ON_DAY = "never", "count", "until"
WEEKDAY_CHOICES = [(code, WEEKDAYS[number]) for number, code in enumerate(recurrence.DAY_CODES)]
# The fields of the recurrence editor: they make `rrule`, the model field, and are not passed to the service.
REPETITION_FIELDS = (
    "repeat",
    "repeat_interval",
    "repeat_weekdays",
    "repeat_monthly",
    "repeat_ordinal",
    "repeat_weekday",
    "repeat_month_day",
    "repeat_end",
    "repeat_count",
    "repeat_until",
)


class EventForm(ServiceForm):
    """The manager's event form, with a recurrence editor that writes the iCalendar rule.

    The editor's fields (`repeat`, `repeat_*`) are plain form fields, so it works without JavaScript; `clean`
    turns them into `rrule` with `recurrence.build_rule`. The raw rule stays for experts ("Advanced"): it is
    used when `repeat` is "custom", which is also what an existing rule shows that the editor cannot say
    exactly (`recurrence.read_rule`), and when a rule is typed while the editor says "never". A raw rule
    that was edited while the editor says something else is an error rather than a guess, so nothing typed
    is silently dropped.
    """

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
            [*REPETITION_FIELDS, "exdates", "rdates", "rrule"],
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

    repeat = forms.ChoiceField(
        label=_("Repeats"),
        required=False,
        choices=[
            ("", _("Never (a single date)")),
            (DAILY, _("Daily")),
            (WEEKLY, _("Weekly")),
            (MONTHLY, _("Monthly")),
            (YEARLY, _("Yearly")),
            (CUSTOM, _("By a rule of my own (under “Advanced”)")),
        ],
        widget=forms.RadioSelect,
    )
    repeat_interval = forms.IntegerField(
        label=_("Interval"),
        required=False,
        min_value=1,
        max_value=99,
        initial=1,
        help_text=_("1 means every day, week, month or year; 2 every other one, and so on."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    repeat_weekdays = forms.MultipleChoiceField(
        label=_("On these weekdays"),
        required=False,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
    )
    repeat_monthly = forms.ChoiceField(
        label=_("On which day of the month"),
        required=False,
        initial=recurrence.BY_WEEKDAY,
        choices=[
            (recurrence.BY_WEEKDAY, _("On a weekday")),
            (recurrence.BY_DAY, _("On a day of the month")),
        ],
        widget=forms.RadioSelect,
    )
    repeat_ordinal = forms.TypedChoiceField(
        label=_("Week of the month"),
        required=False,
        coerce=int,
        empty_value=1,
        initial=1,
        choices=recurrence.ORDINAL_CHOICES,
    )
    repeat_weekday = forms.ChoiceField(
        label=_("Weekday"), required=False, initial="MO", choices=WEEKDAY_CHOICES
    )
    repeat_month_day = forms.IntegerField(
        label=_("Day of the month"),
        required=False,
        min_value=1,
        max_value=31,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    repeat_end = forms.ChoiceField(
        label=_("Ends"),
        required=False,
        initial=NEVER,
        choices=[
            (NEVER, _("Never (the dates of a year ahead are listed)")),
            (AFTER_COUNT, _("After a number of dates")),
            (ON_DAY, _("On a day")),
        ],
        widget=forms.RadioSelect,
    )
    repeat_count = forms.IntegerField(
        label=_("Number of dates"),
        required=False,
        min_value=2,
        max_value=999,
        help_text=_("All dates, the first one and any left out included."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    repeat_until = forms.DateField(label=_("Last day"), required=False, widget=DateInput())

    class Meta(ServiceForm.Meta):
        model = Event
        fields = [
            "title_de",
            "title_en",
            "organizers",
            "description_de",
            "description_en",
            "topics",
            "start",
            "end",
            "all_day",
            "rrule",
            "exdates",
            "rdates",
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
            "description_de": forms.Textarea(attrs={"rows": 8}),
            "description_en": forms.Textarea(attrs={"rows": 8}),
            "rrule": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            "exdates": forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off"}),
            "rdates": forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off"}),
            "organizers": forms.CheckboxSelectMultiple,
            "topics": TopicsWidget,
            "online_url": forms.URLInput(attrs={"inputmode": "url"}),
            "registration_url": forms.URLInput(attrs={"inputmode": "url"}),
        }
        labels = {
            "rrule": _("iCalendar rule (RRULE)"),
            "exdates": _("Leave out these dates"),
            "rdates": _("Additional dates"),
        }
        help_texts = {
            "title_en": ENGLISH_HELP,
            "description_de": _(
                "Paragraphs, bold, italics, lists and links are kept; other formatting is removed."
            ),
            "description_en": ENGLISH_HELP,
            "organizers": _("Tick the organisations that run the event: at least one of yours."),
            "price_text": _("For example “50 € for members, 80 € otherwise”."),
            "published": _("Only published events appear in the public calendar."),
            "rrule": _(
                "Used when “By a rule of my own” is chosen above (typing a rule here chooses it). "
                "An iCalendar rule, for example “FREQ=WEEKLY;COUNT=10” (ten weeks) or "
                "“FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231” (every first Tuesday until the end of 2027)."
            ),
            "exdates": _(
                "For example holidays: “2027-12-24, 2027-12-31” or “24.12.2027”, separated by commas or "
                "lines. The event's time on each day is left out."
            ),
            "rdates": _(
                "Dates outside the rule, at the event's time or with a time of their own: "
                "“2027-06-10” or “10.06.2027 14:00”."
            ),
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
        self.rule_not_shown = (
            False  # an existing rule the editor cannot say: shown raw, and the editor says so
        )
        # A date of a series repeats with its series: its form has no repetition of its own.
        self.is_occurrence = event.series_id is not None
        if self.is_occurrence:
            for name in (*REPETITION_FIELDS, "exdates", "rdates", "rrule"):
                del self.fields[name]
        elif event.pk and not self.is_bound:
            self._initial_repetition(event)

    def _initial_repetition(self, event: Event) -> None:
        if not recurrence.clean_rule_text(event.rrule):
            return
        repetition = recurrence.read_rule(event.rrule, start=event.start, all_day=event.all_day)
        if repetition is None:
            self.initial["repeat"] = CUSTOM
            self.rule_not_shown = True
            return
        end = NEVER
        if repetition.count is not None:
            end = AFTER_COUNT
        elif repetition.until is not None:
            end = ON_DAY
        self.initial.update(
            {
                "repeat": repetition.frequency,
                "repeat_interval": repetition.interval,
                "repeat_weekdays": list(repetition.weekdays),
                "repeat_monthly": repetition.monthly,
                "repeat_ordinal": repetition.ordinal,
                "repeat_weekday": repetition.weekday,
                "repeat_month_day": repetition.month_day,
                "repeat_end": end,
                "repeat_count": repetition.count,
                "repeat_until": repetition.until,
            }
        )

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

    def _clean_dates(self, name: str) -> str:
        dates = recurrence.parse_dates(self.cleaned_data.get(name) or "")
        if dates.errors:
            raise forms.ValidationError(list(dates.errors), code="invalid_date")
        self.cleaned_data[f"{name}_list"] = dates.values
        return dates.stored()

    def clean_exdates(self) -> str:
        return self._clean_dates("exdates")

    def clean_rdates(self) -> str:
        return self._clean_dates("rdates")

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
                "end", forms.ValidationError(gettext("The end lies before the start."), code="end_before")
            )
        if not self.is_occurrence:
            self._clean_repetition(cleaned_data, start)
        return cleaned_data

    # The recurrence editor ----------------------------------------------------------------------------

    def _clean_repetition(self, cleaned_data: dict[str, Any], start: dt.datetime) -> None:
        all_day = bool(cleaned_data.get("all_day"))
        repeat = cleaned_data.get("repeat") or ""
        if repeat in {"", CUSTOM}:  # the editor's other fields say nothing then, not even their errors
            for name in REPETITION_FIELDS[1:]:
                self.errors.pop(name, None)
        typed = recurrence.clean_rule_text(cleaned_data.get("rrule") or "")
        stored = recurrence.clean_rule_text(self.get_initial_for_field(self.fields["rrule"], "rrule") or "")
        if not repeat and typed and typed != stored:
            repeat = CUSTOM  # a rule typed while the editor says "never": the expert's rule is meant
        if repeat == CUSTOM:
            if not typed:
                self.add_error(
                    "rrule", gettext("Write the rule here, or choose above how the event repeats.")
                )
                return
            rule = typed
            if not self._readable(rule, start, all_day):
                return
        else:
            rule = ""
            if repeat:
                repetition = self._repetition(cleaned_data, start)
                if repetition is None:
                    return
                rule = recurrence.build_rule(repetition, all_day=all_day)
                if not self._starts_the_series(rule, repetition, start, all_day):
                    return
            if typed and typed not in {stored, rule}:
                self.add_error(
                    "rrule",
                    gettext(
                        "This rule differs from the repetition chosen above. To use it, choose “By a rule "
                        "of my own” above; otherwise empty this field."
                    ),
                )
                return
            if self.is_bound:  # show the rule the editor wrote when the form comes back
                self.data = self.data.copy()
                self.data[self.add_prefix("rrule")] = rule
        cleaned_data["rrule"] = rule
        self._check_dates(cleaned_data, rule, start, all_day)

    def _readable(self, rule: str, start: dt.datetime, all_day: bool) -> bool:
        try:
            next(recurrence.rule_dates(rule, start=start, all_day=all_day), None)
        except (ValueError, TypeError) as exc:
            self.add_error(
                "rrule", gettext("The rule cannot be read: %(error)s") % {"error": str(exc) or rule}
            )
            return False
        frequency = rule.upper().split("FREQ=", 1)[-1].split(";", 1)[0]
        if frequency in REFUSED_FREQUENCIES:
            self.add_error("rrule", gettext("An event cannot repeat more often than hourly."))
            return False
        return True

    def _repetition(self, data: dict[str, Any], start: dt.datetime) -> Repetition | None:
        """The editor's fields as a Repetition, or None after putting an error at each field that lacks."""
        frequency = data["repeat"]
        base = recurrence.from_start(frequency, start)
        values: dict[str, Any] = {"interval": data.get("repeat_interval") or 1}
        ok = True
        if frequency == WEEKLY:
            chosen = set(data.get("repeat_weekdays") or [])
            if not chosen:
                self.add_error("repeat_weekdays", gettext("Tick at least one weekday."))
                ok = False
            values["weekdays"] = tuple(code for code in recurrence.DAY_CODES if code in chosen)
        elif frequency == MONTHLY:
            values["monthly"] = data.get("repeat_monthly") or recurrence.BY_WEEKDAY
            if values["monthly"] == recurrence.BY_WEEKDAY:
                values["ordinal"] = data.get("repeat_ordinal") or base.ordinal
                values["weekday"] = data.get("repeat_weekday") or base.weekday
            elif data.get("repeat_month_day"):
                values["month_day"] = data["repeat_month_day"]
            else:
                self.add_error("repeat_month_day", gettext("Give the day of the month."))
                ok = False
        end = data.get("repeat_end") or NEVER
        if end == AFTER_COUNT:
            if data.get("repeat_count"):
                values["count"] = data["repeat_count"]
            elif "repeat_count" not in self.errors:
                self.add_error("repeat_count", gettext("Give the number of dates."))
                ok = False
        elif end == ON_DAY:
            until = data.get("repeat_until")
            if until is None:
                if "repeat_until" not in self.errors:
                    self.add_error("repeat_until", gettext("Give the last day."))
                ok = False
            elif until < local(start).date():
                self.add_error("repeat_until", gettext("The last day lies before the start."))
                ok = False
            else:
                values["until"] = until
        if not ok or any(name in self.errors for name in REPETITION_FIELDS):
            return None
        return Repetition(frequency=frequency, **values)

    def _starts_the_series(
        self, rule: str, repetition: Repetition, start: dt.datetime, all_day: bool
    ) -> bool:
        """The start must be the rule's first date: iCalendar would add it as an extra date otherwise."""
        first = next(recurrence.rule_dates(rule, start=start, all_day=all_day), None)
        if first == recurrence.at_event_time(local(start).date(), start=start, all_day=all_day):
            return True
        field = "repeat"
        if repetition.frequency == WEEKLY:
            field = "repeat_weekdays"
        elif repetition.frequency == MONTHLY:
            field = "repeat_ordinal" if repetition.monthly == recurrence.BY_WEEKDAY else "repeat_month_day"
        day = local(start).date()
        self.add_error(
            field,
            gettext(
                "The start, %(weekday)s, %(date)s, is not a date of this repetition. The start is the first "
                "date: move it, or change the repetition."
            )
            % {"weekday": date_format(day, "l"), "date": date_format(day)},
        )
        return False

    def _check_dates(self, data: dict[str, Any], rule: str, start: dt.datetime, all_day: bool) -> None:
        """Left-out dates must be dates of the series (other than the start); all-day events take days."""
        for name in ("exdates", "rdates"):
            if all_day and any(isinstance(v, dt.datetime) for v in data.get(f"{name}_list", ())):
                self.add_error(name, gettext("An all-day event takes days without a time."))
        skipped = data.get("exdates_list", ())
        if not skipped or "exdates" in self.errors:
            return
        if not rule:
            self.add_error("exdates", gettext("Dates to leave out need a repetition."))
            return
        first = recurrence.at_event_time(local(start).date(), start=start, all_day=all_day)
        wanted = {value: recurrence.at_event_time(value, start=start, all_day=all_day) for value in skipped}
        if first in wanted.values():
            self.add_error("exdates", gettext("The start cannot be left out: move the start instead."))
            return
        found, last = set(), max(wanted.values())
        for value in itertools.islice(recurrence.rule_dates(rule, start=start, all_day=all_day), 100_000):
            if value > last:
                break
            found.add(value)
        missing = [value for value, at in wanted.items() if at not in found]
        if missing:
            listed = ", ".join(recurrence.format_listed_date(value) for value in missing)
            self.add_error(
                "exdates",
                ngettext(
                    "%(dates)s is not a date of the series.",
                    "%(dates)s are not dates of the series.",
                    len(missing),
                )
                % {"dates": listed},
            )

    def service_values(self) -> dict[str, Any]:
        """The model's fields; the editor's fields have made `rrule` (and may be unchecked: see clean)."""
        return {name: self.cleaned_data[name] for name in self.fields if name not in REPETITION_FIELDS}

    def groups(self) -> list[dict[str, Any]]:
        """The template renders the repetition's group with the editor's own layout (_repetition.html)."""
        groups = super().groups()
        for group in groups:
            group["repetition"] = group["legend"] == self.fieldsets[1][0]
        return groups

    def summary(self) -> str:
        """The repetition in words: of the checked input, or of the stored event."""
        if self.is_bound:
            if not self.is_valid():
                return ""
            data = self.cleaned_data
        elif self.instance.pk:
            data = {name: getattr(self.instance, name) for name in ("rrule", "exdates", "rdates", "start")}
            data["all_day"] = self.instance.all_day
        else:
            return ""
        return recurrence.describe(
            data["rrule"],
            start=data["start"],
            all_day=bool(data["all_day"]),
            exdates=data["exdates"],
            rdates=data["rdates"],
        )


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
        queryset=published_organizations().order_by("name").only("pk", "slug", "name"),
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


class SplitRequestForm(forms.Form):
    """An organiser's request to the coordination office to split a merge (dedup.services.request_split)."""

    message = forms.CharField(
        label=_("Message to the coordination office"),
        required=False,
        max_length=2000,
        help_text=_("Optional: why these are different events, for example a different date or audience."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
