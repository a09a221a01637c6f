"""Matching benchmark for the Kooperationsbörse: prints its figures (it is not a test). See docs/matching.md.

1. Quality on the public set (`../shared/bench/matching-public.jsonl`, relative to the repository's parent
   directory; 60 profiles with the ids a coordination office would propose in `expected`): the file is the
   whole pool, as for `crosscluster match --batch`. hit@1, hit@3 and MRR over the profiles with a non-empty
   `expected`, and how often `no_good_match` is right for those with an empty one, for the whole set and for
   each half (the first 30 lines were the engine's development half, the second 30 were held out).
2. Speed on one core: one new profile against a pool of 10,000 synthetic profiles, the new profile's
   embedding included (p50/p95 of wall-clock and CPU time), and the time to build the pool.
   The synthetic pool recombines the public profiles' sentences (words for the lexical ranker) and mixes
   their vectors with noise (embedding 10,000 texts would take minutes and measures nothing of the query).

Usage: .venv/bin/python bench/matching.py [--file FILE.jsonl] [--pool N] [--queries N] [--dump]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

# One core, as the target is stated for one; set before numpy or the encoder load.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
os.environ["ROUTING_ENCODER_THREADS"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crosscluster.settings.dev")
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from crosscluster.cooperation.matching import (  # noqa: E402
    KINDS,
    Pool,
    ProfileText,
    Weights,
    embed_profiles,
    match_batch,
)
from crosscluster.core.text import sentences  # noqa: E402
from crosscluster.routing.encoders import get_encoder  # noqa: E402

ABLATIONS = [
    ("the engine (defaults)", Weights()),
    ("without per-language centring", Weights(centre=False)),
    ("one direction only (not mutual)", Weights(mutual=False)),
    ("dense ranker only", Weights(lexical=0.0)),
    ("words weighted 1.0 instead of 0.3", Weights(lexical=1.0)),
]

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT.parent / "shared" / "bench" / "matching-public.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def profile_of(row: dict) -> ProfileText:
    return ProfileText(row["id"], row["kind"], row["title"], row["text"], row.get("lang", "de"))


def quality(rows: list[dict], proposals, selection: range) -> dict[str, float]:
    by_id = {proposal.id: proposal for proposal in proposals}
    hits1 = hits3 = reciprocal = 0.0
    n = empty = empty_right = flagged = 0
    for row in (rows[i] for i in selection):
        proposal = by_id[row["id"]]
        if not row["expected"]:
            empty += 1
            empty_right += proposal.no_good_match
            continue
        n += 1
        flagged += proposal.no_good_match
        ranked = [match.profile for match in proposal.matches]
        rank = next((i for i, profile in enumerate(ranked) if profile in row["expected"]), None)
        if rank is not None:
            hits1 += rank == 0
            hits3 += rank < 3
            reciprocal += 1 / (rank + 1)
    return {
        "n": n,
        "hit@1": hits1 / (n or 1),
        "hit@3": hits3 / (n or 1),
        "MRR": reciprocal / (n or 1),
        "empty": empty,
        "empty_right": empty_right,
        "flagged": flagged,
    }


def show(label: str, f: dict[str, float]) -> None:
    print(
        f"  {label:<30} n={f['n']:<3} hit@1={f['hit@1']:.3f}  hit@3={f['hit@3']:.3f}  MRR={f['MRR']:.3f}  "
        f"no_good_match right {f['empty_right']}/{f['empty']}  (wrongly on {f['flagged']} of {f['n']} with "
        "an expected match)"
    )


def subpool_stability(rows: list[dict], vectors: np.ndarray, count: int) -> None:
    """The same figures on `count` random pools of three quarters of the profiles: expected partners outside a
    pool are dropped, and a profile left without one counts as one without a partner. Shows how much the
    figures depend on the particular pool (the hidden set is another pool)."""
    rng = random.Random(16)
    size = len(rows) * 3 // 4
    figures = []
    for _ in range(count):
        keep = sorted(rng.sample(range(len(rows)), size))
        kept = {rows[i]["id"] for i in keep}
        sub = [{**rows[i], "expected": [e for e in rows[i]["expected"] if e in kept]} for i in keep]
        proposals = match_batch([profile_of(row) for row in sub], top=10, vectors=vectors[keep])
        figures.append(quality(sub, proposals, range(len(sub))))
    mean = {key: statistics.mean(f[key] for f in figures) for key in ("hit@1", "hit@3", "MRR")}
    lowest = {key: min(f[key] for f in figures) for key in ("hit@1", "hit@3")}
    right = sum(f["empty_right"] for f in figures) / (sum(f["empty"] for f in figures) or 1)
    flagged = sum(f["flagged"] for f in figures) / (sum(f["n"] for f in figures) or 1)
    print(
        f"  {count} random pools of {size}: hit@1 {mean['hit@1']:.3f} (lowest {lowest['hit@1']:.3f})"
        f"  hit@3 {mean['hit@3']:.3f} (lowest {lowest['hit@3']:.3f})  MRR {mean['MRR']:.3f}"
        f"  no_good_match right {right:.0%}, wrongly {flagged:.0%}"
    )


def synthetic_pool(rows: list[dict], vectors: np.ndarray, size: int, seed: int = 16):
    """`size` profiles recombined from the public ones: kind and language of one, sentences of three, the
    vector a noisy mix of theirs (so the pool has the spread of real profiles, not one point per text)."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    split = [sentences(row["text"]) for row in rows]
    profiles, mixed = [], np.zeros((size, vectors.shape[1]), np.float32)
    for i in range(size):
        picks = rng.sample(range(len(rows)), 3)
        base = rows[picks[0]]
        text = " ".join(rng.choice(split[j]) for j in picks for _ in range(2))
        profiles.append(
            ProfileText(f"s-{i:05d}", rng.choice(KINDS), rows[picks[1]]["title"], text, base["lang"])
        )
        vector = 0.6 * vectors[picks[0]] + 0.3 * vectors[picks[1]] + 0.1 * vectors[picks[2]]
        vector += noise.normal(0, 0.02, vectors.shape[1]).astype(np.float32)
        mixed[i] = vector / np.linalg.norm(vector)
    return profiles, mixed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=PUBLIC)
    parser.add_argument("--pool", type=int, default=10_000, help="size of the synthetic pool")
    parser.add_argument("--queries", type=int, default=120, help="new profiles timed against it")
    parser.add_argument("--ablations", action="store_true", help="also score variants of the engine")
    parser.add_argument("--subpools", type=int, default=0, help="also N random pools of 3/4 of the profiles")
    parser.add_argument("--dump", action="store_true", help="print every proposal of the public set")
    options = parser.parse_args()
    started = time.perf_counter()
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average; a shared 2-core machine)")

    rows = load(options.file)
    encoder = get_encoder()
    t0 = time.perf_counter()
    vectors = embed_profiles([profile_of(row) for row in rows], encoder)
    embed_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    proposals = match_batch([profile_of(row) for row in rows], top=10, vectors=vectors, encoder=encoder)
    batch_seconds = time.perf_counter() - t0
    half = len(rows) // 2
    print(
        f"\n1. Quality on {options.file.name} ({len(rows)} profiles; embedding {embed_seconds:.1f} s, "
        f"matching all {batch_seconds * 1000:.0f} ms)"
    )
    show("all", quality(rows, proposals, range(len(rows))))
    show(f"first half (development, 1-{half})", quality(rows, proposals, range(half)))
    show(f"second half (held out, {half + 1}-{len(rows)})", quality(rows, proposals, range(half, len(rows))))
    if options.ablations:
        print("  variants (all / first half / second half: hit@1, hit@3):")
        for label, weights in ABLATIONS:
            variant = match_batch([profile_of(row) for row in rows], top=10, vectors=vectors, weights=weights)
            figures = [
                quality(rows, variant, part)
                for part in (range(len(rows)), range(half), range(half, len(rows)))
            ]
            print(
                f"    {label:<44} "
                + "   ".join(f"{f['hit@1']:.3f} {f['hit@3']:.3f}" for f in figures)
                + f"   no_good right {figures[0]['empty_right']}/{figures[0]['empty']}"
            )
    if options.subpools:
        subpool_stability(rows, vectors, options.subpools)
    if options.dump:
        expected = {row["id"]: row["expected"] for row in rows}
        for proposal in proposals:
            top = ", ".join(
                f"{m.profile}{'*' if m.profile in expected[proposal.id] else ''} {m.score:.2f}"
                for m in proposal.matches[:3]
            )
            print(f"    {proposal.id} {'NO-GOOD ' if proposal.no_good_match else ''}{top}")

    print(f"\n2. Speed: one new profile against {options.pool} synthetic profiles (one core)")
    pool_profiles, pool_vectors = synthetic_pool(rows, vectors, options.pool)
    t0, c0 = time.perf_counter(), time.process_time()
    pool = Pool(pool_profiles, pool_vectors, encoder=encoder)
    print(
        f"  pool build from stored vectors: {time.perf_counter() - t0:.2f} s wall, "
        f"{time.process_time() - c0:.2f} s CPU"
    )
    queries = [profile_of(rows[i % len(rows)]) for i in range(options.queries)]
    # A new profile each time: the text changes (so nothing is cached), the length stays realistic.
    queries = [
        ProfileText(f"new-{i}", q.kind, q.title, f"{q.text} ({i})", q.lang) for i, q in enumerate(queries)
    ]
    pool.match(queries[0])  # warm-up (model load, first allocations)
    wall, cpu, embed_wall, rank_wall, embed_cpu, rank_cpu = [], [], [], [], [], []
    for query in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        vector = embed_profiles([query], encoder)[0]
        t1, c1 = time.perf_counter(), time.process_time()
        pool.match(query, top=5, vector=vector)
        t2, c2 = time.perf_counter(), time.process_time()
        embed_cpu.append((c1 - c0) * 1000)
        rank_cpu.append((c2 - c1) * 1000)
        wall.append((t2 - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        embed_wall.append((t1 - t0) * 1000)
        rank_wall.append((t2 - t1) * 1000)
    for label, values in (
        ("latency per new profile, wall", wall),
        ("  of which its embedding", embed_wall),
        ("  of which matching", rank_wall),
        ("latency per new profile, CPU", cpu),
        ("  of which its embedding", embed_cpu),
        ("  of which matching", rank_cpu),
    ):
        print(f"  {label:<32} p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms")
    tokens = (
        statistics.mean(encoder.model.token_count(q.title + ". " + q.text) for q in queries[:60])
        if hasattr(encoder, "model")
        else float("nan")
    )
    print(f"  profiles of about {tokens:.0f} tokens; load now {os.getloadavg()[0]:.2f}")
    print(f"\nTotal time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
