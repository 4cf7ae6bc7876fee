"""The generator's dropout details: cancellation notice, rupture kinds, the pre-dropout decline."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

import pytest

from alliance.core.synthetic import (
    CANCELLED_CLIENT,
    TYPICAL,
    SynthParams,
    alliance_of,
    iter_clients,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def clients(params: SynthParams | None = None, n: int = 400):
    found = iter_clients(
        seed=5, n_clients=n, weeks=52, now=NOW, params=params or SynthParams(), fixed_people=False
    )
    return [c for c in found if c.pattern == TYPICAL]


def test_every_client_cancellation_says_how_long_before_and_only_those():
    for c in clients(n=60):
        for s in c.sessions:
            if s.status == CANCELLED_CLIENT:
                assert s.cancelled_hours_before is not None
                assert 1.0 <= s.cancelled_hours_before <= 168.0
            else:
                assert s.cancelled_hours_before is None


def test_late_cancellations_are_about_the_share_asked_for_and_twice_it_for_dropouts():
    stayed, left = [], []
    for c in clients(n=1500):
        late = [
            s.cancelled_hours_before < 24
            for s in c.sessions
            if s.cancelled_hours_before is not None
        ]
        (left if c.dropped_out else stayed).extend(late)
    assert abs(statistics.fmean(stayed) - 0.3) <= 0.04
    assert abs(statistics.fmean(left) - 0.6) <= 0.1


def test_ruptures_have_a_kind_and_calm_check_ins_none():
    kinds = []
    for c in clients(n=300):
        for s in c.sessions:
            if s.checkin is None:
                continue
            if s.checkin.tension:
                kinds.append(s.checkin.rupture_type)
            else:
                assert s.checkin.rupture_type == ""
    assert set(kinds) == {"confrontation", "withdrawal"}


def test_the_decline_lowers_only_a_dropouts_last_four_sessions():
    base = clients(n=300)
    declined = clients(SynthParams(dropout_decline=1.0), n=300)
    assert [c.dropped_out for c in base] == [c.dropped_out for c in declined]
    for before, after in zip(base, declined, strict=True):
        assert [s.status for s in before.sessions] == [s.status for s in after.sessions]
        if not before.dropped_out:
            assert before == after
    gaps = []
    for before, after in zip(base, declined, strict=True):
        if before.dropped_out:
            pairs = [
                (alliance_of(a.checkin), alliance_of(b.checkin))
                for a, b in zip(before.sessions, after.sessions, strict=True)
                if a.checkin is not None and b.checkin is not None
            ]
            if pairs:
                gaps.append(pairs[-1][0] - pairs[-1][1])
    # The last check-in before stopping is about the full point lower (rounding aside).
    assert 0.7 <= statistics.fmean(gaps) <= 1.1


@pytest.mark.parametrize(
    "overrides",
    [{"late_cancel_share": 1.5}, {"confrontation_share": -0.1}, {"dropout_decline": 7.0}],
)
def test_out_of_range_dropout_params_raise(overrides):
    with pytest.raises(ValueError):
        SynthParams(**overrides)
