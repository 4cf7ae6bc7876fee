"""Benchmark: every rupture signal for 10,000 clients × 100 check-ins, in pure Python.

The Django app recomputes all signals for a clinic's caseload in at most 10 s including the
database reads; the budget for the core is 3 s for 1,000,000 points on a 2-core machine.

Run from the repository root::

    python benchmarks/signals_core.py                  # 10,000 series × 100 points, seed 2024
    python benchmarks/signals_core.py --series 1000    # a quicker look

It builds the synthetic series with ``random.Random(seed)`` (noisy alliance levels with V-shaped
dips, lasting drops, missed and unscored sessions, and tension reports that cluster around the
dips), times :func:`alliance.core.signals.detect` over all of them (best of ``--repeat`` runs),
then measures peak traced memory in one extra run under ``tracemalloc`` (kept out of the timed
runs because tracing slows Python several-fold), and prints points per second, total seconds,
signals found by kind, and memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

# Runs as a script from the repository root without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alliance.core.signals import CheckinPoint, Signal, detect

BUDGET_SECONDS = 3.0


def build_series(rng: random.Random, length: int) -> list[CheckinPoint]:
    """One care episode: a drifting level, occasional dips and drops, missed sessions."""
    level = rng.uniform(4.0, 6.5)
    noise = rng.uniform(0.2, 0.6)
    dip_sessions: dict[int, float] = {}
    points: list[CheckinPoint] = []
    index = 0
    for _ in range(length):
        # About one session in twelve passes without a check-in.
        index += 2 if rng.random() < 0.08 else 1
        if rng.random() < 0.04:
            # A V-shaped rupture over one to three sessions.
            depth = rng.uniform(1.0, 3.0)
            for offset in range(rng.randint(1, 3)):
                dip_sessions[index + offset] = depth * (1.0 - 0.3 * offset)
        if rng.random() < 0.015:
            # A lasting drop (sudden loss), with a slow partial recovery afterwards.
            level = max(1.5, level - rng.uniform(1.5, 3.0))
        level += (5.5 - level) * 0.03
        dip = dip_sessions.pop(index, 0.0)
        raw = level - dip + rng.gauss(0.0, noise)
        # Three 1–7 items averaged: the composite moves in thirds.
        score = round(min(7.0, max(1.0, raw)) * 3.0) / 3.0
        alliance = None if rng.random() < 0.03 else score
        tension = 0
        if dip > 0.5 or rng.random() < 0.06:
            tension = rng.randint(1, 4)
        points.append(
            CheckinPoint(
                key=index,
                index=index,
                alliance=alliance,
                tension=tension,
                resolved=rng.randint(0, 4) if tension else None,
                talked=rng.randint(0, 2) if tension else None,
            )
        )
    return points


def run_all(caseload: list[list[CheckinPoint]]) -> list[list[Signal]]:
    return [detect(points) for points in caseload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.perf_counter()
    caseload = [build_series(rng, args.points) for _ in range(args.series)]
    built = time.perf_counter() - started
    total_points = sum(len(points) for points in caseload)

    timings: list[tuple[float, float]] = []
    results: list[list[Signal]] = []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        results = run_all(caseload)
        timings.append((time.perf_counter() - wall, time.process_time() - cpu))
    best, best_cpu = min(timings)

    kinds = Counter(signal.kind.value for signals in results for signal in signals)
    flagged = sum(1 for signals in results if signals)

    tracemalloc.start()
    results = run_all(caseload)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss is in KiB on Linux: the whole process, including the synthetic caseload.
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    runs = ", ".join(f"{wall:.3f}" for wall, _ in timings)
    print(f"series × points     {args.series:,} × {args.points} = {total_points:,} points")
    print(f"built in            {built:.2f} s (seed {args.seed})")
    print(f"detect, best of {args.repeat}   {best:.3f} s wall, {best_cpu:.3f} s CPU (runs: {runs})")
    print(f"throughput          {total_points / best:,.0f} points/s")
    print(f"per series          {best / args.series * 1e6:.1f} µs")
    print(f"signals found       {sum(kinds.values()):,} in {flagged:,} series")
    for kind, count in sorted(kinds.items()):
        print(f"  {kind:<20} {count:,}")
    print(f"peak traced memory  {peak / 2**20:.1f} MiB during detect (signals kept)")
    print(f"max RSS             {max_rss:.1f} MiB (process, incl. the caseload)")
    scaled = best * 1_000_000 / total_points
    verdict = "within" if scaled <= BUDGET_SECONDS else "OVER"
    print(f"budget              {scaled:.2f} s per 1,000,000 points, {verdict} {BUDGET_SECONDS} s")
    # Other work on the machine slows the wall clock; CPU time shows what detect itself costs.
    print(f"load average        {os.getloadavg()[0]:.2f} over the last minute")


if __name__ == "__main__":
    main()
