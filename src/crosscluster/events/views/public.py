"""The public Netzwerktimer: the upcoming list with filters, month and week calendars, the event page.

Every query starts from `access.public_events()` (through events.queries); filters are plain GET parameters,
so every view is a shareable URL, and the calendars' previous/next links keep them.
"""

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header

from crosscluster.core.bounds import limit_dates

from .. import queries
from ..export import (
    event_ics,
    event_json_ld,
    google_calendar_url,
    json_ld_script,
    map_url,
    outlook_calendar_url,
    plain_description,
    zone_name,
)
from ..forms import EventFilterForm
from ..times import local, midnight

PAGE_SIZE = 25
# Counting every upcoming event of a large calendar costs more than showing a page: the list counts up to
# this many and then says "more than"; later events are reached by narrowing the filters or the dates.
COUNT_LIMIT = 1000
# Events shown in a cell of the month calendar, and per day of the week page; the rest are behind a link
# to that day's list.
MONTH_CELL_EVENTS = 4
WEEK_DAY_EVENTS = 10
# Calendar pages outside these years are not worth a crawler's time (and keep date arithmetic in range).
YEARS = range(2000, 2101)


class BoundedPaginator(Paginator):
    """A paginator that counts at most `COUNT_LIMIT` items; `more` says whether there are more."""

    @cached_property
    def _bounded_count(self) -> int:
        # Any COUNT_LIMIT + 1 rows will do: unordered, the database stops at the first ones it finds.
        return self.object_list.order_by()[: COUNT_LIMIT + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, COUNT_LIMIT)

    @property
    def more(self) -> bool:
        return self._bounded_count > COUNT_LIMIT


def _filter_form(request: HttpRequest, *, with_range: bool) -> EventFilterForm:
    form = EventFilterForm(request.GET, **queries.filter_choices(), with_range=with_range)
    form.is_valid()  # Invalid filters are shown with their error and left out; the valid ones still apply.
    return limit_dates(form)


def _calendar_links() -> dict[str, tuple[int, int]]:
    today = local(timezone.now()).date()
    iso = today.isocalendar()
    return {"this_month": (today.year, today.month), "this_week": (iso.year, iso.week)}


def event_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request, with_range=True)
    events = queries.filter_events(**form.filters())
    date_from, date_to = form.date_range()
    if date_from is None:
        events = queries.upcoming(events, timezone.now())
    events = queries.in_range(
        events,
        midnight(date_from) if date_from else None,
        midnight(date_to + dt.timedelta(days=1)) if date_to else None,
    )
    events = queries.with_relations(events.order_by("start", "pk"))
    page = BoundedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "events": page.object_list, **_calendar_links()}
    return render(request, "events/event_list.html", context)


def _calendar_entries(form: EventFilterForm, first: dt.date, last: dt.date) -> list[queries.CalendarEntry]:
    """Every event from `first` to `last` as a light entry; pages load more only for those they show."""
    events = queries.filter_events(**form.filters())
    events = queries.in_range(events, midnight(first), midnight(last + dt.timedelta(days=1)))
    return queries.calendar_entries(events.order_by("start", "pk"))


def month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    # Checked before any date is made of them: `date(2026, 99999999999, 1)` overflows rather than failing.
    if year not in YEARS or not 1 <= month <= 12:
        raise Http404
    first = dt.date(year, month, 1)
    next_first = (first + dt.timedelta(days=32)).replace(day=1)
    last = next_first - dt.timedelta(days=1)
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    form = _filter_form(request, with_range=False)
    # Whole weeks, Monday to Sunday, around the month.
    grid_first = first - dt.timedelta(days=first.weekday())
    grid_last = last + dt.timedelta(days=6 - last.weekday())
    entries = _calendar_entries(form, grid_first, grid_last)
    days = queries.days_with_events(entries, grid_first, grid_last, shown=MONTH_CELL_EVENTS)
    today = local(timezone.now()).date()
    for day in days:
        day.in_month = day.date.month == month
        day.is_today = day.date == today
    queries.label_month_cells(days, request.GET)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    context = {
        "form": form,
        "first": first,
        "weeks": weeks,
        "weekdays": [day.date for day in weeks[0]],
        "days": days,
        "has_events": any(day.events for day in days if day.in_month),
        "prev": prev_first,
        "next": next_first,
        **_calendar_links(),
    }
    return render(request, "events/month.html", context)


def week(request: HttpRequest, year: int, week: int) -> HttpResponse:
    if year not in YEARS or not 1 <= week <= 53:
        raise Http404
    try:
        first = dt.date.fromisocalendar(year, week, 1)
    except ValueError:  # week 53 of a year with 52
        raise Http404 from None
    last = first + dt.timedelta(days=6)
    form = _filter_form(request, with_range=False)
    days = queries.days_with_events(_calendar_entries(form, first, last), first, last, shown=WEEK_DAY_EVENTS)
    queries.load_visible(days)
    queries.link_days(days, request.GET)
    today = local(timezone.now()).date()
    for day in days:
        day.is_today = day.date == today
    prev_iso = (first - dt.timedelta(days=7)).isocalendar()
    next_iso = (first + dt.timedelta(days=7)).isocalendar()
    context = {
        "form": form,
        "year": year,
        "week": week,
        "first": first,
        "last": last,
        "days": days,
        "has_events": any(day.events for day in days),
        "prev": (prev_iso.year, prev_iso.week),
        "next": (next_iso.year, next_iso.week),
        **_calendar_links(),
    }
    return render(request, "events/week.html", context)


def _redirect_to_canonical(pk: int, view: str) -> HttpResponse:
    """A merged duplicate's page leads to the event it is listed under (events.dedup)."""
    canonical = queries.canonical_for_duplicate(pk)
    if canonical is None:
        raise Http404
    return redirect(view, pk=canonical.pk)


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.event_for_page(pk)
    if event is None:
        return _redirect_to_canonical(pk, "events:detail")
    url = request.build_absolute_uri(event.get_absolute_url())
    context = {
        "event": event,
        "description_text": plain_description(event),
        "json_ld": json_ld_script(event_json_ld(event, url)),
        "map_url": map_url(event),
        "zone_name": zone_name(event),
        "google_url": google_calendar_url(event, url),
        "outlook_url": outlook_calendar_url(event, url),
    }
    return render(request, "events/event_detail.html", context)


def event_calendar_file(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.event_for_page(pk)
    if event is None:
        return _redirect_to_canonical(pk, "events:ics")
    base = request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(event_ics(event, base), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"veranstaltung-{event.pk}.ics")
    return response
