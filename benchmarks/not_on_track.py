"""Evaluate the not-on-track rule on simulated PHQ-9 clients whose later outcome is known.

Run from the repository root::

    python benchmarks/not_on_track.py                      # 2,000 clients, seed 2026
    python benchmarks/not_on_track.py --clients 20000 --seed 7

Each simulated client has an intake (session 0) and 12 later sessions. Three kinds of course,
none of them drawn from the rule's own curves:

* **responders** (60 %): improve along a curve of their own, by 30–80 % of the intake score at
  a rate drawn from 0.1–0.5 per session;
* **non-responders** (25 %): no systematic change, a small drift up or down;
* **deteriorators** (15 %): a slight early improvement, then a worsening of 0.5–1.5 points per
  session that starts anywhere from session 0 to session 10, so many do not show it early.

Observed scores add measurement noise (SD 2.5 points), rounded and kept within 0–27. A client
*later deteriorated* when the score at the last session is reliably worse than at intake (RCI
above 1.96 with the PHQ-9 definition's SD 5.0 and reliability .84, i.e. 6 or more points worse):
the truth a clinic could see at the end. The rule sees only sessions 0 to ``--early`` (4).

Printed for each setting: sensitivity (flagged among those who later deteriorated), false-alarm
rate (flagged among those who did not), PPV (later deteriorated among the flagged), and the
sensitivity among the deteriorators whose worsening had or had not begun by the last early
session (known here only because the data are simulated). The numbers show how the rule behaves
on data whose truth is known; they say nothing about its accuracy with real clients, whose
courses the simulation only caricatures.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

# Runs as a script from the repository root without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alliance.core.change import reliable_change_index
from alliance.core.definitions import builtin
from alliance.core.not_on_track import DEFAULT_CURVES, NotOnTrackSettings, assess
from alliance.core.outcomes import OutcomeDefinition

NOISE_SD = 2.5


@dataclass(frozen=True)
class Client:
    series: list[tuple[int, float]]
    kind: str
    onset: int | None


def simulate(rng: random.Random, sessions: int) -> Client:
    intake = min(27.0, max(5.0, rng.gauss(16.0, 5.0)))
    draw = rng.random()
    onset: int | None = None
    if draw < 0.60:
        kind = "responder"
        depth = rng.uniform(0.3, 0.8) * intake
        rate = rng.uniform(0.1, 0.5)

        def true(t: int) -> float:
            return intake - depth * (1.0 - math.exp(-rate * t))

    elif draw < 0.85:
        kind = "non-responder"
        drift = rng.gauss(0.0, 0.15)

        def true(t: int) -> float:
            return intake + drift * t

    else:
        kind = "deteriorator"
        onset = rng.randint(0, 10)
        slope = rng.uniform(0.5, 1.5)
        start = onset

        def true(t: int) -> float:
            return intake - 1.0 * (1.0 - math.exp(-0.3 * t)) + slope * max(0, t - start)

    series = [
        (t, float(min(27, max(0, round(true(t) + rng.gauss(0.0, NOISE_SD))))))
        for t in range(sessions + 1)
    ]
    return Client(series, kind, onset)


def later_deteriorated(defn: OutcomeDefinition, client: Client) -> bool:
    assert defn.sd is not None and defn.reliability is not None
    first, last = client.series[0][1], client.series[-1][1]
    return reliable_change_index(first, last, sd=defn.sd, reliability=defn.reliability) > 1.96


def evaluate(
    defn: OutcomeDefinition, clients: list[Client], settings: NotOnTrackSettings, early: int
) -> dict[str, float]:
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "early_tp": 0, "early_n": 0}
    counts |= {"late_tp": 0, "late_n": 0}
    for client in clients:
        flagged = assess(defn, client.series[: early + 1], settings) is not None
        truth = later_deteriorated(defn, client)
        counts[("tp" if flagged else "fn") if truth else ("fp" if flagged else "tn")] += 1
        if truth and client.onset is not None:
            group = "early" if client.onset < early else "late"
            counts[f"{group}_n"] += 1
            counts[f"{group}_tp"] += flagged
    positives = counts["tp"] + counts["fn"]
    negatives = counts["fp"] + counts["tn"]
    flagged_total = counts["tp"] + counts["fp"]
    return {
        "sensitivity": counts["tp"] / positives if positives else math.nan,
        "false_alarm": counts["fp"] / negatives if negatives else math.nan,
        "ppv": counts["tp"] / flagged_total if flagged_total else math.nan,
        "flagged": flagged_total / len(clients),
        "early_sensitivity": counts["early_tp"] / counts["early_n"] if counts["early_n"] else 0,
        "late_sensitivity": counts["late_tp"] / counts["late_n"] if counts["late_n"] else 0,
        "positives": positives,
        "early_n": counts["early_n"],
        "late_n": counts["late_n"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sessions", type=int, default=12, help="sessions after intake")
    parser.add_argument("--early", type=int, default=4, help="last session the rule sees")
    args = parser.parse_args()

    defn = builtin()["phq9"]
    rng = random.Random(args.seed)
    clients = [simulate(rng, args.sessions) for _ in range(args.clients)]
    kinds = {kind: sum(c.kind == kind for c in clients) for kind in ("responder", "non-responder")}
    kinds["deteriorator"] = args.clients - sum(kinds.values())
    curves = DEFAULT_CURVES["phq9"]
    settings = [
        ("default: z 1.0, 2 in a row, RCI", NotOnTrackSettings(curves=curves)),
        ("z 0.5, 2 in a row, RCI", NotOnTrackSettings(curves=curves, z=0.5)),
        ("z 1.5, 2 in a row, RCI", NotOnTrackSettings(curves=curves, z=1.5)),
        ("z 1.0, 1 in a row, RCI", NotOnTrackSettings(curves=curves, consecutive=1)),
        ("z 1.0, 3 in a row, RCI", NotOnTrackSettings(curves=curves, consecutive=3)),
        ("z 1.0, 2 in a row, no RCI", NotOnTrackSettings(curves=curves, rci_z=None)),
        ("RCI only (band off)", NotOnTrackSettings(curves=curves, z=1000.0)),
    ]
    first = evaluate(defn, clients, settings[0][1], args.early)
    print(
        f"clients {args.clients:,} (seed {args.seed}): {kinds['responder']:,} responders, "
        f"{kinds['non-responder']:,} non-responders, {kinds['deteriorator']:,} deteriorators"
    )
    print(
        f"later reliably deteriorated by session {args.sessions}: {first['positives']:,} "
        f"({first['positives'] / args.clients:.1%}); of the deteriorators among them, "
        f"{first['early_n']:,} began to worsen before session {args.early}, "
        f"{first['late_n']:,} later"
    )
    print(f"rule applied to sessions 0-{args.early} only\n")
    header = (
        f"{'setting':<34}{'sensitivity':>12}{'false alarm':>12}{'PPV':>8}{'flagged':>9}"
        f"{'sens. early onset':>19}{'sens. late onset':>18}"
    )
    print(header)
    print("-" * len(header))
    for name, setting in settings:
        result = evaluate(defn, clients, setting, args.early)
        print(
            f"{name:<34}{result['sensitivity']:>12.1%}{result['false_alarm']:>12.1%}"
            f"{result['ppv']:>8.1%}{result['flagged']:>9.1%}"
            f"{result['early_sensitivity']:>19.1%}{result['late_sensitivity']:>18.1%}"
        )


if __name__ == "__main__":
    main()
