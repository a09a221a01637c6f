"""Routing benchmark: prints its figures (it is not a test). See docs/routing.md for the latest ones.

1. Quality: imports /work/shared/data/thueringen.json into a fresh SQLite database (with `import-directory`,
   which computes the embeddings) and routes every line of the public benchmark: hit@1, hit@3 and MRR for
   the whole set and for each half (the engine was developed on the first half only).
2. Speed on one core: a synthetic directory of 2,000 organisations and 20,000 offers recombined from the demo
   data; latency per query (query embedding included), time to build the in-memory index from stored data,
   and the process's peak memory.
3. Learning: hit@1 on the second half with and without the first half recorded as handled inquiries.

With --calibrate it does only the calibration of the fit in words ("passt sehr gut", docs/routing.md): it
routes the public set, splits it into its two halves (the first `t-001`…`t-040`, the engine's development
half, the second held out), chooses the thresholds on the first half, and prints for both halves how often
each label is given and how often the suggestion so labelled is right, for the thresholds in
`routing.services.FIT_THRESHOLDS` and for the ones the calibration chooses. With BENCH_DUMP=1 it also prints
each inquiry's margin and its suggestions' z-scores (* marks the expected organisation).

Usage: .venv/bin/python bench/routing.py [--directory FILE] [--queries FILE] [--organizations N] [--calibrate]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One core, as the targets are stated for one; set before numpy or the encoder load.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
os.environ["ROUTING_ENCODER_THREADS"] = "1"
if "--serve" not in sys.argv:
    _TMP = tempfile.mkdtemp(prefix="crosscluster-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "crosscluster.settings.dev"
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
# Embeddings are computed by the commands themselves here, as without a worker.
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from crosscluster.directory.models import Region  # noqa: E402
from crosscluster.routing import services  # noqa: E402
from crosscluster.routing.encoders import get_encoder  # noqa: E402
from crosscluster.routing.models import Evidence  # noqa: E402

SHARED = Path(os.environ.get("CROSSCLUSTER_SHARED", "/work/shared"))


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(queries: list[dict], region: Region) -> dict[str, float]:
    hits1 = hits3 = reciprocal = 0.0
    for query in queries:
        result = services.suggest(query["text"], region=region, top=20)
        slugs = [item.organization.slug for item in result.results]
        rank = next((i for i, slug in enumerate(slugs) if slug in query["expected"]), None)
        if rank is not None:
            hits1 += rank == 0
            hits3 += rank < 3
            reciprocal += 1 / (rank + 1)
    n = len(queries) or 1
    return {"hit@1": hits1 / n, "hit@3": hits3 / n, "MRR": reciprocal / n, "n": len(queries)}


def show(label: str, figures: dict[str, float]) -> None:
    print(
        f"  {label:<34} n={figures['n']:<3} hit@1={figures['hit@1']:.3f}  hit@3={figures['hit@3']:.3f}  "
        f"MRR={figures['MRR']:.3f}"
    )


def synthetic_directory(demo: dict, organizations: int, offers_each: int, seed: int = 7) -> dict:
    """Recombined demo data: real names, sentences, offers and topics, in new combinations.

    The texts repeat the demo's, so their embeddings are computed once (stored by hash); the index is built
    and searched over all 2,000 organisations and 20,000 offers all the same.
    """
    rng = random.Random(seed)
    source = demo["organizations"]
    offers = [offer for org in source for offer in org.get("offers", [])]
    sentences = [s for org in source for s in org.get("description", "").split(". ") if s]
    topics = [topic["slug"] for topic in demo["topics"]]
    kinds = [org["kind"] for org in source if org["kind"] != "coordination"]
    result = []
    for i in range(organizations):
        template = rng.choice(source)
        result.append(
            {
                "slug": f"synthetic-{i:05d}",
                "name": template["name"],
                "kind": "coordination" if i == 0 else rng.choice(kinds),
                "city": template.get("city", ""),
                "summary": rng.choice(source).get("summary", ""),
                "description": ". ".join(rng.sample(sentences, 6)),
                "topics": rng.sample(topics, 3),
                "offers": [dict(offer) for offer in rng.sample(offers, offers_each)],
            }
        )
    return {
        "format": demo["format"],
        "region": {"slug": "synthetic", "name": "Synthetic"},
        "topics": demo["topics"],
        "organizations": result,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM).

    Not `getrusage().ru_maxrss`: Linux keeps that across `execve`, so a process started by the benchmark
    would report the importing parent's peak instead of its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, default=SHARED / "data" / "thueringen.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "bench" / "routing-public.jsonl")
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--offers-each", type=int, default=10)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--calibrate", action="store_true", help="only calibrate the fit in words")
    args = parser.parse_args()
    if args.serve:
        serve(args.queries)
        return
    if args.calibrate:
        calibrate(args.directory, args.queries)
        return

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Database: {os.environ['DATABASE_URL']}  encoder: {get_encoder().name}, 1 thread")

    # --- 1. Quality -----------------------------------------------------------------------------------
    t = time.perf_counter()
    call_command("import-directory", str(args.directory), verbosity=0)
    demo = json.loads(args.directory.read_text(encoding="utf-8"))
    region = Region.objects.get(slug=demo["region"]["slug"])
    print(
        f"\n1. Quality on {args.queries.name} ({demo['region']['name']}; import incl. embeddings "
        f"{time.perf_counter() - t:.1f} s)"
    )
    queries = load_queries(args.queries)
    half = len(queries) // 2
    first, second = queries[:half], queries[half:]
    show("all", measure(queries, region))
    show("first half (development)", measure(first, region))
    show("second half (check, held out)", measure(second, region))

    # --- 3. Learning from history (before the synthetic region joins the index) ----------------------
    print("\n3. Learning from handled inquiries (second half)")
    without = measure(second, region)
    slugs = {org.slug: org for org in region.organizations.all()}
    for query in first:
        organization = slugs[query["expected"][0]]
        services.record_evidence(organization, query["text"], source="bench", source_id=query["id"])
    services.ensure_embeddings()
    with_history = measure(second, region)
    show("without history", without)
    show(f"with the first half as history ({len(first)})", with_history)
    Evidence.objects.filter(source="bench").delete()
    services.bump_index_version()

    # --- 2. Speed ------------------------------------------------------------------------------------
    synthetic = synthetic_directory(demo, args.organizations, args.offers_each)
    path = Path(_TMP) / "synthetic.json"
    path.write_text(json.dumps(synthetic, ensure_ascii=False), encoding="utf-8")
    t = time.perf_counter()
    call_command("import-directory", str(path), verbosity=0)
    offers = sum(len(org["offers"]) for org in synthetic["organizations"])
    print(
        f"\n2. Speed: synthetic directory, {args.organizations} organisations, {offers} offers "
        f"(import incl. embeddings {time.perf_counter() - t:.1f} s)"
    )
    sys.stdout.flush()
    # A fresh process, as an app server starts: its memory is the index's and the model's, not the import's.
    subprocess.run(
        [sys.executable, __file__, "--serve", "--queries", str(args.queries)],
        check=True,
        env={**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"]},
    )
    print(f"\nTotal time {time.perf_counter() - started:.0f} s")


# --- The fit in words ---------------------------------------------------------------------------------------

# The promise of "fits very well": the first suggestion is right at least this often. Thresholds are chosen
# on the first half with no error at all, so that the held-out half keeps the promise with some room.
VERY_GOOD_PRECISION = 0.95
# Grid of candidate thresholds (z units): coarse, so that no threshold sits between two single lines.
GRID = 0.25


def routed(queries: list[dict], region: Region) -> list[dict]:
    """Each query's suggestions (top 5, as the form shows them) with their z-scores and correctness."""
    rows = []
    for query in queries:
        result = services.suggest(query["text"], region=region, top=5)
        rows.append(
            {
                "id": query["id"],
                "confident": result.confident,
                "margin": result.margin,
                "fallback": not result.confident,
                "items": [
                    (item.z, item.organization.slug in query["expected"], item.fit) for item in result.results
                ],
            }
        )
    return rows


def label(row: dict, position: int, thresholds: services.FitThresholds) -> str:
    z = row["items"][position][0]
    return services.fit_of(
        z, first=position == 0, margin=row["margin"], confident=row["confident"], thresholds=thresholds
    )


def fit_figures(rows: list[dict], thresholds: services.FitThresholds) -> dict[str, dict[str, float]]:
    """Per label: how many queries' first suggestion get it, how many of those are right; and the same for
    all suggestions shown."""
    figures = {}
    for fit in (services.Fit.VERY_GOOD, services.Fit.GOOD, services.Fit.MAYBE):
        first = [row["items"][0][1] for row in rows if row["items"] and label(row, 0, thresholds) == fit]
        shown = [
            right
            for row in rows
            for position, (_z, right, _fit) in enumerate(row["items"])
            if label(row, position, thresholds) == fit
        ]
        figures[fit] = {
            "first": len(first),
            "first_right": sum(first),
            "shown": len(shown),
            "shown_right": sum(shown),
        }
    return figures


def choose_thresholds(rows: list[dict]) -> services.FitThresholds:
    """The loosest grid thresholds that keep their promise on `rows` (the development half).

    "Very well": the smallest margin at which every first suggestion so labelled was right (at least
    `VERY_GOOD_PRECISION` is the promise; none wrong leaves room for the held-out half). "Well": the smallest
    z at which a suggestion so labelled (first or not) was right at least half the time.
    """
    margins = [row["margin"] for row in rows if row["confident"]]
    very_good = GRID
    while very_good < max(margins, default=0) + GRID:
        labelled = [row["items"][0][1] for row in rows if row["confident"] and row["margin"] >= very_good]
        if labelled and all(labelled):
            break
        very_good += GRID
    good = GRID
    while good < 10:
        candidate = services.FitThresholds(very_good, good)
        figures = fit_figures(rows, candidate)[services.Fit.GOOD]
        if not figures["shown"] or figures["shown_right"] / figures["shown"] >= 0.5:
            break
        good += GRID
    return services.FitThresholds(very_good_margin=very_good, good_z=good)


def show_fit(title: str, rows: list[dict], thresholds: services.FitThresholds) -> None:
    figures = fit_figures(rows, thresholds)
    n = len(rows)
    shown = sum(len(row["items"]) for row in rows)
    print(f"  {title} (n={n} inquiries, {shown} suggestions shown)")
    for fit, item in figures.items():
        words = str(services.FIT_LABELS[fit])
        first = f"{item['first_right']}/{item['first']}" if item["first"] else "–"
        share = item["first"] / n if n else 0
        precision = f"{item['first_right'] / item['first']:.0%}" if item["first"] else "–"
        shown_precision = f"{item['shown_right'] / item['shown']:.0%}" if item["shown"] else "–"
        print(
            f"    {words:<16} first suggestion: {share:>4.0%} of inquiries, right {first:>6} ({precision:>4})"
            f"   all suggestions: {item['shown']:>3} given, right {shown_precision:>4}"
        )


def calibrate(directory: Path, queries_path: Path) -> None:
    from django.utils import translation

    translation.activate("de")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("import-directory", str(directory), verbosity=0)
    demo = json.loads(directory.read_text(encoding="utf-8"))
    region = Region.objects.get(slug=demo["region"]["slug"])
    queries = load_queries(queries_path)
    half = len(queries) // 2
    first, second = routed(queries[:half], region), routed(queries[half:], region)
    chosen = choose_thresholds(first)
    configured = services.FIT_THRESHOLDS
    print(f"Fit in words on {queries_path.name} ({demo['region']['name']}), split: first {half} / rest")
    print(
        f"  chosen on the first half:     very well: margin ≥ {chosen.very_good_margin:.2f} z; "
        f"well: z ≥ {chosen.good_z:.2f}"
    )
    print(
        f"  configured (FIT_THRESHOLDS):  very well: margin ≥ {configured.very_good_margin:.2f} z; "
        f"well: z ≥ {configured.good_z:.2f}"
    )
    show_fit("first half (calibration), configured", first, configured)
    show_fit("second half (held out), configured", second, configured)
    show_fit("all, configured", first + second, configured)
    held_out = fit_figures(second, configured)[services.Fit.VERY_GOOD]
    if held_out["first"]:
        precision = held_out["first_right"] / held_out["first"]
        verdict = "kept" if precision >= VERY_GOOD_PRECISION else "BROKEN"
        promise = f"≥ {VERY_GOOD_PRECISION:.0%}"
        print(f"  promise on the held-out half: {precision:.1%} right ({promise}): {verdict}")
    if os.environ.get("BENCH_DUMP"):
        for row in first + second:
            items = " ".join(f"{z:+.3f}{'*' if right else ''}" for z, right, _fit in row["items"])
            print(f"    {row['id']} conf={row['confident']!s:<5} margin={row['margin']:.2f}  {items}")


def serve(queries_path: Path) -> None:
    """Part 2 in an app-server-like process: build the index from the database, then answer queries."""
    synthetic_region = Region.objects.get(slug="synthetic")
    queries = load_queries(queries_path)
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        index = services.build_index()
        builds.append(time.perf_counter() - t)
        del index
    services.suggest("Aufwärmen", region=synthetic_region)  # builds this process's index once
    index = services.get_index()
    print(
        f"  index build from stored data: {min(builds):.2f} s (best of 3; {len(index.passages)} passages "
        f"with {len(index.vectors)} distinct texts, "
        f"{len(index.orgs)} organisations, {len(index.token_ids)} terms)"
    )
    encoder = get_encoder()
    encoder._cache.clear()
    total, embedding, ranking, repeated = [], [], [], []
    for query in queries:
        t = time.perf_counter()
        services.suggest(query["text"], region=synthetic_region, top=5)
        total.append((time.perf_counter() - t) * 1000)
    for query in queries:
        t = time.perf_counter()
        services.suggest(query["text"], region=synthetic_region, top=5)
        repeated.append((time.perf_counter() - t) * 1000)
    for query in queries:
        encoder._cache.clear()
        t = time.perf_counter()
        vector = encoder.encode_queries([query["text"]])[0]
        embedding.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.rank(query["text"], vector, regions=[synthetic_region.pk], top=5)
        ranking.append((time.perf_counter() - t) * 1000)

    def line(label: str, values: list[float]) -> None:
        print(f"  {label:<40} p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms")

    line("latency per query, all included:", total)
    line("  of which query embedding:", embedding)
    line("  of which ranking:", ranking)
    line("the same inquiry again (vector cached):", repeated)
    peak = peak_rss_mb()
    print(f"  peak memory of this serving process (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
