"""Demo events for `make run`: a calendar that shows what the Netzwerktimer does, dated from today.

The shipped demo directory has no events, and an empty calendar shows nothing of the list, the month and
week pages, the filters, the exports or the widget. `load-demo` therefore enters a few weeks of events of
the demo organisations through the same service as a manager would (`services.create_event`): a few
events per organisation on its topics, a monthly series, and one event that two networks announce, which
the calendar shows once with both organisers (events.dedup). The same directory and day give the same
events (the choices are seeded by the organisation's slug).
"""

import datetime as dt
import random

from django.db import transaction

from crosscluster.directory.models import Organization

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


def _event_fields(organization: Organization, topic_name: str, rng: random.Random, today: dt.date) -> dict:
    title, event_format = rng.choice(FORMATS)
    day = today + dt.timedelta(days=rng.randint(1, WEEKS_AHEAD * 7))
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
    organizations = list(
        Organization.objects.filter(published=True).prefetch_related("topics").order_by("slug")
    )
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
    # A monthly series: the first Thursday of each month, six times.
    thursday = today + dt.timedelta(days=(3 - today.weekday()) % 7 or 7)
    services.create_event(
        actor=None,
        organizers=[first],
        topics=list(first.topics.all()[:1]),
        title=f"Stammtisch {first.name}"[:200],
        description=DESCRIPTION.format(org=first.name),
        start=_at(thursday, 18),
        end=_at(thursday, 20),
        rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=6",
        venue="Kaisersaal",
        city="Erfurt",
    )
    # The same forum announced by two networks: listed once, with both organisers.
    day = today + dt.timedelta(days=21)
    for organization in (first, second):
        services.create_event(
            actor=None,
            organizers=[organization],
            topics=list(organization.topics.all()[:1]),
            title="Thüringer Innovationsforum 2027",
            description=DESCRIPTION.format(org=organization.name),
            start=_at(day, 10),
            end=_at(day, 16),
            venue="Messe Erfurt",
            city="Erfurt",
        )
