"""Feeds under the size limit that used to cost minutes and gigabytes (issue 12, point 2): prints figures.

Two generated iCalendar feeds, each served from a loopback HTTP server and imported by
`events.feeds.importing.import_feed` into a throwaway SQLite database:

  big     ~9.9 MB, ~18,700 single events on 4 days (many per half hour, titles from a small vocabulary, a
          few hundred places): before, the duplicate check compared all pairs (over 300 s, 3.5 GB);
  hourly  ~50 KB, 300 open-ended hourly series: before, about 1 s per series and 300,000 events to store.

Each case runs in a fresh process (so the peak RSS is its own): both with the default caps, and the big one
once more with the caps lifted (`--lifted`: events and occurrences unlimited, processing time 600 s) to show
the cost of importing all of it, the duplicate check included. Printed: wall time, peak RSS
(`resource.getrusage`), the import's status, counts and error. Targets: each well under 60 s and 500 MB.

Usage: .venv/bin/python bench/feed_limits.py            (the three runs above)
       .venv/bin/python bench/feed_limits.py --case big [--lifted]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOPICS = [
    "Wasserstoff",
    "Photovoltaik",
    "Kreislaufwirtschaft",
    "Digitalisierung",
    "Fachkräfte",
    "Gründung",
    "Mobilität",
    "Robotik",
    "Biotechnologie",
    "Quantentechnologie",
    "Leichtbau",
    "Optik",
    "Batterien",
    "Förderprogramme",
    "Export",
    "Künstliche Intelligenz",
    "Cybersicherheit",
    "Logistik",
    "Medizintechnik",
    "Holzbau",
]
FORMATS = ["Workshop", "Sprechstunde", "Netzwerktreffen", "Vortrag", "Seminar", "Stammtisch", "Fachtag"]
CITIES = ["Jena", "Erfurt", "Weimar", "Gera", "Ilmenau", "Suhl", "Gotha", "Nordhausen", "Eisenach", "Apolda"]
VENUES = ["Haus der Wirtschaft", "Rathaus", "Technologiezentrum", "Volkshochschule", "Campus", "Stadthalle"]
FILLER = (
    "Wir laden herzlich ein zum Austausch über aktuelle Entwicklungen, Praxisbeispiele aus der Region und "
    "Fördermöglichkeiten für kleine und mittlere Unternehmen. Anmeldung erbeten; die Teilnahme ist frei."
)


def _ics(events: list[str]) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//Feed limits//DE\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def big_feed(today: dt.date) -> bytes:
    """~9.9 MB, ~18,700 events on 4 days: 4,675 a day, between 8:00 and 20:00 in quarter hours."""
    rng = random.Random(12)
    events = []
    for n in range(18_700):
        day = today + dt.timedelta(days=2 + n % 4)
        start = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=15 * rng.randrange(48))
        end = start + dt.timedelta(minutes=rng.choice([60, 90, 120]))
        title = f"{rng.choice(FORMATS)} {rng.choice(TOPICS)} {rng.choice(CITIES)} {rng.randrange(1000)}"
        place = f"{rng.choice(VENUES)} {rng.randrange(50)}\\, {rng.choice(CITIES)}"
        description = (FILLER + " ") * 2
        events.append(
            "BEGIN:VEVENT\r\n"
            f"UID:big-{n}@bench.example\r\n"
            "DTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}\r\n"
            f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}\r\n"
            f"SUMMARY:{title}\r\n"
            f"LOCATION:{place}\r\n"
            f"DESCRIPTION:{description[:262]}\r\n"
            "END:VEVENT\r\n"
        )
    return _ics(events)


def hourly_feed(today: dt.date) -> bytes:
    """~50 KB: 300 hourly series without end, each starting in the coming days."""
    events = []
    for n in range(300):
        start = dt.datetime.combine(today + dt.timedelta(days=n % 7), dt.time(n % 24))
        events.append(
            "BEGIN:VEVENT\r\n"
            f"UID:hourly-{n}\r\n"
            f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}\r\n"
            "DURATION:PT30M\r\n"
            f"SUMMARY:Sprechstunde {n}\r\n"
            f"LOCATION:{CITIES[n % len(CITIES)]}\r\n"
            "RRULE:FREQ=HOURLY\r\n"
            "END:VEVENT\r\n"
        )
    return _ics(events)


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/feed.ics"


def run_case(case: str, lifted: bool) -> None:
    tmp = tempfile.mkdtemp(prefix="crosscluster-feed-limits-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "crosscluster.settings.dev"
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["FEEDS_ALLOW_PRIVATE_ADDRESSES"] = "true"
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    if lifted:
        os.environ["FEEDS_MAX_EVENTS"] = "0"
        os.environ["FEEDS_MAX_OCCURRENCES"] = "0"
        os.environ["FEEDS_MAX_PROCESSING_SECONDS"] = "600"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from crosscluster.directory.models import Organization, Region
    from crosscluster.events.feeds.importing import import_feed
    from crosscluster.events.models import Event, FeedSubscription

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    region = Region.objects.create(slug="bench", name="Bench")
    organization = Organization.objects.create(region=region, slug="bench", name="Bench", city="Jena")
    today = timezone.localdate()
    body = big_feed(today) if case == "big" else hourly_feed(today)
    httpd, url = serve(body)
    subscription = FeedSubscription.objects.create(
        organization=organization, url=url, kind=FeedSubscription.Kind.ICAL
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = import_feed(subscription)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    httpd.shutdown()
    stored = Event.objects.filter(feed=subscription).count()
    # getattr: the script also runs against the code before the caps (for the figures "before").
    caps = (
        f"events {getattr(settings, 'FEEDS_MAX_EVENTS', 0) or '-'}, "
        f"occurrences {getattr(settings, 'FEEDS_MAX_OCCURRENCES', 0) or '-'}, "
        f"processing {getattr(settings, 'FEEDS_MAX_PROCESSING_SECONDS', '-')} s"
    )
    print(f"{case} ({len(body) / 1e6:.2f} MB), caps: {caps}")
    print(f"  wall {wall:.1f} s, peak RSS {peak / 1024:.0f} MB (before the import {before / 1024:.0f} MB)")
    print(
        f"  status {result.status}: {result.created} created, {stored} stored, "
        f"{len(result.warnings)} warning(s)" + (f"; error: {result.error}" if result.error else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", choices=["big", "hourly"])
    parser.add_argument("--lifted", action="store_true", help="lift the caps (see above)")
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.lifted)
        return
    # The hourly feed with the caps lifted is the behaviour before them (300,000 events stored, minutes):
    # run it alone with `--case hourly --lifted`.
    for case, lifted in (("big", False), ("big", True), ("hourly", False)):
        command = [sys.executable, __file__, "--case", case, *(["--lifted"] if lifted else [])]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
