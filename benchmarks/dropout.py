"""Evaluate the dropout-risk rule on the synthetic clinic, against the generator's dropouts.

Run from the repository root::

    python benchmarks/dropout.py                          # 2,000 clients, 52 weeks, seed 2026
    python benchmarks/dropout.py --clients 5000 --seed 7

The clients are the generator's typical clients (``alliance.core.synthetic``; the scripted
demo patterns are left out) over a 52-week history, each starting treatment at its beginning.
The generator decides who drops out; its assumptions, all stated in ``docs/demo-data.md``:

* a quarter of clients drop out (Iliakis et al. 2021), 60 % of them in the first quarter of the
  history (Arntz et al. 2022: most dropout is early); then they miss 1–3 more sessions and
  have no more;
* clients who will drop out start 0.5 lower on the alliance (Barnicot et al. 2011: the
  relationship predicts dropout), miss sessions twice as often before they stop, cancel late
  twice as often (60 % of their cancellations instead of 30 %), and twice as many of their
  ruptures are of the confrontation kind (60 % instead of 30 %; Eubanks et al. 2019);
* scenario "decline 1.0" adds an alliance decline of 1 point over their last four sessions
  (``SynthParams.dropout_decline``); the default scenario has none.

Every one of these numbers is our assumption (the sources say *that* these things go with
dropout, not by how much), so the figures show how the rule behaves on data built to contain
these signs; they say nothing about its accuracy with real clients. **The rule is not validated
on real data.**

How the product is replayed: the rule (``alliance.core.dropout.assess``, default settings) is
evaluated at every moment the product evaluates it: the end of every session (when its status
is known), every cancellation as it is recorded, and every check-in as it is submitted. The
score only rises at these moments, so the first alert is found exactly; the nightly scan would
find nothing earlier. A reported rupture (tension ≥ 1) is open from its check-in until a later
check-in says it feels resolved (``followup_resolved`` 2), or at once when it was rated
completely resolved; its kind counts as recorded when the therapist repaired it in the
generator (``therapist_repaired``), else it is "not recorded yet" (0.5 points). Score-based
rupture alerts (reliable drop and the like) are left out, so the replay gives slightly fewer
points than the product would.

A dropout's *dropout point* is the first session of the run of missed sessions after which they
never came back. They are followed until their care would end, 14 days after their last
session (as the demo does); everyone else to the end of the 52 weeks. Printed per threshold:

* sensitivity: dropouts alerted at any time until their care ended; and "before they stopped":
  alerted at or before the dropout point;
* false-alarm rate: clients who stayed and were alerted at any time in 52 weeks;
* PPV: dropouts among the alerted;
* median lead time, among the alerted dropouts: sessions booked from the first alert to the
  dropout point, and days (negative: the alert came only after they had stopped coming).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Runs as a script from the repository root without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alliance.core.dropout import DropoutSettings, RuptureFact, SessionFact, assess
from alliance.core.synthetic import (
    ATTENDED,
    CANCELLED_CLIENT,
    RESOLVED_ENOUGH,
    SCHEDULED,
    SESSION_LENGTH,
    TYPICAL,
    SynthClient,
    SynthParams,
    alliance_of,
    checkin_submitted_at,
    iter_clients,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WEEKS = 52
CARE_ENDS_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Outcome:
    dropped_out: bool
    first_alert: datetime | None
    dropout_point: datetime | None
    lead_sessions: int | None


def _events(client: SynthClient) -> list[tuple[datetime, str, object]]:
    """Everything the product would learn about this client, in time order."""
    events: list[tuple[datetime, str, object]] = []
    for s in client.sessions:
        if s.status == SCHEDULED:
            continue
        end = s.scheduled_at + SESSION_LENGTH
        if s.status == CANCELLED_CLIENT and s.cancelled_hours_before is not None:
            recorded = s.scheduled_at - timedelta(hours=s.cancelled_hours_before)
            events.append((recorded, "session", SessionFact(s.scheduled_at, s.status, recorded)))
        else:
            events.append((end, "session", SessionFact(s.scheduled_at, s.status, end)))
        submitted = checkin_submitted_at(s)
        if s.checkin is not None and submitted is not None and submitted <= NOW:
            events.append((submitted, "checkin", s))
    events.sort(key=lambda e: e[0])
    return events


def _dropout_point(client: SynthClient) -> datetime | None:
    if not client.dropped_out:
        return None
    past = [s for s in client.sessions if s.status != SCHEDULED]
    attended = [i for i, s in enumerate(past) if s.status == ATTENDED]
    after = attended[-1] + 1 if attended else 0
    return past[after].scheduled_at if after < len(past) else past[-1].scheduled_at


def replay(client: SynthClient, settings: DropoutSettings) -> Outcome:
    started = client.sessions[0].scheduled_at
    point = _dropout_point(client)
    last = max(s.scheduled_at for s in client.sessions)
    until = min(NOW, last + CARE_ENDS_AFTER) if client.dropped_out else NOW
    sessions: list[SessionFact] = []
    scores: list[float] = []
    # Open ruptures: raised at, kind (as recorded by then).
    open_ruptures: list[RuptureFact] = []
    repaired: list[bool] = []
    first: datetime | None = None
    for at, kind, what in _events(client):
        if at > until:
            break
        if kind == "session":
            assert isinstance(what, SessionFact)
            sessions.append(what)
        else:
            s = what
            checkin = s.checkin  # type: ignore[attr-defined]
            scores.append(alliance_of(checkin))
            if open_ruptures:
                # The follow-up question names the oldest open rupture. The generator scripts
                # the answer only at the next check-in; later ones answer as the demo does
                # (alliance.demo._answers): resolved if the therapist repaired it, else not yet.
                answer = checkin.followup_resolved
                if answer is None:
                    answer = 2 if repaired[0] else 0
                if answer == 2:
                    open_ruptures.pop(0)
                    repaired.pop(0)
            if checkin.tension and (checkin.resolved or 0) < RESOLVED_ENOUGH:
                recorded = checkin.rupture_type if s.therapist_repaired else ""  # type: ignore[attr-defined]
                open_ruptures.append(RuptureFact(at, recorded))
                repaired.append(bool(s.therapist_repaired))  # type: ignore[attr-defined]
        risk = assess(
            sessions=sessions,
            alliance=scores,
            ruptures=open_ruptures,
            started_at=started,
            now=at,
            settings=settings,
        )
        if risk.raised:
            first = at
            break
    lead = None
    if first is not None and point is not None:
        if first <= point:
            lead = sum(1 for s in client.sessions if first <= s.scheduled_at < point)
        else:
            lead = -sum(1 for s in client.sessions if point <= s.scheduled_at < first)
    return Outcome(client.dropped_out, first, point, lead)


def evaluate(outcomes: list[Outcome]) -> dict[str, float]:
    dropouts = [o for o in outcomes if o.dropped_out]
    stayed = [o for o in outcomes if not o.dropped_out]
    caught = [o for o in dropouts if o.first_alert is not None]
    early = [o for o in caught if o.first_alert <= o.dropout_point]  # type: ignore[operator]
    false = [o for o in stayed if o.first_alert is not None]
    leads_days = [
        (o.dropout_point - o.first_alert).total_seconds() / 86400  # type: ignore[operator]
        for o in caught
    ]
    leads_sessions = [o.lead_sessions for o in caught if o.lead_sessions is not None]
    alerted = len(caught) + len(false)
    return {
        "clients": len(outcomes),
        "dropouts": len(dropouts),
        "sensitivity": len(caught) / len(dropouts) if dropouts else float("nan"),
        "before_stop": len(early) / len(dropouts) if dropouts else float("nan"),
        "false_alarm": len(false) / len(stayed) if stayed else float("nan"),
        "ppv": len(caught) / alerted if alerted else float("nan"),
        "lead_sessions": statistics.median(leads_sessions) if leads_sessions else float("nan"),
        "lead_days": statistics.median(leads_days) if leads_days else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rule = DropoutSettings()
    rules = {
        "rule (alert at 3)": rule,
        "alternative (alert at 4)": replace(rule, alert_at=4.0, high_at=max(rule.high_at, 4.0)),
        "the rule's high (at 5)": replace(rule, alert_at=rule.high_at),
    }
    scenarios = {
        "default generator": SynthParams(),
        "decline 1.0": SynthParams(dropout_decline=1.0),
    }
    print(
        f"{args.clients} synthetic clients (seed {args.seed}), {WEEKS} weeks; typical clients "
        "only. Synthetic data: NOT validated on real clients."
    )
    header = (
        f"{'scenario':<18} {'threshold':<25} {'n':>5} {'drop':>5} {'sens':>6} "
        f"{'before':>7} {'false':>6} {'PPV':>6} {'lead s':>7} {'lead d':>7}"
    )
    print(header)
    print("-" * len(header))
    for scenario, params in scenarios.items():
        clients = [
            c
            for c in iter_clients(
                seed=args.seed,
                n_clients=args.clients,
                n_therapists=max(1, args.clients // 25),
                weeks=WEEKS,
                now=NOW,
                params=params,
                fixed_people=False,
            )
            if c.pattern == TYPICAL and c.sessions
        ]
        for label, settings in rules.items():
            r = evaluate([replay(c, settings) for c in clients])
            print(
                f"{scenario:<18} {label:<25} {r['clients']:>5} {r['dropouts']:>5} "
                f"{r['sensitivity']:>6.1%} {r['before_stop']:>7.1%} {r['false_alarm']:>6.1%} "
                f"{r['ppv']:>6.1%} {r['lead_sessions']:>7.1f} {r['lead_days']:>7.1f}"
            )
    print(
        "sens: dropouts alerted by the time care would end; before: alerted at or before the "
        "first session they did not come back from; false: clients who stayed and were "
        "alerted in 52 weeks; lead s / lead d: median sessions / days from the first alert to "
        "that session, among alerted dropouts."
    )
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
