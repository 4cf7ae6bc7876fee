"""The timeline's layout maths and the rupture-and-urges means, against values worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alliance.core.timeline import (
    Axis,
    Bin,
    Window,
    WindowMean,
    around,
    bin_values,
    bins,
    group_change,
    heat_level,
    mean_or_none,
    months_back,
    parse_range,
    scale_y,
    ticks,
    window_for,
)

# --- zoom ------------------------------------------------------------------------------------


def test_no_range_is_the_default_year() -> None:
    assert parse_range(None) == "1y"
    assert parse_range("") == "1y"


@pytest.mark.parametrize("value", ["3m", "1y", "all"])
def test_each_range_is_accepted(value: str) -> None:
    assert parse_range(value) == value


@pytest.mark.parametrize("value", ["6m", "3M", "all ", "1Y", "year"])
def test_any_other_range_is_refused_with_the_choices(value: str) -> None:
    with pytest.raises(ValueError, match=r"range must be one of 3m, 1y, all, got"):
        parse_range(value)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 15), 3, date(2025, 12, 15)),
        (date(2026, 5, 31), 3, date(2026, 2, 28)),  # February has no 31st
        (date(2028, 5, 31), 3, date(2028, 2, 29)),  # a leap year
        (date(2028, 2, 29), 12, date(2027, 2, 28)),
        (date(2026, 1, 10), 12, date(2025, 1, 10)),
        (date(2026, 1, 10), 0, date(2026, 1, 10)),
    ],
)
def test_months_back_keeps_the_day_or_takes_the_months_last(
    day: date, months: int, expected: date
) -> None:
    assert months_back(day, months) == expected


def test_three_months_ends_today_and_starts_three_calendar_months_back() -> None:
    window = window_for("3m", today=date(2026, 3, 15), first_day=date(2020, 1, 1))
    assert (window.start, window.end) == (date(2025, 12, 15), date(2026, 3, 15))
    assert window.days == 17 + 31 + 28 + 15  # 15–31 Dec, Jan, Feb, 1–15 Mar


def test_a_zoom_longer_than_the_episode_starts_when_care_began() -> None:
    window = window_for("1y", today=date(2026, 3, 15), first_day=date(2025, 11, 2))
    assert (window.start, window.end) == (date(2025, 11, 2), date(2026, 3, 15))


def test_all_starts_on_the_episodes_first_day() -> None:
    window = window_for("all", today=date(2026, 3, 15), first_day=date(2026, 3, 1))
    assert (window.start, window.days) == (date(2026, 3, 1), 15)


def test_an_episode_starting_tomorrow_shows_today_alone() -> None:
    window = window_for("all", today=date(2026, 3, 15), first_day=date(2026, 3, 16))
    assert (window.start, window.end, window.days) == (date(2026, 3, 15), date(2026, 3, 15), 1)


def test_a_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="must not end"):
        Window(date(2026, 3, 2), date(2026, 3, 1))


# --- date to x -------------------------------------------------------------------------------


def test_each_day_is_a_band_and_a_point_sits_at_its_centre() -> None:
    # Ten days on 0..100: each day is 10 wide; day 0 is 0–10, centred at 5; day 9 at 95.
    axis = Axis(Window(date(2026, 1, 1), date(2026, 1, 10)), left=0, right=100)
    assert axis.day_width == 10
    assert axis.x(date(2026, 1, 1)) == 5
    assert axis.x(date(2026, 1, 10)) == 95
    assert axis.edge(date(2026, 1, 4)) == 30
    assert axis.edge(date(2026, 1, 11)) == 100  # the day after the window: the right edge


def test_the_axis_is_offset_by_its_left_margin() -> None:
    # 4 days on 40..640: 150 a day; 3 January is the third band, 340–490, centred at 415.
    axis = Axis(Window(date(2026, 1, 1), date(2026, 1, 4)), left=40, right=640)
    assert axis.x(date(2026, 1, 3)) == 415


def test_one_day_fills_the_plot() -> None:
    axis = Axis(Window(date(2026, 1, 1), date(2026, 1, 1)), left=40, right=640)
    assert axis.x(date(2026, 1, 1)) == 340


def test_an_axis_needs_room() -> None:
    with pytest.raises(ValueError, match="right"):
        Axis(Window(date(2026, 1, 1), date(2026, 1, 2)), left=100, right=100)


@pytest.mark.parametrize(("value", "expected"), [(7, 10.0), (1, 130.0), (4, 70.0), (5.5, 40.0)])
def test_seven_is_at_the_top_and_one_at_the_bottom(value: float, expected: float) -> None:
    # 1..7 on 10..130: 20 units a point.
    assert scale_y(value, low=1, high=7, top=10, bottom=130) == expected


def test_a_scale_needs_a_range() -> None:
    with pytest.raises(ValueError, match="high"):
        scale_y(3, low=5, high=5, top=0, bottom=10)


# --- ticks -----------------------------------------------------------------------------------


def test_ticks_are_the_first_of_each_month_inside_the_window() -> None:
    window = Window(date(2025, 12, 15), date(2026, 3, 15))
    assert ticks(window) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_a_window_starting_on_the_first_has_a_tick_there() -> None:
    assert ticks(Window(date(2026, 1, 1), date(2026, 1, 31))) == [date(2026, 1, 1)]


def test_a_long_window_ticks_each_quarter() -> None:
    window = Window(date(2024, 11, 20), date(2026, 3, 15))  # 481 days
    assert ticks(window) == [
        date(2025, 1, 1),
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
    ]


def test_past_three_years_ticks_each_new_year() -> None:
    window = Window(date(2021, 6, 1), date(2026, 3, 15))
    assert ticks(window) == [date(y, 1, 1) for y in range(2022, 2027)]


# --- heat-map cells --------------------------------------------------------------------------


def test_up_to_120_days_there_is_a_cell_a_day() -> None:
    window = Window(date(2026, 1, 1), date(2026, 4, 30))  # 120 days
    cells = bins(window)
    assert len(cells) == 120
    assert cells[0] == Bin(date(2026, 1, 1), date(2026, 1, 1))
    assert cells[-1] == Bin(date(2026, 4, 30), date(2026, 4, 30))


def test_past_120_days_a_cell_is_a_week_from_monday_cut_to_the_window() -> None:
    # Thursday 1 Jan 2026 to Friday 1 May 2026: 121 days.
    cells = bins(Window(date(2026, 1, 1), date(2026, 5, 1)))
    assert cells[0] == Bin(date(2026, 1, 1), date(2026, 1, 4))  # Thu to Sun
    assert cells[1] == Bin(date(2026, 1, 5), date(2026, 1, 11))  # a whole week
    assert cells[-1] == Bin(date(2026, 4, 27), date(2026, 5, 1))  # Mon to Fri
    assert sum(c.days for c in cells) == 121
    assert len(cells) == 1 + 16 + 1


def test_a_cell_is_the_mean_of_its_days_with_a_value() -> None:
    cell = Bin(date(2026, 1, 5), date(2026, 1, 11))
    values = {
        date(2026, 1, 5): 4,
        date(2026, 1, 6): None,  # a card with this answer blank
        date(2026, 1, 8): 1,
        date(2026, 1, 11): 0,  # 0 is a value
        date(2026, 1, 12): 5,  # the next week
    }
    [found] = bin_values([cell], values)
    assert (found.mean, found.n) == (pytest.approx(5 / 3), 3)


def test_a_cell_with_no_value_has_no_mean() -> None:
    [found] = bin_values([Bin(date(2026, 1, 5), date(2026, 1, 5))], {})
    assert (found.mean, found.n) == (None, 0)


@pytest.mark.parametrize(
    ("value", "maximum", "expected"),
    [
        (0, 5, 0),
        (5, 5, 5),
        (3, 5, 3),
        (2.5, 5, 3),  # half up
        (2.49, 5, 2),
        (7, 7, 5),
        (4, 7, 3),  # 4/7·5 = 2.86
        (1, 7, 1),  # 0.71
        (0.6, 7, 0),  # 0.43
        (None, 5, None),
    ],
)
def test_heat_levels(value: float | None, maximum: float, expected: int | None) -> None:
    assert heat_level(value, maximum) == expected


def test_a_heat_value_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="0 to 5"):
        heat_level(6, 5)


def test_mean_leaves_out_missing_values() -> None:
    assert mean_or_none([2, None, 4]) == 3
    assert mean_or_none([None, None]) is None
    assert mean_or_none([]) is None


# --- rupture and urges -----------------------------------------------------------------------

RUPTURE = date(2026, 3, 10)


def _on(offset: int) -> date:
    return RUPTURE + timedelta(days=offset)


def test_before_is_the_seven_days_before_and_after_the_seven_after() -> None:
    values = {
        _on(-8): 5,  # outside
        _on(-7): 1,
        _on(-3): 2,
        _on(-1): 3,
        _on(0): 5,  # the rupture's own day is in neither
        _on(1): 4,
        _on(7): 2,
        _on(8): 0,  # outside
    }
    before, after = around(RUPTURE, values)
    assert before == WindowMean(2.0, 3)  # (1 + 2 + 3) / 3
    assert after == WindowMean(3.0, 2)  # (4 + 2) / 2


def test_a_side_with_no_cards_has_no_mean() -> None:
    before, after = around(RUPTURE, {_on(2): 1})
    assert before == WindowMean(None, 0)
    assert after == WindowMean(1.0, 1)


def _pair(before: float | None, after: float | None) -> tuple[WindowMean, WindowMean]:
    return WindowMean(before, 7 if before is not None else 0), WindowMean(
        after, 7 if after is not None else 0
    )


def test_the_group_means_count_each_rupture_once() -> None:
    pairs = [_pair(1, 2), _pair(2, 2), _pair(3, 1), _pair(0, 3), _pair(4, 4.5)]
    found = group_change(pairs)
    # before (1+2+3+0+4)/5 = 2, after (2+2+1+3+4.5)/5 = 2.5
    assert (found.n, found.shown) == (5, True)
    assert found.before == pytest.approx(2.0)
    assert found.after == pytest.approx(2.5)
    assert found.change == pytest.approx(0.5)


def test_ruptures_missing_a_side_are_left_out_of_the_count() -> None:
    pairs = [_pair(1, 2), _pair(None, 2), _pair(3, None), _pair(1, 1), _pair(2, 2)]
    found = group_change(pairs, minimum=3)
    assert (found.n, found.before, found.after) == (3, pytest.approx(4 / 3), pytest.approx(5 / 3))


def test_below_the_minimum_there_is_a_count_and_no_figure() -> None:
    found = group_change([_pair(1, 2)] * 4)
    assert (found.n, found.shown, found.before, found.after, found.change) == (
        4,
        False,
        None,
        None,
        None,
    )
