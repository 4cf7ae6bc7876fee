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
the truth a clinic could see at the end.

Each rule (the previous one, the new one with default curves, the new one with curves fitted to
``--history`` earlier simulated clients, and variants) is run on sessions 0-3, 0-4, 0-11 (all
before the last score) and 0-12 (the last included, circular since the truth is read off it).
Printed: sensitivity (flagged among those who later deteriorated) / false-alarm rate (flagged
among those who did not), the share of non-responders who did not deteriorate that each rule
flags by session 11, and, as a ceiling, the sensitivity at 20 % false alarms of a logistic
model that knows the truth. The numbers show how the rules behave on data whose truth is known;
they say nothing about their accuracy with real clients, whose
courses the simulation only caricatures.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

# Runs as a script from the repository root without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alliance.core.change import reliable_change_index
from alliance.core.definitions import builtin
from alliance.core.not_on_track import Curve, NotOnTrackSettings, assess, default_settings
from alliance.core.outcomes import OutcomeDefinition
from alliance.core.recovery import clinic_curves

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


# The rule before issue 11: assumed curves with one fixed spread, two scores in a row outside.
PREVIOUS_CURVES = {
    label: Curve(improvement=p, rate=0.2, residual_sd=4.0)
    for label, p in (
        ("minimal", 0.0),
        ("mild", 0.3),
        ("moderate", 0.4),
        ("moderately severe", 0.45),
        ("severe", 0.5),
    )
}
PREVIOUS = NotOnTrackSettings(curves=PREVIOUS_CURVES, z=1.0, consecutive=2)


def evaluate(
    defn: OutcomeDefinition, clients: list[Client], settings: NotOnTrackSettings, early: int
) -> dict[str, float]:
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "nr_flag": 0, "nr_n": 0}
    for client in clients:
        flagged = assess(defn, client.series[: early + 1], settings) is not None
        truth = later_deteriorated(defn, client)
        counts[("tp" if flagged else "fn") if truth else ("fp" if flagged else "tn")] += 1
        if client.kind == "non-responder" and not truth:
            counts["nr_n"] += 1
            counts["nr_flag"] += flagged
    positives = counts["tp"] + counts["fn"]
    negatives = counts["fp"] + counts["tn"]
    flagged_total = counts["tp"] + counts["fp"]
    return {
        "sensitivity": counts["tp"] / positives if positives else math.nan,
        "false_alarm": counts["fp"] / negatives if negatives else math.nan,
        "ppv": counts["tp"] / flagged_total if flagged_total else math.nan,
        "non_responders": counts["nr_flag"] / counts["nr_n"] if counts["nr_n"] else math.nan,
        "positives": positives,
    }


def best_possible(defn: OutcomeDefinition, clients: list[Client], early: int) -> float:
    """Sensitivity at a 20 % false-alarm rate of a logistic model that knows the truth.

    Fitted (Newton's method) on the first half of the clients with the truth known, applied to
    the second half; features of sessions 0 to ``early``: intake, mean change, last change,
    least-squares slope and their squares. A reference for what the data allow, not a rule.
    """
    rows, truth = [], []
    for client in clients:
        scores = np.array([value for _, value in client.series[: early + 1]])
        t = np.arange(len(scores), dtype=float)
        slope = np.polyfit(t, scores, 1)[0]
        mean_change = scores[1:].mean() - scores[0]
        last_change = scores[-1] - scores[0]
        rows.append([scores[0], mean_change, last_change, slope, mean_change**2, slope**2])
        truth.append(later_deteriorated(defn, client))
    x = np.array(rows)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    x = np.column_stack([np.ones(len(x)), x])
    y = np.array(truth, dtype=float)
    half = len(x) // 2
    w = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x[:half] @ w))
        hessian = x[:half].T @ (x[:half] * (p * (1 - p))[:, None]) + 1e-6 * np.eye(len(w))
        w += np.linalg.solve(hessian, x[:half].T @ (y[:half] - p))
    score = x[half:] @ w
    test_truth = y[half:].astype(bool)
    threshold = np.quantile(score[~test_truth], 0.80)
    return float((score[test_truth] > threshold).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sessions", type=int, default=12, help="sessions after intake")
    parser.add_argument(
        "--history", type=int, default=300, help="completed treatments the clinic has already"
    )
    args = parser.parse_args()

    defn = builtin()["phq9"]
    rng = random.Random(args.seed)
    clients = [simulate(rng, args.sessions) for _ in range(args.clients)]
    # The clinic's own earlier clients: the same kinds of course, another stream of draws.
    history_rng = random.Random(f"history/{args.seed}")
    history = [simulate(history_rng, args.sessions).series for _ in range(args.history)]
    own = clinic_curves(defn, history)
    kinds = {kind: sum(c.kind == kind for c in clients) for kind in ("responder", "non-responder")}
    kinds["deteriorator"] = args.clients - sum(kinds.values())
    defaults = default_settings(defn)
    rules = [
        ("previous: z 1, 2 in a row, fixed spread", PREVIOUS),
        ("new, default curves (z 1.8)", defaults),
        (f"new, curves from {args.history} earlier clients", own.settings),
        ("new, default curves, z 1.6", replace(defaults, z=1.6)),
        ("new, default curves, z 2.0", replace(defaults, z=2.0)),
        ("new, default curves, 2 in a row", replace(defaults, consecutive=2)),
        ("new, default curves, no RCI", replace(defaults, rci_z=None)),
    ]
    positives = sum(later_deteriorated(defn, c) for c in clients)
    print(
        f"clients {args.clients:,} (seed {args.seed}): {kinds['responder']:,} responders, "
        f"{kinds['non-responder']:,} non-responders, {kinds['deteriorator']:,} deteriorators"
    )
    print(
        f"later reliably deteriorated by session {args.sessions}: {positives:,} "
        f"({positives / args.clients:.1%})"
    )
    print(
        "curves from earlier clients: "
        + ", ".join(
            f"{b.band} {'estimated' if b.estimated else 'default'} (n {b.clients})"
            for b in own.bands
        )
    )
    horizons = [(3, "session 3"), (4, "session 4"), (args.sessions - 1, "before the last")]
    horizons.append((args.sessions, "all, last included"))
    print(
        "\nsensitivity / false-alarm rate, the rule seeing sessions 0 to the one named; "
        "'non-resp.' is the share of non-responders who did not deteriorate that it flags "
        "by the last session but one\n"
    )
    header = f"{'rule':<44}" + "".join(f"{name:>20}" for _, name in horizons) + f"{'non-resp.':>11}"
    print(header)
    print("-" * len(header))
    for name, setting in rules:
        cells = []
        for early, _ in horizons:
            result = evaluate(defn, clients, setting, early)
            cells.append(f"{result['sensitivity']:.1%} / {result['false_alarm']:.1%}")
        late = evaluate(defn, clients, setting, args.sessions - 1)
        row = "".join(f"{c:>20}" for c in cells)
        print(f"{name:<44}{row}{late['non_responders']:>11.1%}")
    print(
        "\nbest any rule could do at a 20 % false-alarm rate (a logistic model that knows the "
        "truth, fitted on half the clients, tested on the other half): "
        + ", ".join(f"session {e}: {best_possible(defn, clients, e):.1%}" for e in (3, 4))
    )


if __name__ == "__main__":
    main()
