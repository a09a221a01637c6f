"""Page-view figures for the manager area: per day, per kind and the most viewed pages of a period.

Days are dates in the display time zone, as counted. Every figure comes from `PageViewCount` rows the caller
passes in (start from `access.page_views_visible_to`), so the same code serves a manager and the office.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import QuerySet, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from crosscluster.directory.models import Organization
from crosscluster.events.models import Event
from crosscluster.inquiries.stats import BarChart

from .models import PageViewCount

Kind = PageViewCount.Kind
PERIODS = (30, 90)  # the periods one can choose, in days
TOP_PAGES = 25


@dataclass(frozen=True)
class Column:
    day: date
    value: int
    x: float  # left edge, in per cent of the chart's width
    width: float  # in per cent
    y: int  # top edge, in pixels
    height: int  # in pixels


@dataclass(frozen=True)
class ColumnChart:
    """Views per day as inline SVG columns (`analytics/manage/_column_chart.html`).

    Ninety days do not fit as rows like `inquiries.stats.BarChart`, so the days stand side by side; widths are
    in per cent, so the chart fills any width. `summary` is the accessible name; the page also lists every
    day's number in a table.
    """

    id: str
    title: str
    rows: list[tuple[date, int]]

    TOP = 22  # room for the largest value above the columns
    PLOT_HEIGHT = 160
    GAP = 0.2  # share of a day's slot left empty between columns

    @property
    def baseline(self) -> int:
        return self.TOP + self.PLOT_HEIGHT

    @property
    def height(self) -> int:
        return self.baseline + 24  # room for the first and last date below

    @property
    def largest(self) -> int:
        return max((value for _day, value in self.rows), default=0)

    @property
    def columns(self) -> list[Column]:
        slot = 100 / max(len(self.rows), 1)
        scale = self.PLOT_HEIGHT / (self.largest or 1)
        columns = []
        for index, (day, value) in enumerate(self.rows):
            height = round(value * scale)
            columns.append(
                Column(
                    day=day,
                    value=value,
                    x=round(index * slot + slot * self.GAP / 2, 3),
                    width=round(slot * (1 - self.GAP), 3),
                    y=self.baseline - height,
                    height=height,
                )
            )
        return columns

    @property
    def summary(self) -> str:
        if not self.rows:
            return f"{self.title}. {_('No data')}"
        first, last = self.rows[0][0], self.rows[-1][0]
        total = sum(value for _day, value in self.rows)
        busiest_day, busiest = max(self.rows, key=lambda row: (row[1], row[0]))
        return _(
            "%(title)s, %(first)s to %(last)s: %(total)s views in all, most on %(day)s with %(most)s."
        ) % {
            "title": self.title,
            "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
            "total": total,
            "day": formats.date_format(busiest_day, "SHORT_DATE_FORMAT"),
            "most": busiest,
        }


@dataclass(frozen=True)
class PageRow:
    kind: str
    kind_label: str
    title: str
    url: str  # empty when the page no longer exists
    views: int


@dataclass
class Figures:
    since: date
    until: date
    days: int
    total: int
    by_kind: list[tuple[str, str, int]]  # (kind, label, views), every kind
    by_day: list[tuple[date, int]]  # every day of the period, 0 included
    top: list[PageRow]
    charts: dict[str, object] = field(default_factory=dict)


def period(today: date, days: int) -> tuple[date, date]:
    """The first and the last day of the `days` days that end with `today`."""
    return today - timedelta(days=days - 1), today


def figures(counts: QuerySet[PageViewCount], *, today: date, days: int) -> Figures:
    """The figures of `counts` in the period: three queries, and one more per kind among the top pages."""
    since, until = period(today, days)
    rows = counts.filter(day__gte=since, day__lte=until).order_by()

    per_day = dict(rows.values_list("day").annotate(views=Sum("count")))
    by_day = [
        (since + timedelta(days=offset), per_day.get(since + timedelta(days=offset), 0))
        for offset in range(days)
    ]
    per_kind = dict(rows.values_list("kind").annotate(views=Sum("count")))
    by_kind = [(kind, label, per_kind.get(kind, 0)) for kind, label in Kind.choices]
    top_rows = list(
        rows.values_list("kind", "object_id")
        .annotate(views=Sum("count"))
        .order_by("-views", "kind", "object_id")[:TOP_PAGES]
    )
    top = _describe(top_rows)

    result = Figures(
        since=since,
        until=until,
        days=days,
        total=sum(per_day.values()),
        by_kind=by_kind,
        by_day=by_day,
        top=top,
    )
    result.charts = {
        "day": ColumnChart("chart-day", _("Page views per day"), by_day),
        "top": BarChart("chart-top", _("Most viewed pages"), [(row.title, row.views) for row in top[:10]]),
    }
    return result


def _describe(top_rows: list[tuple[str, int, int]]) -> list[PageRow]:
    """Titles and public addresses of the pages: one query per kind that occurs."""
    wanted: dict[str, set[int]] = {}
    for kind, object_id, _views in top_rows:
        wanted.setdefault(kind, set()).add(object_id)
    found: dict[tuple[str, int], tuple[str, str]] = {}
    if Kind.ORGANIZATION in wanted:
        for organization in Organization.objects.filter(pk__in=wanted[Kind.ORGANIZATION]).only(
            "slug", "name"
        ):
            found[Kind.ORGANIZATION, organization.pk] = (organization.name, organization.get_absolute_url())
    if Kind.EVENT in wanted:
        for event in Event.objects.filter(pk__in=wanted[Kind.EVENT]).only("title"):
            found[Kind.EVENT, event.pk] = (event.title, event.get_absolute_url())
    if Kind.NOTICE in wanted and apps.is_installed("crosscluster.news"):
        notice_model = apps.get_model("news", "Notice")
        for notice in notice_model.objects.filter(pk__in=wanted[Kind.NOTICE]).only("slug", "title"):
            found[Kind.NOTICE, notice.pk] = (notice.title, notice.get_absolute_url())
    labels = dict(Kind.choices)
    rows = []
    for kind, object_id, views in top_rows:
        title, url = found.get((kind, object_id), (_("(deleted, no. %(id)s)") % {"id": object_id}, ""))
        rows.append(
            PageRow(kind=kind, kind_label=str(labels.get(kind, kind)), title=title, url=url, views=views)
        )
    return rows
