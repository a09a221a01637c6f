"""Demo events for `make run`: a calendar that shows what the Netzwerktimer does, dated from today.

The shipped demo directory has no events, and an empty calendar shows nothing of the list, the month and
week pages, the filters, the exports or the widget. `load-demo` therefore enters a few weeks of events of
the demo organisations through the same service as a manager would (`services.create_event`): a few
events per organisation on its topics, a monthly series, and one event that two networks announce, which
the calendar shows once with both organisers (events.dedup). The same directory and day give the same
events (the choices are seeded by the organisation's slug). Events fall on working days of the
organisation's region (no Sundays, no 24 December), as a network's would.
"""

import datetime as dt
import random

from django.db import transaction

from crosscluster.core.working_days import is_working_day
from crosscluster.directory.models import Organization
from crosscluster.directory.queries import published_organizations

from . import services
from .models import Event
from .times import display_zone

WEEKS_AHEAD = 10
FORMATS = (
    ("Netzwerktreffen {topic}", Event.Format.ON_SITE),
    ("Workshop: {topic} in der Praxis", Event.Format.ON_SITE),
    ("Online-Sprechstunde {topic}", Event.Format.ONLINE),
    ("Fachtag {topic}", Event.Format.HYBRID),
)
DESCRIPTION = (
    "<p>{org} lädt Unternehmen aus Thüringen ein: Erfahrungen austauschen, Förderwege kennenlernen und "
    "Ansprechpartner treffen. Die Teilnahme ist nach Anmeldung möglich.</p>"
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=display_zone())


def _holiday_calendar(organization: Organization) -> str:
    return organization.region.holiday_calendar if organization.region_id else "DE-TH"


def _working_day(day: dt.date, organization: Organization) -> dt.date:
    """`day`, or the next day that is neither a weekend, a public holiday, 24 nor 31 December."""
    calendar = _holiday_calendar(organization)
    while not is_working_day(day, calendar) or (day.month, day.day) in {(12, 24), (12, 31)}:
        day += dt.timedelta(days=1)
    return day


def first_thursdays(after: dt.date, count: int) -> list[dt.date]:
    """The first Thursdays of the months, the first of them later than `after`."""
    year, month, days = after.year, after.month, []
    while len(days) < count:
        first = dt.date(year, month, 1)
        thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
        if thursday > after:
            days.append(thursday)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _event_fields(organization: Organization, topic_name: str, rng: random.Random, today: dt.date) -> dict:
    title, event_format = rng.choice(FORMATS)
    day = _working_day(today + dt.timedelta(days=rng.randint(1, WEEKS_AHEAD * 7)), organization)
    start = _at(day, rng.choice([9, 10, 13, 14, 16]), rng.choice([0, 30]))
    free = rng.random() < 0.7
    return {
        "title": title.format(topic=topic_name),
        "description": DESCRIPTION.format(org=organization.name),
        "start": start,
        "end": start + dt.timedelta(hours=rng.choice([1, 2, 3])),
        "format": event_format,
        "venue": "" if event_format == Event.Format.ONLINE else f"Geschäftsstelle {organization.name}"[:200],
        "city": "" if event_format == Event.Format.ONLINE else organization.city,
        "online_url": organization.website if event_format != Event.Format.ON_SITE else "",
        "is_free": free,
        "price_text": "" if free else "40 € für Mitglieder, 80 € für Gäste",
        "registration_url": organization.website,
    }


@transaction.atomic
def create_demo_events(today: dt.date) -> int:
    """Enter the demo events of the published organisations, unless there are events; returns how many."""
    if Event.objects.exists():
        return 0
    organizations = list(published_organizations().prefetch_related("topics").order_by("slug"))
    for organization in organizations:
        rng = random.Random(organization.slug)  # noqa: S311 — demo data, not secrets
        topics = list(organization.topics.all()) or [None]
        for topic in rng.sample(topics, min(2, len(topics))):
            fields = _event_fields(organization, topic.name if topic else organization.name, rng, today)
            services.create_event(
                actor=None, organizers=[organization], topics=[topic] if topic else [], **fields
            )
    if len(organizations) >= 2:
        _series_and_shared_event(organizations, today)
    return Event.objects.filter(series__isnull=True).count()


def _series_and_shared_event(organizations: list[Organization], today: dt.date) -> None:
    first, second = organizations[0], organizations[1]
    # A monthly series: the first Thursday of each month, six times, from the next first Thursday (RFC 5545
    # counts DTSTART as an occurrence, so it must be one); a date that is a public holiday is left out.
    # (No twelve consecutive first Thursdays are all holidays.)
    calendar = _holiday_calendar(first)
    thursdays = first_thursdays(today, 12)
    while not is_working_day(thursdays[0], calendar):
        thursdays.pop(0)
    thursdays = thursdays[:6]
    services.create_event(
        actor=None,
        organizers=[first],
        topics=list(first.topics.all()[:1]),
        title=f"Stammtisch {first.name}"[:200],
        description=DESCRIPTION.format(org=first.name),
        start=_at(thursdays[0], 18),
        end=_at(thursdays[0], 20),
        rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=6",
        exdates=" ".join(day.isoformat() for day in thursdays if not is_working_day(day, calendar)),
        venue="Kaisersaal",
        city="Erfurt",
    )
    # The same forum announced by two networks: listed once, with both organisers.
    day = _working_day(today + dt.timedelta(days=21), first)
    for organization in (first, second):
        services.create_event(
            actor=None,
            organizers=[organization],
            topics=list(organization.topics.all()[:1]),
            title=f"Thüringer Innovationsforum {day.year}",
            description=DESCRIPTION.format(org=organization.name),
            start=_at(day, 10),
            end=_at(day, 16),
            venue="Messe Erfurt",
            city="Erfurt",
        )
