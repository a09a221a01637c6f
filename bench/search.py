"""Search benchmark: prints its figures (it is not a test). See docs/search.md for the latest ones.

Builds its own data in a throwaway database: 2,000 organisations with 20,000 offers, 100,000 events (two
years back, one ahead, as bench/events.py) and 5,000 notices (some expired, some not yet valid), and topics
with synonyms; then writes every search document (`search-index`). The organisations' and offers' vectors
are random unit vectors stored under the real encoder's name: their values do not change the work of a
query, and computing 16,000 passage embeddings would take minutes. Queries are embedded by the real
encoder. Then, with Django's test client and DEBUG off, the server time of search requests (the page
`/suche/?q=` and `GET /api/v1/search?q=`) over realistic queries: keywords, word forms, compounds, typos,
synonyms, English and a need in a sentence. Figures:

- the cold start: the first search of a new process, after the start-up wsgi.py does (portal.startup);
- p50/p95 per query kind and over all, and the queries per request; the first request of each query
  (its embedding included) separately, as later ones reuse the encoder's cache of recent queries;
- an event edited through the service: how long the change takes and that the next search finds it.

SQLite by default; `--database-url postgres://postgres@127.0.0.1:5432/search_bench` runs on PostgreSQL
(the database is dropped and created afresh).

Usage: .venv/bin/python bench/search.py [--requests 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np


def _database_url() -> str:
    for i, arg in enumerate(sys.argv):
        if arg == "--database-url" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--database-url="):
            return arg.split("=", 1)[1]
    return f"sqlite:///{tempfile.mkdtemp(prefix='crosscluster-bench-')}/bench.sqlite3"


DATABASE_URL = _database_url()
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "crosscluster.settings.dev"
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"


def _fresh_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if DATABASE_URL.startswith("postgres") and "--cold-start" not in sys.argv:
    _fresh_postgres(DATABASE_URL)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from crosscluster.directory.models import Offer, Organization, Region, Topic  # noqa: E402
from crosscluster.events.listing import refresh_all_listed  # noqa: E402
from crosscluster.events.models import Event  # noqa: E402
from crosscluster.news.models import Notice  # noqa: E402
from crosscluster.search import documents, services  # noqa: E402
from crosscluster.search.models import Document  # noqa: E402

settings.DEBUG = False
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

TOPICS = [
    ("Fördermittel", "Förderung\nZuschüsse"),
    ("Digitalisierung", "Digitalisation\nIndustrie 4.0"),
    ("Wasserstoff", "H2\nWasserstoffwirtschaft"),
    ("Fachkräfte", "Personal\nArbeitskräfte"),
    ("Künstliche Intelligenz", "KI\nMaschinelles Lernen"),
    ("Export", "Außenhandel\nInternationalisierung"),
    ("Energieeffizienz", "Energiesparen"),
    ("Kreislaufwirtschaft", "Recycling\nCircular Economy"),
    ("Gründung", "Start-up\nExistenzgründung"),
    ("Patente", "Schutzrechte\nGewerblicher Rechtsschutz"),
    ("Innovation", "Forschung und Entwicklung"),
    ("Nachhaltigkeit", "Klimaschutz"),
    ("Tourismus", ""),
    ("Handwerk", ""),
    ("Mobilität", "Verkehr"),
    ("Kunststoffe", "Polymere"),
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
EVENT_KINDS = [
    "Workshop",
    "Sprechstunde",
    "Netzwerktreffen",
    "Vortrag",
    "Seminar",
    "Stammtisch",
    "Webinar",
    "Fachtag",
    "Exkursion",
    "Hackathon",
    "Infoabend",
    "Barcamp",
]
OFFER_TITLES = [
    "Fördermittelberatung",
    "Innovationsberatung",
    "Exportberatung",
    "Patentrecherche",
    "Fachkräftesicherung",
    "Energieberatung",
    "Digitalisierungscheck",
    "Wasserstoffnetzwerk",
    "Gründungsberatung",
    "Technologietransfer",
    "Kooperationsbörse",
    "Weiterbildung Künstliche Intelligenz",
    "Materialprüfung Kunststoffe",
    "Nachhaltigkeitsbericht",
    "Recyclingberatung",
    "Mobilitätskonzepte",
]
SENTENCES = [
    "Wir beraten kleine und mittlere Unternehmen aus der Region.",
    "Gemeinsam mit Hochschulen und Kammern entwickeln wir Lösungen.",
    "Wir stellen aktuelle Förderprogramme vor und helfen beim Antrag.",
    "Unsere Expertinnen und Experten kommen auch in Ihren Betrieb.",
    "Das Angebot ist für Mitglieder kostenfrei.",
    "Wir vernetzen Unternehmen, Forschung und Verwaltung.",
    "Im Anschluss besteht Gelegenheit zum Austausch.",
    "Bitte melden Sie sich bis eine Woche vorher an.",
]
QUERIES = {
    "keyword": ["Fördermittel", "Wasserstoff", "Export", "Kunststoffe", "Handwerk Erfurt"],
    "word form": ["Förderung", "Patent", "Energieeffizienter", "Gründungen"],
    "compound": ["Beratung", "Wasserstoffnetzwerk", "Fördermittelberatung Jena", "Check"],
    "typo": ["Fördermitel", "Digitalisirung", "Wasserstof", "Kreislaufwirtschat", "Energieefizienz"],
    "synonym": ["KI", "Industrie 4.0", "Recycling", "Zuschüsse"],
    "two words": ["Förderung Digitalisierung", "Workshop Wasserstoff", "Fachkräfte Weimar"],
    "english": ["hydrogen", "skilled workers", "digitalisation"],
    "need": [
        "wir suchen Fördermittel für die Digitalisierung unserer Fertigung",
        "we need help with export to Poland",
    ],
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- Data ---------------------------------------------------------------------------------------------------


def build_data(args: argparse.Namespace) -> None:
    rng = random.Random(5)
    region = Region.objects.create(slug="thueringen", name="Thüringen")
    Topic.objects.bulk_create(
        [
            Topic(slug=f"thema-{i:02d}", name=name, synonyms=synonyms, position=i)
            for i, (name, synonyms) in enumerate(TOPICS)
        ]
    )
    topics = list(Topic.objects.order_by("pk"))
    orgs = []
    for i in range(args.organizations):
        topic = topics[i % len(topics)]
        orgs.append(
            Organization(
                region=region,
                slug=f"org-{i:05d}",
                name=f"Netzwerk {topic.name} {CITIES[i % len(CITIES)]} {i}",
                kind=Organization.Kind.values[i % len(Organization.Kind.values)],
                city=CITIES[i % len(CITIES)],
                summary=rng.choice(SENTENCES),
                description=" ".join(rng.sample(SENTENCES, 3)),
                published=rng.random() > 0.03,
            )
        )
    Organization.objects.bulk_create(orgs, batch_size=1000)
    orgs = list(Organization.objects.order_by("pk"))
    OrgTopic = Organization.topics.through
    OrgTopic.objects.bulk_create(
        [OrgTopic(organization_id=org.pk, topic_id=topics[i % len(topics)].pk) for i, org in enumerate(orgs)]
    )
    offers = []
    per_org = args.offers // len(orgs)
    for org in orgs:
        for n in range(per_org):
            title = f"{rng.choice(OFFER_TITLES)} {rng.choice(TOPICS)[0]}"
            description = " ".join(rng.sample(SENTENCES, 2))
            offers.append(Offer(organization=org, title=title, description=description, position=n))
    Offer.objects.bulk_create(offers, batch_size=2000)

    now = timezone.now()
    span_start = now - dt.timedelta(days=730)
    span_seconds = 3 * 365 * 86400
    OrgLink, TopicLink = Event.organizers.through, Event.topics.through
    for offset in range(0, args.events, 5000):
        events, organizers, event_topics = [], [], []
        for n in range(offset, min(args.events, offset + 5000)):
            start = span_start + dt.timedelta(seconds=rng.randrange(span_seconds) // 900 * 900)
            end = start + dt.timedelta(minutes=rng.choice([60, 90, 120, 240]))
            organizer = orgs[rng.randrange(len(orgs))]
            chosen = rng.sample(topics, rng.randint(1, 2))
            title = f"{rng.choice(EVENT_KINDS)}: {chosen[0].name} in {rng.choice(CITIES)} ({n})"
            description = " ".join(rng.sample(SENTENCES, 2)) if rng.random() < 0.5 else ""
            city = rng.choice(CITIES)
            events.append(
                Event(
                    title=title,
                    description=description,
                    start=start,
                    end=end,
                    venue="Haus der Wirtschaft",
                    city=city,
                )
            )
            organizers.append(organizer)
            event_topics.append(chosen)
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=1000)
            if not events[0].pk:  # databases that do not return ids from bulk inserts
                events = list(Event.objects.order_by("-pk")[: len(events)])[::-1]
            OrgLink.objects.bulk_create(
                [
                    OrgLink(event_id=e.pk, organization_id=o.pk)
                    for e, o in zip(events, organizers, strict=True)
                ],
                batch_size=2000,
            )
            TopicLink.objects.bulk_create(
                [
                    TopicLink(event_id=e.pk, topic_id=t.pk)
                    for e, ts in zip(events, event_topics, strict=True)
                    for t in ts
                ],
                batch_size=2000,
            )
    refresh_all_listed()  # inserted in bulk, past the services that keep the flag current

    notices = []
    for n in range(args.notices):
        valid_from = now - dt.timedelta(days=rng.uniform(-20, 365))
        valid_until = (
            valid_from + dt.timedelta(days=rng.choice([30, 90, 365])) if rng.random() < 0.6 else None
        )
        topic = rng.choice(topics)
        title = (
            f"{rng.choice(['Neue', 'Aktuelle', 'Geänderte'])} {rng.choice(OFFER_TITLES)}: {topic.name} ({n})"
        )
        body = " ".join(rng.sample(SENTENCES, 3))
        notices.append(
            Notice(
                region=region,
                organization=rng.choice(orgs) if rng.random() < 0.8 else None,
                slug=f"hinweis-{n}",
                title=title,
                body=body,
                body_html=f"<p>{body}</p>",
                valid_from=valid_from,
                valid_until=valid_until,
                pinned=rng.random() < 0.01,
            )
        )
    Notice.objects.bulk_create(notices, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Measuring ------------------------------------------------------------------------------------------


def measure(client: Client, url: str, requests: int) -> tuple[list[float], int]:
    times, queries = [], 0
    for _ in range(requests):
        connection.queries_log.clear()  # bounded: a full log would hide the count
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed * 1000)
        queries = max(queries, len(captured))
    return times, queries


def rss_mb() -> float:
    """This process's resident memory now (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill_vectors() -> None:
    """Random unit vectors for every organisation and offer document, under the configured encoder's name."""
    rng = np.random.default_rng(3)
    name, dim = documents.encoder_name(), 384
    rows = list(Document.objects.filter(kind__in=["organization", "offer"]).values_list("pk", flat=True))
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        vectors = rng.standard_normal((len(chunk), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with transaction.atomic():
            Document.objects.bulk_update(
                [
                    Document(pk=pk, vector=vector.astype("<f2").tobytes(), vector_model=name)
                    for pk, vector in zip(chunk, vectors, strict=True)
                ],
                ["vector", "vector_model"],
                batch_size=1000,
            )


def cold_start() -> None:
    """In a new process: Django, the start-up of an app server (wsgi.py: the URLconf, templates, the encoder
    and its first run; no data), then the first search; print the times."""
    started = time.perf_counter()
    from crosscluster.portal.startup import prepare_process

    prepare_process()
    loaded = time.perf_counter() - started
    client = Client()
    started = time.perf_counter()
    response = client.get("/suche/?" + urlencode({"q": "Fördermittel"}))
    first = time.perf_counter() - started
    assert response.status_code == 200
    started = time.perf_counter()
    client.get("/api/v1/search?" + urlencode({"q": "Wasserstoff"}))
    second = time.perf_counter() - started
    print(f"{loaded * 1000:.0f} {first * 1000:.0f} {second * 1000:.0f}")


def run(args: argparse.Namespace) -> None:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL}
    output = subprocess.run(
        [sys.executable, __file__, "--cold-start", "--database-url", DATABASE_URL],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.split()
    loaded, first, second = (float(value) for value in output[-3:])
    print(
        f"\nCold start, a new process: start-up (wsgi.py: URLconf, templates, encoder) {loaded:,.0f} ms; "
        f"the first search "
        f"(page) {first:,.0f} ms, the next (API, another query) {second:,.0f} ms"
    )
    client = Client()
    gc.collect()
    print(
        f"  resident memory of this process: {rss_mb():,.0f} MB (the search holds nothing between requests)"
    )

    print(f"\nSearch requests, {args.requests} each per query, DEBUG=False, test client")
    columns = f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}"
    print(f"  {'query kind':<12} {'endpoint':<6} {columns}")
    everything: dict[str, list[float]] = {}
    firsts: dict[str, list[float]] = {}
    for endpoint in ("page", "api"):
        everything[endpoint], firsts[endpoint] = [], []
        for kind, queries in QUERIES.items():
            times: list[float] = []
            most = 0
            for query in queries:
                path = "/suche/?" if endpoint == "page" else "/api/v1/search?"
                url = path + urlencode({"q": query})
                found, count = measure(client, url, args.requests)
                firsts[endpoint].append(found[0])
                times += found
                most = max(most, count)
            everything[endpoint] += times
            print(
                f"  {kind:<12} {endpoint:<6} {percentile(times, 0.5):>8.1f} "
                f"{percentile(times, 0.95):>8.1f} {max(times):>8.1f} {most:>8}"
            )
    target = 50 if connection.vendor == "postgresql" else 100
    print(f"\n  all queries together (target: p95 <= {target} ms):")
    for endpoint, times in everything.items():
        p95 = percentile(times, 0.95)
        met = "met" if p95 <= target else "MISSED"
        p50 = percentile(times, 0.5)
        first50, first95 = percentile(firsts[endpoint], 0.5), percentile(firsts[endpoint], 0.95)
        print(f"  {endpoint:<5} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({len(times)} requests) {met}")
        print(f"        first request of each query: p50 {first50:6.1f} ms  p95 {first95:6.1f} ms")

    # One event edited through the service, as the manager form does: its document is written in the same
    # transaction, and the next search (on any app server) finds it.
    from crosscluster.events.services import update_event

    event = Event.objects.filter(end__gte=timezone.now(), listed=True).order_by("pk").first()
    started = time.perf_counter()
    update_event(event, actor=None, title=event.title + " Zeppelinwerft")
    edited = time.perf_counter() - started
    started = time.perf_counter()
    result = services.search("Zeppelinwerft", kinds=["event"])
    during = time.perf_counter() - started
    found = [item.pk for item in result.groups[0].items] == [event.pk]
    print(
        f"\nAn event edited through the service: {edited * 1000:,.0f} ms (its document written in the same "
        f"transaction); the next search took {during * 1000:,.0f} ms and {'found' if found else 'MISSED'} it"
    )
    top = services.search("Fördermitel")
    print(
        f"\nSample: 'Fördermitel' -> did you mean {top.suggestion!r}; counts "
        + ", ".join(f"{group.kind} {group.count}" for group in top.groups)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organizations", type=int, default=2_000)
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--cold-start", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_start:
        cold_start()
        return

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    vendor = connection.vendor
    print(f"Database: {vendor} ({DATABASE_URL.split('@')[-1]})  Python {sys.version.split()[0]}")
    t = time.perf_counter()
    build_data(args)
    print(
        f"Data: {Organization.objects.count():,} organisations, {Offer.objects.count():,} offers, "
        f"{Event.objects.count():,} events, {Notice.objects.count():,} notices "
        f"(inserted in {time.perf_counter() - t:.0f} s)"
    )
    t = time.perf_counter()
    with transaction.atomic():
        counts = documents.rebuild()
    fill_vectors()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"Search documents written (search-index): {Document.objects.count():,} in "
        f"{time.perf_counter() - t:.0f} s ({counts})"
    )
    run(args)
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
