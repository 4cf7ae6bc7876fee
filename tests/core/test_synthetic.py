"""The synthetic clinic: reproducible, in range, and showing every scripted rupture signal."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alliance.core.synthetic import (
    ATTENDED,
    DEFAULT_NOW,
    MIN_WEEKS,
    MISSED,
    PATTERNS,
    RESOLVED_ENOUGH,
    SCHEDULED,
    SESSION_LENGTH,
    STATUSES,
    TYPICAL,
    SynthCheckin,
    SynthClient,
    SynthParams,
    SynthSession,
    alliance_of,
    checkin_submitted_at,
    generate_clinic,
    iter_clients,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEEDS = range(20)
TIMEZONES = {"America/Toronto", "America/Vancouver", "America/New_York"}


def checkin(**overrides: object) -> SynthCheckin:
    values: dict[str, object] = {
        "bond": 5,
        "tasks": 6,
        "goals": 4,
        "tension": 0,
        "talked": None,
        "resolved": None,
        "followup_resolved": None,
        "comment": "",
        "submitted_after_hours": 1.5,
    }
    values.update(overrides)
    return SynthCheckin(**values)  # type: ignore[arg-type]


def past(client: SynthClient) -> list[SynthSession]:
    return [s for s in client.sessions if s.status != SCHEDULED]


def scores(client: SynthClient) -> list[float]:
    return [alliance_of(s.checkin) for s in client.sessions if s.checkin is not None]


def last_checkins(client: SynthClient, n: int) -> list[SynthCheckin]:
    found = [s.checkin for s in client.sessions if s.checkin is not None]
    return found[-n:]


def pattern_client(seed: int, pattern: str) -> SynthClient:
    clinic = generate_clinic(seed=seed, n_clients=len(PATTERNS), now=NOW)
    return clinic.clients[PATTERNS.index(pattern)]


# Determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_an_equal_clinic() -> None:
    assert generate_clinic(seed=42, now=NOW) == generate_clinic(seed=42, now=NOW)


def test_different_seeds_give_different_clinics() -> None:
    a = generate_clinic(seed=1, now=NOW)
    b = generate_clinic(seed=2, now=NOW)
    assert a.clients != b.clients
    assert [c.sessions for c in a.clients] != [c.sessions for c in b.clients]


def test_iter_clients_yields_the_clients_of_generate_clinic() -> None:
    kwargs = {"seed": 5, "n_therapists": 3, "n_clients": 25, "weeks": 20, "now": NOW}
    assert tuple(iter_clients(**kwargs)) == generate_clinic(**kwargs).clients  # type: ignore[arg-type]


def test_a_client_does_not_change_when_more_clients_follow() -> None:
    small = generate_clinic(seed=9, n_clients=10, now=NOW)
    large = generate_clinic(seed=9, n_clients=40, now=NOW)
    assert large.clients[:10] == small.clients


def test_without_start_or_now_the_clinic_is_anchored_at_default_now() -> None:
    clinic = generate_clinic(seed=3)
    assert clinic.now == DEFAULT_NOW == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert clinic == generate_clinic(seed=3, now=DEFAULT_NOW)


def test_start_alone_sets_now_weeks_later() -> None:
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    clinic = generate_clinic(seed=3, weeks=20, start=start)
    assert clinic.now == start + timedelta(weeks=20)
    assert clinic == generate_clinic(seed=3, weeks=20, now=start + timedelta(weeks=20))


def test_start_and_now_are_accepted_together_only_when_weeks_apart() -> None:
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    clinic = generate_clinic(seed=3, weeks=20, start=start, now=start + timedelta(weeks=20))
    assert clinic.now == start + timedelta(weeks=20)
    with pytest.raises(ValueError, match="pass only one"):
        generate_clinic(seed=3, weeks=20, start=start, now=start + timedelta(weeks=21))


def test_now_in_another_zone_is_the_same_instant() -> None:
    toronto_now = NOW.astimezone(ZoneInfo("America/Toronto"))
    clinic = generate_clinic(seed=4, now=toronto_now)
    assert clinic == generate_clinic(seed=4, now=NOW)
    assert clinic.now.tzinfo is UTC


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": datetime(2026, 11, 23, 15, 0)}, "timezone-aware"),
        ({"start": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"weeks": MIN_WEEKS - 1}, "weeks must be at least 12"),
        ({"n_therapists": 0}, "n_therapists"),
        ({"n_clients": -1}, "n_clients"),
        ({"seed": 1.5}, "seed must be an int"),
    ],
)
def test_bad_arguments_raise_value_error_at_the_call(
    kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        iter_clients(**arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        generate_clinic(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"rupture_rate": 1.2},
        {"repair_rate": -0.1},
        {"alliance_mean": 7.5},
        {"alliance_within_sd": -1.0},
        {"miss_rate": 0.5, "cancel_client_rate": 0.4, "cancel_therapist_rate": 0.2},
    ],
)
def test_out_of_range_params_raise_value_error(overrides: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SynthParams(**overrides)


def test_weeks_at_the_minimum_still_fits_every_pattern() -> None:
    clinic = generate_clinic(seed=11, weeks=MIN_WEEKS, now=NOW)
    assert [c.pattern for c in clinic.clients[: len(PATTERNS)]] == list(PATTERNS)


# Helpers -------------------------------------------------------------------------------------


def test_alliance_of_is_the_mean_of_bond_tasks_and_goals() -> None:
    assert alliance_of(checkin(bond=5, tasks=6, goals=4)) == 5.0
    assert alliance_of(checkin(bond=7, tasks=7, goals=6)) == pytest.approx(20 / 3)


def test_checkin_submitted_at_counts_from_the_end_of_the_session() -> None:
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    session = SynthSession(1, at, ATTENDED, checkin(submitted_after_hours=2.5), False)
    assert checkin_submitted_at(session) == datetime(2026, 3, 2, 18, 20, tzinfo=UTC)
    assert checkin_submitted_at(SynthSession(1, at, MISSED, None, False)) is None


# People --------------------------------------------------------------------------------------


def test_fixed_people_have_the_demo_emails_and_therapists() -> None:
    clinic = generate_clinic(seed=8, n_therapists=2, n_clients=12, now=NOW)
    assert [(t.key, t.email) for t in clinic.therapists] == [
        ("therapist1", "therapist@demo.example"),
        ("therapist2", "therapist2@demo.example"),
    ]
    assert clinic.therapists[0].name == "Dr. Maya Chen"
    emails = [c.email for c in clinic.clients]
    assert emails == ["client@demo.example"] + [f"client{i}@demo.example" for i in range(2, 13)]
    assert [c.therapist_key for c in clinic.clients[:4]] == [
        "therapist1",
        "therapist2",
        "therapist1",
        "therapist2",
    ]
    assert clinic.clients[0].timezone == clinic.clients[1].timezone == "America/Toronto"


def test_fixed_people_do_not_depend_on_the_seed() -> None:
    a = generate_clinic(seed=1, now=NOW)
    b = generate_clinic(seed=2, now=NOW)
    assert [t.name for t in a.therapists] == [t.name for t in b.therapists]
    assert [c.name for c in a.clients[:2]] == [c.name for c in b.clients[:2]]


def test_benchmark_people_have_bench_emails() -> None:
    clinic = generate_clinic(seed=8, n_therapists=3, n_clients=5, now=NOW, fixed_people=False)
    assert [t.email for t in clinic.therapists] == [f"t{i}@bench.example" for i in (1, 2, 3)]
    assert [c.email for c in clinic.clients] == [f"c{i}@bench.example" for i in range(1, 6)]
    assert [c.therapist_key for c in clinic.clients] == ["t1", "t2", "t3", "t1", "t2"]
    assert len({c.key for c in clinic.clients}) == 5


def test_patterns_go_in_order_to_the_first_clients_then_typical() -> None:
    clinic = generate_clinic(seed=8, n_clients=12, now=NOW)
    assert [c.pattern for c in clinic.clients] == [*PATTERNS] + [TYPICAL] * 5
    assert PATTERNS == (
        "client_reported_open",
        "client_reported_repaired",
        "reliable_drop",
        "rupture_repair_v",
        "sudden_loss",
        "weak_early",
        "dropout",
    )


# Ranges and structure ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_field_is_in_range(seed: int) -> None:
    clinic = generate_clinic(seed=seed, n_therapists=4, n_clients=120, weeks=40, now=NOW)
    therapist_keys = {t.key for t in clinic.therapists}
    for client in clinic.clients:
        assert client.timezone in TIMEZONES
        assert client.therapist_key in therapist_keys
        assert client.name
        for n, s in enumerate(client.sessions, 1):
            assert s.number == n
            assert s.scheduled_at.tzinfo is UTC
            assert s.status in STATUSES
            if s.status == SCHEDULED:
                assert s.scheduled_at + SESSION_LENGTH > clinic.now
            else:
                assert s.scheduled_at + SESSION_LENGTH <= clinic.now
            if s.status != ATTENDED:
                assert s.checkin is None
            c = s.checkin
            if c is None:
                assert s.therapist_repaired is False
                continue
            assert 1 <= min(c.bond, c.tasks, c.goals) <= max(c.bond, c.tasks, c.goals) <= 7
            assert 0 <= c.tension <= 4
            if c.tension == 0:
                assert (c.talked, c.resolved, s.therapist_repaired) == (None, None, False)
            else:
                assert c.talked in (0, 1, 2)
                assert c.resolved in (0, 1, 2, 3, 4)
            assert c.followup_resolved in (None, 0, 1, 2)
            assert isinstance(c.comment, str)
            assert 0.1 <= c.submitted_after_hours <= 60
            submitted = checkin_submitted_at(s)
            assert submitted is not None
            assert submitted <= clinic.now


def test_followup_is_asked_exactly_after_an_unresolved_rupture() -> None:
    clinic = generate_clinic(seed=6, n_clients=150, weeks=40, now=NOW)
    asked = 0
    for client in clinic.clients:
        previous: SynthCheckin | None = None
        for s in client.sessions:
            if s.checkin is None:
                continue
            owed = (
                previous is not None
                and previous.tension > 0
                and previous.resolved is not None
                and previous.resolved < RESOLVED_ENOUGH
            )
            assert (s.checkin.followup_resolved is not None) == owed
            asked += owed
            previous = s.checkin
    assert asked > 100


def test_sessions_are_weekly_at_one_local_weekday_and_hour() -> None:
    clinic = generate_clinic(seed=12, n_clients=60, weeks=52, now=NOW)
    for client in clinic.clients:
        tz = ZoneInfo(client.timezone)
        local = [s.scheduled_at.astimezone(tz) for s in client.sessions]
        assert len({(t.weekday(), t.hour, t.minute) for t in local}) == 1
        assert local[0].weekday() < 5
        assert 9 <= local[0].hour <= 19
        for a, b in itertools.pairwise(local):
            assert b.date() - a.date() == timedelta(days=7)


def test_a_toronto_client_keeps_the_local_hour_across_both_dst_changes() -> None:
    # 60 weeks back from 23 November 2026 covers 2 Nov 2025, 8 Mar 2026 and 1 Nov 2026.
    client = generate_clinic(seed=2, n_clients=1, weeks=60, now=NOW).clients[0]
    tz = ZoneInfo("America/Toronto")
    assert client.timezone == "America/Toronto"
    local_hours = {s.scheduled_at.astimezone(tz).hour for s in client.sessions}
    utc_hours = sorted({s.scheduled_at.hour for s in client.sessions})
    assert len(local_hours) == 1
    (hour,) = local_hours
    assert utc_hours == [hour + 4, hour + 5]
    # Daylight time ends 2 Nov 2025 06:00 UTC, starts 8 Mar 2026 07:00 UTC, ends 1 Nov 06:00.
    for s in client.sessions:
        at = s.scheduled_at
        in_summer = at < datetime(2025, 11, 2, 6, tzinfo=UTC) or (
            datetime(2026, 3, 8, 7, tzinfo=UTC) <= at < datetime(2026, 11, 1, 6, tzinfo=UTC)
        )
        assert at.hour == hour + (4 if in_summer else 5)


def test_the_history_starts_weeks_before_now_and_one_or_two_sessions_are_scheduled() -> None:
    clinic = generate_clinic(seed=13, n_clients=60, weeks=30, now=NOW)
    window_start = NOW - timedelta(weeks=30)
    for client in clinic.clients:
        scheduled = [s for s in client.sessions if s.status == SCHEDULED]
        if client.dropped_out:
            assert scheduled == []
            continue
        assert 1 <= len(scheduled) <= 2
        assert client.sessions[-len(scheduled) :] == tuple(scheduled)
        if client.pattern not in ("weak_early", "dropout"):
            assert (
                window_start <= client.sessions[0].scheduled_at < window_start + timedelta(days=7)
            )
            assert 29 <= len(past(client)) <= 30


def test_a_typical_client_who_drops_out_misses_one_to_three_sessions_then_has_none() -> None:
    clinic = generate_clinic(seed=14, n_clients=120, weeks=40, now=NOW)
    dropped = [c for c in clinic.clients if c.dropped_out and c.pattern == TYPICAL]
    assert len(dropped) > 15
    for client in dropped:
        statuses = [s.status for s in client.sessions]
        assert statuses[-1] == MISSED
        assert SCHEDULED not in statuses
        assert len(statuses) < 40


# Scripted patterns ---------------------------------------------------------------------------


def unrepaired_ruptures(client: SynthClient) -> list[SynthSession]:
    return [
        s
        for s in client.sessions
        if s.checkin is not None and s.checkin.tension > 0 and not s.therapist_repaired
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_client_reported_open_ends_on_an_unrepaired_strong_rupture(seed: int) -> None:
    client = pattern_client(seed, "client_reported_open")
    assert client.email == "client@demo.example"
    last = past(client)[-1]
    assert last.checkin is not None
    assert (last.checkin.tension, last.checkin.talked, last.checkin.resolved) == (3, 0, 1)
    assert last.checkin.comment
    assert last.therapist_repaired is False
    assert NOW - last.scheduled_at < timedelta(weeks=1)
    # The only open rupture in this client's history is the one the demo shows.
    assert unrepaired_ruptures(client) == [last]


@pytest.mark.parametrize("seed", SEEDS)
def test_client_reported_repaired_has_a_repaired_rupture_confirmed_at_the_next_checkin(
    seed: int,
) -> None:
    client = pattern_client(seed, "client_reported_repaired")
    assert client.email == "client2@demo.example"
    sessions = past(client)
    rupture, after = sessions[-4], sessions[-3]
    assert rupture.checkin is not None and after.checkin is not None
    assert (rupture.checkin.tension, rupture.checkin.talked, rupture.checkin.resolved) == (2, 1, 2)
    assert rupture.therapist_repaired is True
    assert after.checkin.followup_resolved == 2
    assert after.checkin.tension == 0
    assert all(s.checkin is not None and s.checkin.tension == 0 for s in sessions[-2:])
    assert unrepaired_ruptures(client) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_reliable_drop_falls_at_least_1_5_below_a_stable_baseline(seed: int) -> None:
    client = pattern_client(seed, "reliable_drop")
    window = [alliance_of(c) for c in last_checkins(client, 11)]
    baseline, drop = window[:-1], window[-1]
    assert len(window) == 11
    assert 5.5 <= statistics.fmean(baseline) <= 6.2
    assert all(16 / 3 <= x <= 19 / 3 for x in baseline)
    assert drop <= statistics.fmean(baseline[-5:]) - 1.5
    assert last_checkins(client, 1)[0].tension == 0
    assert past(client)[-1].checkin is not None


@pytest.mark.parametrize("seed", SEEDS)
def test_rupture_repair_v_dips_two_sd_below_own_mean_then_returns(seed: int) -> None:
    client = pattern_client(seed, "rupture_repair_v")
    series = scores(client)
    mean = statistics.fmean(series)
    # Gumz et al. 2012: use the stricter of within-person and between-person variability.
    sd = max(statistics.stdev(series), SynthParams().alliance_between_sd)
    strict = [i for i, x in enumerate(series) if x <= mean - 2 * sd]
    liberal = [i for i, x in enumerate(series) if x <= mean - sd]
    assert strict == liberal == [len(series) - 4]
    (dip,) = strict
    assert all(x >= 16 / 3 for x in series[dip - 6 : dip])
    assert all(x >= 16 / 3 for x in series[dip + 1 :])
    assert all(s.status == ATTENDED and s.checkin is not None for s in past(client)[-10:])


def critical_t_3_3() -> float:
    return 2.776  # two-tailed t, alpha .05, df 4 (Tang & DeRubeis 1999; suddengains)


@pytest.mark.parametrize("seed", SEEDS)
def test_sudden_loss_meets_the_tang_and_derubeis_criteria_and_stays_low(seed: int) -> None:
    client = pattern_client(seed, "sudden_loss")
    window = [alliance_of(c) for c in last_checkins(client, 8)]
    before, after = window[:4], window[4:]
    assert all(6.0 <= x <= 20 / 3 for x in before)
    assert all(4.0 <= x <= 13 / 3 for x in after)
    x_n, x_next = before[-1], after[0]
    # (2) the loss is at least 25 % of the score before it, and stays there for 4 sessions.
    assert x_n - x_next >= 0.25 * x_n
    assert all(x <= 0.75 * x_n for x in after)
    # (3) mean of 3 before vs 3 after exceeds 2.776 pooled SDs.
    pre, post = before[-3:], after[:3]
    pooled = ((2 * statistics.variance(pre) + 2 * statistics.variance(post)) / 4) ** 0.5
    assert statistics.fmean(pre) - statistics.fmean(post) > critical_t_3_3() * pooled


@pytest.mark.parametrize("seed", SEEDS)
def test_weak_early_is_a_new_episode_with_a_first_alliance_around_3(seed: int) -> None:
    client = pattern_client(seed, "weak_early")
    sessions = past(client)
    assert NOW - timedelta(weeks=4) <= client.sessions[0].scheduled_at
    assert 3 <= len(sessions) <= 4
    assert all(s.status == ATTENDED and s.checkin is not None for s in sessions)
    first_three = [alliance_of(c) for c in last_checkins(client, len(sessions))[:3]]
    assert all(8 / 3 <= x <= 10 / 3 for x in first_three)
    assert not client.dropped_out


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_has_a_weak_alliance_and_misses_then_stops(seed: int) -> None:
    client = pattern_client(seed, "dropout")
    statuses = [s.status for s in client.sessions]
    assert client.dropped_out
    assert (
        statuses
        == [ATTENDED, ATTENDED, MISSED, ATTENDED, ATTENDED, MISSED, ATTENDED] + [MISSED] * 3
    )
    assert [round(x, 2) for x in scores(client)] == [4.33, 4.0, 3.67, 3.33, 3.0]
    rupture = client.sessions[3]
    assert rupture.checkin is not None and rupture.checkin.tension == 2
    assert rupture.therapist_repaired is False
    assert NOW - client.sessions[-1].scheduled_at > timedelta(weeks=1)


# Rates on a large sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_clinic_typical() -> list[SynthClient]:
    clinic = generate_clinic(seed=2024, n_clients=207, weeks=30, now=NOW)
    return [c for c in clinic.clients if c.pattern == TYPICAL]


def all_checkins(clients: list[SynthClient]) -> list[SynthSession]:
    return [s for c in clients for s in c.sessions if s.checkin is not None]


def test_tension_share_is_close_to_rupture_rate(big_clinic_typical: list[SynthClient]) -> None:
    sessions = all_checkins(big_clinic_typical)
    share = sum(s.checkin.tension > 0 for s in sessions if s.checkin) / len(sessions)
    assert abs(share - SynthParams().rupture_rate) <= 0.05


def test_repaired_share_is_close_to_repair_rate(big_clinic_typical: list[SynthClient]) -> None:
    ruptures = [s for s in all_checkins(big_clinic_typical) if s.checkin and s.checkin.tension]
    share = sum(s.therapist_repaired for s in ruptures) / len(ruptures)
    assert abs(share - SynthParams().repair_rate) <= 0.05


def test_sessions_with_reported_tension_score_lower(
    big_clinic_typical: list[SynthClient],
) -> None:
    sessions = all_checkins(big_clinic_typical)
    tense = [alliance_of(s.checkin) for s in sessions if s.checkin and s.checkin.tension]
    calm = [alliance_of(s.checkin) for s in sessions if s.checkin and not s.checkin.tension]
    assert statistics.fmean(calm) - statistics.fmean(tense) >= 0.3


def test_attendance_rates_are_close_to_params(big_clinic_typical: list[SynthClient]) -> None:
    params = SynthParams()
    sessions = [s for c in big_clinic_typical if not c.dropped_out for s in past(c)]
    for status, rate in (
        ("missed", params.miss_rate),
        ("cancelled_client", params.cancel_client_rate),
        ("cancelled_therapist", params.cancel_therapist_rate),
    ):
        share = sum(s.status == status for s in sessions) / len(sessions)
        assert abs(share - rate) <= 0.02, status
    attended = [s for s in sessions if s.status == ATTENDED]
    completion = sum(s.checkin is not None for s in attended) / len(attended)
    assert abs(completion - params.checkin_completion) <= 0.03


def test_dropout_share_is_close_to_dropout_rate_and_mostly_early(
    big_clinic_typical: list[SynthClient],
) -> None:
    dropped = [c for c in big_clinic_typical if c.dropped_out]
    assert abs(len(dropped) / len(big_clinic_typical) - SynthParams().dropout_rate) <= 0.08
    attended_counts = [sum(s.status != MISSED for s in c.sessions) for c in dropped]
    early = sum(n <= 30 // 4 for n in attended_counts)
    assert early / len(dropped) >= 0.4


def test_client_mean_alliance_centres_on_alliance_mean(
    big_clinic_typical: list[SynthClient],
) -> None:
    means = [statistics.fmean(scores(c)[:5]) for c in big_clinic_typical if len(scores(c)) >= 5]
    # Clients who will drop out start 0.5 lower, so the centre sits a little below 5.4.
    assert 5.0 <= statistics.fmean(means) <= 5.5
    assert 0.5 <= statistics.stdev(means) <= 1.1


def test_custom_params_change_the_rates() -> None:
    params = SynthParams(rupture_rate=0.5, dropout_rate=0.0, checkin_completion=1.0)
    clinic = generate_clinic(seed=3, n_clients=107, now=NOW, params=params)
    typical = [c for c in clinic.clients if c.pattern == TYPICAL]
    sessions = all_checkins(typical)
    share = sum(s.checkin.tension > 0 for s in sessions if s.checkin) / len(sessions)
    assert abs(share - 0.5) <= 0.05
    assert not any(c.dropped_out for c in typical)
    assert clinic.params is params
