"""Netzwerktimer benchmark: prints its figures (it is not a test). See docs/events.md for the latest ones.

1. Import: synthetic iCalendar feeds (Europe/Berlin with VTIMEZONE, some all-day events, some descriptions)
   served from a loopback HTTP server with ETag/Last-Modified and 304 support; every feed imported through
   `events.feeds.importing.import_feed`, compared with bare `icalendar.Calendar.from_ical` + walking the
   VEVENTs of the same files. A second, unchanged run shows the cost of conditional GETs.
2. Serving: `--stored` events inserted in bulk (organisers and topics through the M2M tables); server time of
   the public list, the month view and the filtered iCal export (capped at 1,000 events by
   publishing.MAX_EVENTS) with Django's test client, p50/p95 and queries per request.

Usage: .venv/bin/python bench/events.py [--feeds 200] [--events 250] [--stored 100000] [--requests 30]
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/events_bench .venv/bin/python bench/events.py
       (the database named by DATABASE_URL is emptied first; without it, a temporary SQLite file is used)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import os
import random
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_TMP = tempfile.mkdtemp(prefix="crosscluster-bench-")
# A DATABASE_URL from the environment is used (and emptied first!); else a temporary SQLite file.
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/bench.sqlite3")
os.environ["DJANGO_SETTINGS_MODULE"] = "crosscluster.settings.dev"
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["FEEDS_ALLOW_PRIVATE_ADDRESSES"] = "true"
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"

import django  # noqa: E402

django.setup()
gc.freeze()  # as crosscluster/wsgi.py does in every app server after start-up

import icalendar  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from crosscluster.directory.models import Organization, Region, Topic  # noqa: E402
from crosscluster.events.dedup.similarity import release_caches  # noqa: E402
from crosscluster.events.feeds.importing import import_feed  # noqa: E402
from crosscluster.events.listing import refresh_all_listed  # noqa: E402
from crosscluster.events.models import Event, FeedSubscription  # noqa: E402

settings.DEBUG = False
settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver", "127.0.0.1", "localhost"]

WORDS_A = [
    "Workshop",
    "Sprechstunde",
    "Netzwerktreffen",
    "Vortrag",
    "Seminar",
    "Stammtisch",
    "Webinar",
    "Fachtag",
    "Beratung",
    "Exkursion",
    "Hackathon",
    "Messe",
    "Infoabend",
    "Barcamp",
    "Kolloquium",
]
WORDS_B = [
    "Fördermittel",
    "Digitalisierung",
    "Wasserstoff",
    "Gründung",
    "Fachkräfte",
    "Innovation",
    "Nachhaltigkeit",
    "Export",
    "Künstliche Intelligenz",
    "Patente",
    "Energieeffizienz",
    "Kreislaufwirtschaft",
    "Tourismus",
    "Handwerk",
    "Forschungstransfer",
    "Mobilität",
]
CITIES = [
    "Erfurt",
    "Jena",
    "Weimar",
    "Gera",
    "Suhl",
    "Gotha",
    "Ilmenau",
    "Eisenach",
    "Nordhausen",
    "Altenburg",
]
SENTENCES = [
    "Wir stellen aktuelle Förderprogramme vor und beantworten Ihre Fragen.",
    "Die Veranstaltung richtet sich an kleine und mittlere Unternehmen aus der Region.",
    "Im Anschluss besteht Gelegenheit zum Austausch bei Kaffee und Gebäck.",
    "Expertinnen und Experten berichten aus der Praxis.",
    "Bitte melden Sie sich bis eine Woche vorher an; die Plätze sind begrenzt.",
    "Gemeinsam mit Partnern aus Hochschulen und Kammern diskutieren wir Lösungen.",
]

VTIMEZONE = """BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""


def fold(line: str) -> str:
    """RFC 5545 line folding at 75 octets (kept simple: at 70 characters)."""
    if len(line) <= 70:
        return line + "\r\n"
    parts = [line[i : i + 70] for i in range(0, len(line), 70)]
    return "\r\n ".join(parts) + "\r\n"


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def make_feed(index: int, count: int, today: dt.date, rng: random.Random) -> bytes:
    lines = ["BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", f"PRODID:-//Bench//Feed {index}//DE\r\n", VTIMEZONE]
    stamp = "20260101T000000Z"
    for n in range(count):
        day = today + dt.timedelta(days=rng.randint(2, 330))
        title = f"{rng.choice(WORDS_A)}: {rng.choice(WORDS_B)} in {rng.choice(CITIES)} ({index}-{n})"
        event = ["BEGIN:VEVENT\r\n", f"UID:bench-{index}-{n}@feeds.example\r\n", f"DTSTAMP:{stamp}\r\n"]
        event.append(fold(f"SUMMARY:{escape(title)}"))
        if rng.random() < 0.15:
            end = day + dt.timedelta(days=rng.randint(1, 3))
            event.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\n")
            event.append(f"DTEND;VALUE=DATE:{end:%Y%m%d}\r\n")
        else:
            start = dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.choice([0, 15, 30, 45])))
            end = start + dt.timedelta(minutes=rng.choice([45, 60, 90, 120, 180, 240]))
            event.append(f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}\r\n")
            event.append(f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}\r\n")
        if rng.random() < 0.5:
            description = " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
            event.append(fold(f"DESCRIPTION:{escape(description)}"))
        if rng.random() < 0.7:
            event.append(fold(f"LOCATION:{escape('Haus der Wirtschaft, ' + rng.choice(CITIES))}"))
        event.append("END:VEVENT\r\n")
        lines += event
    lines.append("END:VCALENDAR\r\n")
    return "".join(lines).encode("utf-8")


class FeedServer:
    """The feeds on 127.0.0.1:<free port>, with strong ETags, Last-Modified and 304 responses."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.etags = {path: '"' + hashlib.sha1(body).hexdigest() + '"' for path, body in bodies.items()}
        self.last_modified = formatdate(time.time() - 3600, usegmt=True)
        self.hits = {"200": 0, "304": 0}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                body = server.bodies.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = server.etags[self.path]
                if self.headers.get("If-None-Match") == etag or (
                    self.headers.get("If-None-Match") is None
                    and self.headers.get("If-Modified-Since") == server.last_modified
                ):
                    server.hits["304"] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                server.hits["200"] += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", server.last_modified)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def bare_parse(bodies: list[bytes]) -> int:
    count = 0
    for body in bodies:
        calendar = icalendar.Calendar.from_ical(body)
        for component in calendar.walk("VEVENT"):
            component.get("DTSTART").dt, component.get("DTEND").dt, str(component.get("SUMMARY"))
            count += 1
    return count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup_directory(organizations: int) -> tuple[list[Organization], list[Topic]]:
    region = Region.objects.create(slug="bench", name="Bench")
    Topic.objects.bulk_create(
        [Topic(slug=f"thema-{i:02d}", name=f"{name}", position=i) for i, name in enumerate(WORDS_B)]
    )
    Organization.objects.bulk_create(
        [
            Organization(
                region=region,
                slug=f"org-{i:04d}",
                name=f"Organisation {i:04d} {WORDS_B[i % len(WORDS_B)]}",
                kind=Organization.Kind.choices[i % len(Organization.Kind.choices)][0],
                city=CITIES[i % len(CITIES)],
            )
            for i in range(organizations)
        ]
    )
    return list(Organization.objects.order_by("pk")), list(Topic.objects.order_by("pk"))


# ------------------------------------------------------------------------------------------------ import


def run_import(args, orgs: list[Organization]) -> list[tuple[str, str, str]]:
    rng = random.Random(11)
    today = timezone.localdate()
    t = time.perf_counter()
    bodies = {f"/feed/{i}.ics": make_feed(i, args.events, today, rng) for i in range(args.feeds)}
    generated = time.perf_counter() - t
    size = sum(len(b) for b in bodies.values())
    print(
        f"\n1. Import: {args.feeds} feeds x {args.events} events "
        f"({size / 1e6:.1f} MB, generated in {generated:.1f} s)"
    )

    t = time.perf_counter()
    parsed = bare_parse(list(bodies.values()))
    bare = time.perf_counter() - t

    server = FeedServer(bodies)
    subscriptions = FeedSubscription.objects.bulk_create(
        [
            FeedSubscription(
                organization=orgs[i % len(orgs)], url=server.url(path), kind=FeedSubscription.Kind.ICAL
            )
            for i, path in enumerate(bodies)
        ]
    )
    subscriptions = list(FeedSubscription.objects.order_by("pk"))
    try:
        created = warnings = 0
        statuses: dict[str, int] = {}
        t, cpu = time.perf_counter(), time.process_time()
        for subscription in subscriptions:
            result = import_feed(subscription)
            statuses[result.status] = statuses.get(result.status, 0) + 1
            created += result.created
            warnings += len(result.warnings)
        first, first_cpu = time.perf_counter() - t, time.process_time() - cpu
        statuses2: dict[str, int] = {}
        t, cpu = time.perf_counter(), time.process_time()
        for subscription in FeedSubscription.objects.order_by("pk"):
            result = import_feed(subscription)
            statuses2[result.status] = statuses2.get(result.status, 0) + 1
        second, second_cpu = time.perf_counter() - t, time.process_time() - cpu
    finally:
        server.close()
        release_caches()  # as import-feeds does after each run
    stored = Event.objects.filter(source=Event.Source.FEED).count()
    rows = [
        ("bare icalendar parse + walk", f"{parsed} events", f"{bare:.2f} s  {parsed / bare:,.0f} ev/s"),
        (
            "import_feed, first run",
            f"{created} created, {stored} stored",
            f"{first:.2f} s  {created / first:,.0f} ev/s  = {first / bare:.2f}x bare (target <= 3x)",
        ),
        ("  CPU of this process", "(the database server's not counted)", f"{first_cpu:.2f} s"),
        ("  statuses / warnings", str(statuses), f"{warnings} warnings"),
        (
            "import_feed, unchanged rerun",
            str(statuses2),
            f"{second:.3f} s  ({second / len(subscriptions) * 1000:.1f} ms/feed), CPU {second_cpu:.3f} s",
        ),
        ("  HTTP responses", f"200: {server.hits['200']}, 304: {server.hits['304']}", ""),
    ]
    for row in rows:
        print(f"  {row[0]:<30} {row[1]:<38} {row[2]}")
    return rows


# ----------------------------------------------------------------------------------------------- serving


def insert_stored(
    count: int, orgs: list[Organization], topics: list[Topic]
) -> tuple[dt.datetime, dt.datetime]:
    rng = random.Random(23)
    now = timezone.now()
    # Spread over two years back and one ahead: a year of upcoming events and a past archive.
    span_start = now - dt.timedelta(days=730)
    span_seconds = 3 * 365 * 86400
    OrgLink = Event.organizers.through
    TopicLink = Event.topics.through
    batch = 5000
    for offset in range(0, count, batch):
        events, orgs_of, topics_of = [], [], []
        for n in range(offset, min(count, offset + batch)):
            start = span_start + dt.timedelta(seconds=rng.randrange(span_seconds) // 900 * 900)
            all_day = rng.random() < 0.1
            if all_day:
                start = start.replace(hour=0, minute=0, second=0, microsecond=0)
                end = start + dt.timedelta(days=1)
            else:
                end = start + dt.timedelta(minutes=rng.choice([60, 90, 120, 240]))
            organizer = orgs[rng.randrange(len(orgs))]
            event_topics = rng.sample(topics, rng.randint(1, 2))
            title = f"{rng.choice(WORDS_A)}: {rng.choice(WORDS_B)} ({n})"
            description = " ".join(rng.sample(SENTENCES, 2)) if rng.random() < 0.5 else ""
            city = rng.choice(CITIES)
            events.append(
                Event(
                    title=title,
                    description=description,
                    start=start,
                    end=end,
                    all_day=all_day,
                    venue="Haus der Wirtschaft",
                    city=city,
                    format=rng.choice(Event.Format.values),
                    is_free=rng.random() < 0.7,
                )
            )
            orgs_of.append(organizer)
            topics_of.append(event_topics)
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=1000)  # SQLite returns the ids
            OrgLink.objects.bulk_create(
                [OrgLink(event_id=e.pk, organization_id=o.pk) for e, o in zip(events, orgs_of, strict=True)],
                batch_size=2000,
            )
            TopicLink.objects.bulk_create(
                [
                    TopicLink(event_id=e.pk, topic_id=t.pk)
                    for e, ts in zip(events, topics_of, strict=True)
                    for t in ts
                ],
                batch_size=2000,
            )
    return span_start, now


def measure(client: Client, url: str, requests: int) -> dict:
    times, cpu_times, queries, sizes = [], [], [], []
    client.get(url)  # warm-up: templates, translations, prepared statements
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            t, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed, cpu_elapsed = time.perf_counter() - t, time.process_time() - cpu
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed * 1000)
        cpu_times.append(cpu_elapsed * 1000)
        queries.append(len(captured))
        sizes.append(len(response.content))
    return {
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "cpu": percentile(cpu_times, 0.5),
        "queries": max(queries),
        "bytes": sizes[-1],
        "content": response.content,
    }


def run_serving(args, orgs: list[Organization], topics: list[Topic]) -> None:
    # Only the stored events: the imported ones are removed first.
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Event.organizers.through._meta.db_table}")
        cursor.execute(f"DELETE FROM {Event.topics.through._meta.db_table}")
        cursor.execute(f"DELETE FROM {Event._meta.db_table}")
    insert_stored(args.stored, orgs, topics)
    refresh_all_listed()  # inserted in bulk, past the services that keep the flag current
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    inserted = time.perf_counter() - t
    now = timezone.localtime()
    print(
        f"\n2. Serving: {Event.objects.count():,} stored events (inserted in {inserted:.1f} s), "
        f"{args.requests} requests each, DEBUG=False, test client"
    )

    in_month = Event.objects.filter(start__year=now.year, start__month=now.month).count()
    topic = topics[0]
    client = Client()
    cases = [
        ("list (upcoming, page 1)", "/veranstaltungen/", "<= 50 ms p95", 50),
        ("list, page 20", "/veranstaltungen/?page=20", "<= 50 ms p95", 50),
        (
            f"month {now:%Y-%m} ({in_month} ev)",
            f"/veranstaltungen/monat/{now.year}/{now.month}/",
            "<= 50 ms p95",
            50,
        ),
        (
            f"month, topic={topic.slug}",
            f"/veranstaltungen/monat/{now.year}/{now.month}/?topic={topic.slug}",
            "<= 50 ms p95",
            50,
        ),
        (
            f"iCal export, topic={topic.slug}",
            f"/veranstaltungen/kalender.ics?topic={topic.slug}",
            "<= 300 ms p95",
            300,
        ),
    ]
    print(f"  {'view':<34} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'queries':>8} {'KB':>7}  target")
    for label, url, target, limit in cases:
        figures = measure(client, url, args.requests)
        extra = ""
        if url.startswith("/veranstaltungen/kalender.ics"):
            extra = f" ({figures['content'].count(b'BEGIN:VEVENT')} events)"
        met = "met" if figures["p95"] <= limit else "MISSED"
        print(
            f"  {label:<34} {figures['p50']:>8.1f} {figures['p95']:>8.1f} {figures['cpu']:>8.1f} "
            f"{figures['queries']:>8} "
            f"{figures['bytes'] / 1024:>7.0f}  {target} {met}{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--events", type=int, default=250)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-serving", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(
        f"Database: {os.environ['DATABASE_URL']}  Python {sys.version.split()[0]}  "
        f"icalendar {icalendar.__version__}"
    )
    orgs, topics = setup_directory(max(args.feeds, 50))
    if not args.skip_import:
        run_import(args, orgs)
    if not args.skip_serving:
        run_serving(args, orgs, topics)
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
