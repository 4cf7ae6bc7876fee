"""The dropout-risk points rule, with every threshold's edge computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alliance.core.dropout import (
    LEVEL_ALERT,
    LEVEL_HIGH,
    LEVEL_NONE,
    DropoutSettings,
    RuptureFact,
    SessionFact,
    assess,
    quiet_since,
    slope,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(weeks=30)  # past the first quarter: no multiplier
DAY = timedelta(days=1)


def run(sessions=(), alliance=(), ruptures=(), started_at=LONG_AGO, settings=None):
    return assess(
        sessions=list(sessions),
        alliance=list(alliance),
        ruptures=list(ruptures),
        started_at=started_at,
        now=NOW,
        settings=settings,
    )


def missed(days_ago: float) -> SessionFact:
    return SessionFact(NOW - timedelta(days=days_ago), "missed")


def cancelled(days_ago: float, hours_before: float | None) -> SessionFact:
    at = NOW - timedelta(days=days_ago)
    recorded = None if hours_before is None else at - timedelta(hours=hours_before)
    return SessionFact(at, "cancelled_client", recorded)


def kinds(risk):
    return {r.kind: r.points for r in risk.reasons}


# --- missed sessions ---------------------------------------------------------------------------


def test_each_missed_session_in_the_last_eight_weeks_is_one_point():
    risk = run([missed(7), missed(14), missed(21)])
    assert kinds(risk) == {"missed": 3.0}
    assert risk.score == 3.0
    assert risk.reasons[0].detail == {"count": 3, "weeks": 8}


def test_a_session_missed_exactly_eight_weeks_ago_counts_and_a_minute_more_does_not():
    assert kinds(run([missed(56)])) == {"missed": 1.0}
    assert kinds(run([missed(56 + 1 / 1440)])) == {}


def test_a_missed_session_in_the_future_is_ignored():
    assert run([SessionFact(NOW + DAY, "missed")]).reasons == ()


def test_attended_and_therapist_cancelled_sessions_count_nothing():
    sessions = [SessionFact(NOW - DAY, "attended"), SessionFact(NOW - DAY, "cancelled_therapist")]
    assert run(sessions).reasons == ()


# --- late cancellations ------------------------------------------------------------------------


def test_a_cancellation_recorded_under_24_hours_before_is_late():
    assert kinds(run([cancelled(3, 23.99)])) == {"late_cancelled": 1.0}


def test_a_cancellation_recorded_exactly_24_hours_before_is_not_late():
    assert kinds(run([cancelled(3, 24)])) == {}


def test_a_cancellation_recorded_after_the_session_is_late():
    assert kinds(run([cancelled(3, -2)])) == {"late_cancelled": 1.0}


def test_a_late_cancellation_counts_from_when_it_was_recorded_before_the_session():
    # The session is 2 hours from now; the cancellation came in 20 minutes ago.
    at = NOW + timedelta(hours=2)
    fact = SessionFact(at, "cancelled_client", NOW - timedelta(minutes=20))
    assert kinds(run([fact])) == {"late_cancelled": 1.0}


def test_a_cancellation_with_no_record_of_when_counts_as_late():
    assert kinds(run([cancelled(3, None)])) == {"late_cancelled": 1.0}


# --- low alliance ------------------------------------------------------------------------------


def test_low_alliance_is_the_mean_of_the_last_three_below_four():
    # (4.0 + 3.67 + 4.0) / 3 = 3.89 < 4.0; the 4.2 before them is not in the window (and the
    # slope over all four, −0.09, is no fall).
    risk = run(alliance=[4.2, 4.0, 11 / 3, 4.0])
    assert kinds(risk) == {"low_alliance": 1.0}
    assert risk.reasons[0].detail == {"mean": 3.89, "n": 3, "threshold": 4.0}


def test_a_mean_of_exactly_four_is_not_low():
    assert kinds(run(alliance=[5.0, 3.0, 4.0])) == {}


def test_low_alliance_needs_two_check_ins():
    assert kinds(run(alliance=[2.0])) == {}
    assert kinds(run(alliance=[2.0, 3.0])) == {"low_alliance": 1.0}


# --- falling alliance --------------------------------------------------------------------------


def test_slope_by_hand():
    # x̄ = 1.5, ȳ = 4.625; Σ(x − x̄)(y − ȳ) = −1.25, Σ(x − x̄)² = 5.
    assert slope([5.0, 4.75, 4.5, 4.25]) == -0.25
    assert slope([1.0, 3.0]) == 2.0
    with pytest.raises(ValueError, match="at least 2"):
        slope([4.0])


def test_a_slope_of_exactly_minus_a_quarter_counts():
    risk = run(alliance=[6.0, 5.0, 4.75, 4.5, 4.25])
    assert kinds(risk) == {"falling_alliance": 1.0}
    assert risk.reasons[0].detail["slope"] == -0.25


def test_a_slope_just_above_minus_a_quarter_does_not():
    # 5.0, 4.76, 4.52, 4.28: Σ(x − x̄)(y − ȳ) = −1.2, slope −0.24.
    assert kinds(run(alliance=[5.0, 4.76, 4.52, 4.28])) == {}


def test_falling_needs_four_check_ins():
    assert kinds(run(alliance=[6.0, 5.0, 4.5])) == {}


# --- unresolved ruptures -----------------------------------------------------------------------


def test_confrontation_is_two_points_and_other_kinds_half_a_point():
    ruptures = [
        RuptureFact(NOW - 3 * DAY, "confrontation"),
        RuptureFact(NOW - 4 * DAY, "both"),
        RuptureFact(NOW - 5 * DAY, "withdrawal"),
        RuptureFact(NOW - 6 * DAY, ""),
    ]
    risk = run(ruptures=ruptures)
    assert kinds(risk) == {"unresolved_confrontation": 4.0, "unresolved_rupture": 1.0}
    assert risk.score == 5.0
    assert risk.level == LEVEL_HIGH


def test_a_rupture_raised_exactly_42_days_ago_counts_and_a_minute_more_does_not():
    at_edge = RuptureFact(NOW - 42 * DAY, "confrontation")
    past = RuptureFact(NOW - 42 * DAY - timedelta(minutes=1), "confrontation")
    assert kinds(run(ruptures=[at_edge])) == {"unresolved_confrontation": 2.0}
    assert kinds(run(ruptures=[past])) == {}


# --- the first quarter -------------------------------------------------------------------------


def test_the_first_quarter_multiplies_the_total_by_one_and_a_half():
    # 2 missed = 2 points; week 5 of 52 is in the first quarter: 2 × 1.5 = 3, an alert.
    risk = run([missed(7), missed(14)], started_at=NOW - 30 * DAY)
    assert kinds(risk) == {"missed": 2.0, "first_quarter": 1.0}
    assert risk.score == 3.0
    assert risk.level == LEVEL_ALERT
    assert risk.reasons[-1].detail == {"week": 5, "course_weeks": 52, "factor": 1.5, "before": 2.0}


def test_day_90_is_the_first_quarter_and_day_91_is_not():
    # 52 weeks / 4 = 91 days.
    two = [missed(7), missed(14)]
    assert run(two, started_at=NOW - 90 * DAY).score == 3.0
    assert run(two, started_at=NOW - 91 * DAY).score == 2.0


def test_nothing_to_multiply_gives_no_first_quarter_reason():
    assert run(started_at=NOW - DAY).reasons == ()


# --- levels ------------------------------------------------------------------------------------


def test_level_edges_at_three_and_five():
    assert run([missed(d) for d in (1, 2)]).level == LEVEL_NONE  # 2
    # 2 missed + one other rupture = 2.5: still none.
    assert run([missed(1), missed(2)], ruptures=[RuptureFact(NOW - DAY)]).level == LEVEL_NONE
    assert run([missed(d) for d in (1, 2, 3)]).level == LEVEL_ALERT  # 3
    assert run([missed(d) for d in (1, 2, 3, 4)]).level == LEVEL_ALERT  # 4
    # 4 missed + one other rupture = 4.5: alert, not high.
    four_and_a_half = run([missed(d) for d in (1, 2, 3, 4)], ruptures=[RuptureFact(NOW - DAY)])
    assert (four_and_a_half.score, four_and_a_half.level) == (4.5, LEVEL_ALERT)
    assert run([missed(d) for d in (1, 2, 3, 4, 5)]).level == LEVEL_HIGH  # 5


def test_a_worked_example_with_every_part():
    # Week 6: 1 missed (1) + 1 late cancellation (1) + low (1) + falling (1) + 1 confrontation
    # (2) = 6, × 1.5 = 9: high.
    risk = run(
        [missed(10), cancelled(20, 2)],
        alliance=[5.0, 4.0, 3.5, 3.0],
        ruptures=[RuptureFact(NOW - 8 * DAY, "confrontation")],
        started_at=NOW - 36 * DAY,
    )
    assert [r.kind for r in risk.reasons] == [
        "missed",
        "late_cancelled",
        "low_alliance",
        "falling_alliance",
        "unresolved_confrontation",
        "first_quarter",
    ]
    assert (risk.score, risk.level) == (9.0, LEVEL_HIGH)


# --- settings and bad input --------------------------------------------------------------------


def test_a_clinic_can_change_a_threshold():
    settings = DropoutSettings.from_mapping({"alert_at": 2, "high_at": 4})
    assert run([missed(1), missed(2)], settings=settings).level == LEVEL_ALERT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alert_at": 0}, "alert_at: must be greater than 0"),
        ({"high_at": 2}, "high_at: must be at least alert_at"),
        ({"slope_threshold": 0.1}, "slope_threshold: must be below 0"),
        ({"low_threshold": 8}, "low_threshold: must be between 1 and 7"),
        ({"quiet_days": 0}, "quiet_days: must be at least 1"),
        ({"quiet_days": True}, "quiet_days: must be an integer"),
        ({"low_min": 4}, "low_min: must not exceed low_window"),
        ({"early_factor": 0.5}, "early_factor: must be at least 1"),
        ({"mised_weeks": 8}, "unknown setting"),
    ],
)
def test_bad_settings_name_the_setting(data, message):
    with pytest.raises(ValueError, match=message):
        DropoutSettings.from_mapping(data)


def test_scores_outside_the_scale_and_naive_times_are_refused():
    with pytest.raises(ValueError, match="within 1-7"):
        run(alliance=[0.5])
    with pytest.raises(ValueError, match="timezone-aware"):
        assess(
            sessions=[], alliance=[], ruptures=[], started_at=LONG_AGO, now=NOW.replace(tzinfo=None)
        )


# --- not heard from ----------------------------------------------------------------------------


def test_quiet_after_21_days_since_the_latest_contact():
    contacts = [NOW - 30 * DAY, NOW - 21 * DAY, None]
    assert quiet_since(contacts=contacts, started_at=LONG_AGO, now=NOW, days=21) == NOW - 21 * DAY
    contacts = [NOW - 30 * DAY, NOW - 21 * DAY + timedelta(minutes=1)]
    assert quiet_since(contacts=contacts, started_at=LONG_AGO, now=NOW, days=21) is None


def test_a_client_never_heard_from_counts_from_the_start_of_treatment():
    assert quiet_since(contacts=[None], started_at=NOW - 5 * DAY, now=NOW, days=21) is None
    start = NOW - 22 * DAY
    assert quiet_since(contacts=[None, None], started_at=start, now=NOW, days=21) == start
