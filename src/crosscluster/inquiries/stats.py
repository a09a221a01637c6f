"""Figures for the coordination office's dashboard, counted by the database (SQLite and PostgreSQL alike).

Two kinds of figures: "now" (inquiries per state, overdue ones, open ones per organisation) over every
inquiry, and "the last 12 months" (per month, per organisation, per topic, response time, first try right)
over the inquiries submitted since the first day of the month eleven months ago, in the display time zone.
"""

import statistics
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crosscluster.core.models import AuditLogEntry
from crosscluster.core.working_days import is_working_day
from crosscluster.directory.models import Topic

from .models import Inquiry

State = Inquiry.State
MONTHS = 12
UTC = zoneinfo.ZoneInfo("UTC")


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)


# Counting ---------------------------------------------------------------------------------------------


def count_by_state(inquiries: QuerySet[Inquiry]) -> dict[str, int]:
    """Every state with its number of inquiries (0 included), in the order of `Inquiry.State`. One query.

    Distinct ids, because a manager's inquiries come through a join with the involved organisations.
    """
    rows = inquiries.order_by().values("state").annotate(n=Count("id", distinct=True))
    found = {row["state"]: row["n"] for row in rows}
    return {state: found.get(state, 0) for state in State.values}


def overdue_filter(now: datetime) -> Q:
    """Assigned, and the first response was due before `now`."""
    return Q(state=State.ASSIGNED, due_at__lt=now)


def working_days_between(start: datetime, end: datetime, holiday_calendar: str) -> float:
    """The time between two moments that falls on working days, in days (weekends and holidays do not count).

    The same clock as `deadlines.add_working_days`: Friday 15:00 to Tuesday 15:00 is two working days.
    """
    zone = _zone()
    start, end = start.astimezone(zone), end.astimezone(zone)
    if end <= start:
        return 0.0
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if is_working_day(day, holiday_calendar):
            day_start = datetime.combine(day, time.min, tzinfo=zone)
            day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
            low, high = max(start, day_start), min(end, day_end)
            if high > low:
                total += high.astimezone(UTC) - low.astimezone(UTC)
        day += timedelta(days=1)
    return total / timedelta(days=1)


def period_start(now: datetime) -> datetime:
    """The first moment of the month eleven months before `now`'s month, in the display time zone."""
    local = now.astimezone(_zone())
    year, month = local.year, local.month - (MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=_zone())


def _month_starts(start: datetime) -> list[date]:
    months, year, month = [], start.year, start.month
    for _i in range(MONTHS):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# Charts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    top: int  # of the row, in pixels
    width: float  # of the bar, in per cent of the chart's width


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn as inline SVG by `inquiries/manage/_bar_chart.html`.

    Each row is the label on its own line with the bar below it: bars are sized in per cent of the width and
    text in pixels, so the chart fills any width without shrinking its text or cutting long names. The
    numbers are also shown as a table beside it; `summary` is the chart's accessible name.
    """

    id: str
    title: str
    rows: list[tuple[str, int]]

    ROW_HEIGHT = 46
    BAR_MAX_WIDTH = 85  # per cent; the rest leaves room for the number after the longest bar

    @property
    def height(self) -> int:
        return max(len(self.rows), 1) * self.ROW_HEIGHT + 4

    @property
    def bars(self) -> list[Bar]:
        largest = max((value for _label, value in self.rows), default=0) or 1
        return [
            Bar(
                label=label,
                value=value,
                top=index * self.ROW_HEIGHT,
                width=round(self.BAR_MAX_WIDTH * value / largest, 2),
            )
            for index, (label, value) in enumerate(self.rows)
        ]

    @property
    def summary(self) -> str:
        values = "; ".join(f"{label}: {value}" for label, value in self.rows)
        return f"{self.title}. {values}" if values else f"{self.title}. {_('No data')}"


# The dashboard ----------------------------------------------------------------------------------------


@dataclass
class OrganizationFigures:
    name: str
    received: int = 0  # inquiries that reached it (chosen by the company, assigned or forwarded to it)
    forwarded: int = 0  # inquiries it forwarded to another organisation
    handed_back: int = 0
    resolved: int = 0
    open_now: int = 0
    overdue_now: int = 0


@dataclass
class Dashboard:
    now: datetime
    since: datetime
    by_state: list[tuple[str, str, int]]  # (state, label, count), every inquiry
    open_total: int
    overdue: list[Inquiry]
    by_month: list[tuple[date, int]]  # submitted per month
    by_organization: list[OrganizationFigures]
    by_topic: list[tuple[str, int]]
    submitted: int
    resolved: int
    first_try_right: int
    responded: int  # inquiries with a first response, for the median
    median_response_days: float | None
    charts: dict[str, BarChart] = field(default_factory=dict)

    @property
    def first_try_right_rate(self) -> float | None:
        """Share of the resolved inquiries that the first organisation resolved itself (0–1)."""
        return self.first_try_right / self.resolved if self.resolved else None

    @property
    def first_try_right_rate_percent(self) -> int | None:
        rate = self.first_try_right_rate
        return None if rate is None else round(rate * 100)


# Steps after which an organisation counts as having received the inquiry; `submitted` has an organisation
# only when the company chose one itself.
RECEIVED_ACTIONS = ("inquiry.submitted", "inquiry.assigned", "inquiry.received")


def dashboard(now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard in eight queries."""
    now = now or timezone.now()
    since = period_start(now)
    inquiries = Inquiry.objects.all()
    recent = inquiries.filter(created_at__gte=since)

    counts = count_by_state(inquiries)
    by_state = [(state, label, counts[state]) for state, label in State.choices]
    overdue = list(
        inquiries.filter(overdue_filter(now)).select_related("organization").order_by("due_at", "id")
    )

    per_month = {
        row["month"].astimezone(_zone()).date(): row["n"]
        for row in recent.annotate(month=TruncMonth("created_at", tzinfo=_zone()))
        .order_by()
        .values("month")
        .annotate(n=Count("id"))
    }
    by_month = [(month, per_month.get(month, 0)) for month in _month_starts(since)]

    totals = recent.aggregate(
        resolved=Count("id", filter=Q(state=State.RESOLVED)),
        first_try_right=Count("id", filter=Q(state=State.RESOLVED, first_organization=F("resolved_by"))),
    )

    by_organization = _organization_figures(now, since)

    topics = (
        Topic.objects.filter(inquiries__created_at__gte=since)
        .annotate(n=Count("inquiries", distinct=True))
        .order_by("position", "name")
    )
    by_topic = [(topic.name, topic.n) for topic in topics]

    durations = [
        working_days_between(created, responded, calendar)
        for created, responded, calendar in recent.filter(first_response_at__isnull=False).values_list(
            "created_at", "first_response_at", "region__holiday_calendar"
        )
    ]

    figures = Dashboard(
        now=now,
        since=since,
        by_state=by_state,
        open_total=sum(counts[state] for state in Inquiry.OPEN_STATES),
        overdue=overdue,
        by_month=by_month,
        by_organization=by_organization,
        by_topic=by_topic,
        submitted=sum(count for _month, count in by_month),
        resolved=totals["resolved"],
        first_try_right=totals["first_try_right"],
        responded=len(durations),
        median_response_days=round(statistics.median(durations), 1) if durations else None,
    )
    figures.charts = {
        "state": BarChart("chart-state", _("Inquiries by state"), [(str(lbl), n) for _s, lbl, n in by_state]),
        "month": BarChart(
            "chart-month",
            _("Inquiries submitted per month"),
            [(formats.date_format(month, "YEAR_MONTH_FORMAT"), n) for month, n in by_month],
        ),
        "organization": BarChart(
            "chart-organization",
            _("Inquiries received per organisation"),
            [(row.name, row.received) for row in by_organization],
        ),
        "topic": BarChart("chart-topic", _("Inquiries per topic"), by_topic),
    }
    return figures


def _organization_figures(now: datetime, since: datetime) -> list[OrganizationFigures]:
    """Steps per organisation in the period from the audit log (it keeps them after erasure); open and
    overdue inquiries now from the inquiries themselves. Two queries."""
    rows: dict[int, OrganizationFigures] = {}

    def distinct_inquiries(*actions: str) -> Count:
        return Count("object_id", filter=Q(action__in=actions), distinct=True)

    steps = (
        AuditLogEntry.objects.filter(
            object_type="inquiries.inquiry", organization__isnull=False, created_at__gte=since
        )
        .order_by()
        .values("organization", "organization__name")
        .annotate(
            received=distinct_inquiries(*RECEIVED_ACTIONS),
            forwarded=distinct_inquiries("inquiry.forwarded"),
            handed_back=distinct_inquiries("inquiry.handed_back"),
            resolved=distinct_inquiries("inquiry.resolved"),
        )
    )
    for step in steps:
        if step["received"] or step["forwarded"] or step["handed_back"] or step["resolved"]:
            rows[step["organization"]] = OrganizationFigures(
                step["organization__name"],
                received=step["received"],
                forwarded=step["forwarded"],
                handed_back=step["handed_back"],
                resolved=step["resolved"],
            )
    current = (
        Inquiry.objects.open()
        .filter(organization__isnull=False)
        .order_by()
        .values("organization", "organization__name")
        .annotate(open_now=Count("id"), overdue_now=Count("id", filter=overdue_filter(now)))
    )
    for item in current:
        row = rows.setdefault(item["organization"], OrganizationFigures(item["organization__name"]))
        row.open_now, row.overdue_now = item["open_now"], item["overdue_now"]
    return sorted(rows.values(), key=lambda row: (-row.received, row.name.casefold()))
