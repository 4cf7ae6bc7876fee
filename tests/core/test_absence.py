"""Absence notice days and instants, hand-computed, across both changes of the clocks in
America/Toronto (2027: clocks go forward on Sunday 14 March, back on Sunday 7 November)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alliance.core.absence import covers, due_notice, notices, starts_at

TORONTO = ZoneInfo("America/Toronto")


def test_march_change_each_notice_is_at_nine_on_the_wall_clock():
    # Monday 15 March 2027; the day before is the Sunday the clocks go forward.
    found = notices(date(2027, 3, 15), 28, TORONTO)
    assert [(n.kind, n.day, n.at) for n in found] == [
        ("lead", date(2027, 2, 15), datetime(2027, 2, 15, 14, 0, tzinfo=UTC)),  # EST, UTC-5
        ("week", date(2027, 3, 8), datetime(2027, 3, 8, 14, 0, tzinfo=UTC)),  # EST
        ("day_before", date(2027, 3, 14), datetime(2027, 3, 14, 13, 0, tzinfo=UTC)),  # EDT, UTC-4
    ]
    # Six calendar days between the last two, but one hour short of six times 24 hours.
    assert found[2].at - found[1].at == timedelta(days=6) - timedelta(hours=1)


def test_november_change_each_notice_is_at_nine_on_the_wall_clock():
    # Monday 8 November 2027; the day before is the Sunday the clocks go back.
    found = notices(date(2027, 11, 8), 28, TORONTO)
    assert [(n.kind, n.at) for n in found] == [
        ("lead", datetime(2027, 10, 11, 13, 0, tzinfo=UTC)),  # EDT
        ("week", datetime(2027, 11, 1, 13, 0, tzinfo=UTC)),  # EDT
        ("day_before", datetime(2027, 11, 7, 14, 0, tzinfo=UTC)),  # EST
    ]
    assert found[2].at - found[1].at == timedelta(days=6, hours=1)


def test_absence_begins_at_local_midnight_after_the_march_change():
    assert starts_at(date(2027, 3, 15), TORONTO) == datetime(2027, 3, 15, 4, 0, tzinfo=UTC)
    assert starts_at(date(2027, 3, 1), TORONTO) == datetime(2027, 3, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lead_days", "kinds"),
    [
        (28, ["lead", "week", "day_before"]),
        (8, ["lead", "week", "day_before"]),
        (7, ["lead", "day_before"]),  # the week notice would be the lead notice's day
        (3, ["lead", "day_before"]),
        (2, ["lead", "day_before"]),
        (1, ["lead"]),
    ],
)
def test_notices_never_fall_on_or_before_the_lead_day(lead_days, kinds):
    assert [n.kind for n in notices(date(2027, 6, 14), lead_days, TORONTO)] == kinds


@pytest.mark.parametrize("lead_days", [0, -3, 121])
def test_a_lead_time_out_of_range_is_refused(lead_days):
    with pytest.raises(ValueError, match="lead_days must be 1 to 120"):
        notices(date(2027, 6, 14), lead_days, TORONTO)


def test_due_notice_on_both_edges_of_nine_oclock():
    start = date(2027, 3, 15)
    nine = datetime(2027, 3, 14, 13, 0, tzinfo=UTC)  # the day before, 09:00 EDT
    due = due_notice(start, 28, TORONTO, nine - timedelta(seconds=1))
    assert due is not None and due.kind == "week"
    due = due_notice(start, 28, TORONTO, nine)
    assert due is not None and due.kind == "day_before"


def test_nothing_is_due_before_the_lead_notice_or_once_the_absence_has_begun():
    start = date(2027, 3, 15)
    assert due_notice(start, 28, TORONTO, datetime(2027, 2, 15, 13, 59, tzinfo=UTC)) is None
    began = starts_at(start, TORONTO)
    assert due_notice(start, 28, TORONTO, began - timedelta(seconds=1)) is not None
    assert due_notice(start, 28, TORONTO, began) is None


def test_an_absence_recorded_late_sends_only_the_latest_notice():
    # Recorded on 10 March for 15 March: the lead and week days have passed.
    due = due_notice(date(2027, 3, 15), 28, TORONTO, datetime(2027, 3, 10, 15, 0, tzinfo=UTC))
    assert due is not None and due.kind == "week"


def test_due_notice_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        due_notice(date(2027, 3, 15), 28, TORONTO, datetime(2027, 3, 10, 15, 0))


def test_covers_its_first_and_last_day_and_no_other():
    first, last = date(2027, 3, 15), date(2027, 3, 19)
    assert [covers(first, last, first + timedelta(days=n)) for n in range(-1, 6)] == [
        False, True, True, True, True, True, False,
    ]  # fmt: skip


def test_covers_refuses_an_end_before_the_start():
    with pytest.raises(ValueError, match="ends on or after"):
        covers(date(2027, 3, 15), date(2027, 3, 14), date(2027, 3, 15))
