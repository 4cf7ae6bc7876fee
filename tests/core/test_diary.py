"""The diary card's definition, validation and day rule (alliance.core.diary), no Django."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest

from alliance.core import diary
from alliance.core.safety import evaluate

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
TARGET = "3f1c2d8e-0000-4000-8000-000000000001"


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall-clock time in Toronto, as an aware instant."""
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


# --- the definition -------------------------------------------------------------------------


def test_the_card_has_the_classic_parts():
    assert [u.key for u in diary.URGES] == ["urge_suicide", "urge_self_harm", "urge_substance"]
    assert [e.key for e in diary.EMOTIONS] == [
        "anger",
        "fear",
        "joy",
        "sadness",
        "shame",
        "emotional_misery",
        "physical_misery",
    ]
    assert [m.name for m in diary.MODULES] == [
        "Mindfulness",
        "Distress tolerance",
        "Emotion regulation",
        "Interpersonal effectiveness",
    ]
    assert {"wise_mind", "tipp", "opposite_action", "dear_man"} <= set(diary.SKILLS)
    assert list(diary.MEDICATION) == ["yes", "no", "na"]


def test_skills_codes_run_from_not_thought_about_to_used_and_helped():
    assert list(diary.SKILLS_CODES) == list(range(8))
    assert diary.SKILLS_CODES[0] == "I didn't think about them or use them"
    assert diary.SKILLS_CODES[7] == "I used them without having to try, and they helped"


def test_skill_keys_are_unique_across_modules():
    keys = [s.key for m in diary.MODULES for s in m.skills]
    assert len(keys) == len(set(keys)) == len(diary.SKILLS)


# --- validation -----------------------------------------------------------------------------


def test_a_full_card_is_cleaned_into_numbers():
    answers, errors = diary.validate(
        {
            "urge_suicide": "0",
            "acted_suicide": "no",
            "urge_self_harm": "3",
            "acted_self_harm": "yes",
            "action_self_harm": "2",
            "urge_substance": "1",
            "acted_substance": "no",
            "action_substance": "0",
            "urge_quit": "2",
            "anger": "4",
            "joy": "1",
            "emotional_misery": "5",
            "medication": "yes",
            "skills_code": "5",
            "skills": ["tipp", "wise_mind"],
            "note": "  A long day.\r\nBetter tonight.  ",
            "csrfmiddlewaretoken": "ignored",
        },
        submit=True,
    )
    assert errors == {}
    assert (answers.urge_self_harm, answers.acted_self_harm, answers.action_self_harm) == (
        3,
        True,
        2,
    )
    assert (answers.acted_substance, answers.action_substance) == (False, 0)
    assert (answers.anger, answers.fear, answers.emotional_misery) == (4, None, 5)
    assert answers.skills == ("wise_mind", "tipp")  # the card's order, not the browser's
    assert answers.note == "A long day.\nBetter tonight."
    assert answers.medication == "yes"


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("5", True), ("6", False), ("-1", False)])
def test_urges_run_from_0_to_5(value, ok):
    _, errors = diary.validate({"urge_substance": value})
    assert ("urge_substance" not in errors) is ok


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("5", True), ("6", False)])
def test_emotions_run_from_0_to_5(value, ok):
    _, errors = diary.validate({"shame": value})
    assert ("shame" not in errors) is ok


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("7", True), ("8", False)])
def test_the_skills_code_runs_from_0_to_7(value, ok):
    _, errors = diary.validate({"skills_code": value})
    assert ("skills_code" not in errors) is ok


@pytest.mark.parametrize("value", ["abc", "2.5", "1e3", "３", True])
def test_a_rating_that_is_not_a_whole_number_is_refused(value):
    answers, errors = diary.validate({"anger": value})
    assert errors == {"anger": "Please choose a number from 0 to 5."}
    assert answers.anger is None


@pytest.mark.parametrize(
    ("value", "ok"), [("0", True), ("99", True), ("100", False), ("-1", False)]
)
def test_counts_are_0_or_more_and_at_most_99(value, ok):
    _, errors = diary.validate({"action_self_harm": value})
    assert ("action_self_harm" not in errors) is ok
    if not ok:
        assert errors["action_self_harm"] == "Please put a whole number from 0 to 99."


def test_an_unknown_skill_is_refused():
    answers, errors = diary.validate({"skills": ["tipp", "levitation"]})
    assert errors == {"skills": "Please choose skills from the list."}
    assert answers.skills == ()


def test_an_unknown_medication_answer_is_refused():
    _, errors = diary.validate({"medication": "sometimes"})
    assert errors == {"medication": "Please choose yes, no, or that you don't take any medication."}


def test_a_count_above_0_means_the_urge_was_acted_on():
    answers, errors = diary.validate({"action_substance": "3"})
    assert (answers.acted_substance, errors) == (True, {})


def test_a_count_that_contradicts_the_answer_is_asked_about():
    _, errors = diary.validate({"acted_self_harm": "no", "action_self_harm": "2"})
    assert errors == {
        "action_self_harm": "You answered “No” to acting on it, and counted 2. Which one is right?"
    }
    _, errors = diary.validate({"acted_self_harm": "yes", "action_self_harm": "0"})
    assert "action_self_harm" in errors


def test_a_blank_answer_stays_blank_not_zero():
    answers, errors = diary.validate({"urge_suicide": "", "anger": None})
    assert (answers.urge_suicide, answers.anger, errors) == (None, None, {})


def test_done_for_today_needs_the_suicide_and_self_harm_urges():
    _, errors = diary.validate({"anger": "2"}, submit=True)
    assert errors == {
        "urge_suicide": "Please choose a number, even if it's 0.",
        "urge_self_harm": "Please choose a number, even if it's 0.",
    }
    _, draft_errors = diary.validate({"anger": "2"})
    assert draft_errors == {}


def test_a_note_longer_than_the_limit_is_refused_with_its_length():
    _, errors = diary.validate({"note": "x" * 4001})
    assert errors == {"note": "Please keep the note under 4000 characters (it has 4001)."}


def test_targets_are_read_only_for_the_clients_own_targets():
    raw = {
        f"target-{TARGET}-urge": "4",
        f"target-{TARGET}-acted": "yes",
        f"target-{TARGET}-count": "1",
        "target-someone-elses-urge": "5",
    }
    answers, errors = diary.validate(raw, target_ids=[TARGET])
    assert errors == {}
    assert answers.targets == {TARGET: diary.TargetAnswer(urge=4, acted=True, count=1)}


def test_a_target_urge_out_of_range_is_refused_on_its_field():
    _, errors = diary.validate({f"target-{TARGET}-urge": "9"}, target_ids=[TARGET])
    assert errors == {f"target-{TARGET}-urge": "Please choose a number from 0 to 5."}


def test_target_names_are_tidied_and_limited():
    assert diary.clean_target_name("  skipping   meals ") == "skipping meals"
    with pytest.raises(ValueError, match="Please give the target a name"):
        diary.clean_target_name("   ")
    with pytest.raises(ValueError, match="under 60 characters"):
        diary.clean_target_name("x" * 61)


# --- what the safety rules read -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fires"),
    [
        ({"urge_suicide": "3", "urge_self_harm": "3"}, []),
        ({"urge_suicide": "4"}, ["urge_suicide"]),
        ({"urge_self_harm": "5"}, ["urge_self_harm"]),
        ({"action_self_harm": "1"}, ["action_self_harm"]),
        ({"acted_self_harm": "yes"}, ["action_self_harm"]),
        ({"acted_suicide": "yes", "urge_suicide": "2"}, ["action_self_harm"]),
        ({"urge_substance": "5", "action_substance": "4", "urge_quit": "5"}, []),
    ],
)
def test_the_default_rules_fire_exactly_on_risk_answers(raw, fires):
    answers, errors = diary.validate(raw)
    assert errors == {}
    assert [f.rule.field for f in evaluate("diary", answers.safety_answers())] == fires


def test_safety_answers_leave_out_blanks_and_give_yes_no_as_1_0():
    answers, _ = diary.validate({"urge_substance": "2", "acted_substance": "no"})
    assert answers.safety_answers() == {"urge_substance": 2, "acted_substance": 0}


# --- days -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall_clock", "expected"),
    [
        # Spring forward: 8 March 2026 has 23 hours in Toronto.
        ((2026, 3, 8, 23, 30), date(2026, 3, 8)),
        ((2026, 3, 9, 0, 30), date(2026, 3, 9)),
        # Fall back: 1 November 2026 has 25 hours.
        ((2026, 11, 1, 23, 30), date(2026, 11, 1)),
        ((2026, 11, 2, 0, 30), date(2026, 11, 2)),
    ],
)
def test_a_day_is_the_local_date_on_daylight_saving_days(wall_clock, expected):
    instant = _at(*wall_clock).astimezone(UTC)  # what the server's clock says
    assert diary.local_day(instant, TORONTO) == expected


def test_the_utc_date_is_not_the_local_date_late_in_the_evening():
    instant = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)  # 23:30 on 8 March in Toronto
    assert (instant.date(), diary.local_day(instant, TORONTO)) == (
        date(2026, 3, 9),
        date(2026, 3, 8),
    )


def test_local_day_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        diary.local_day(datetime(2026, 3, 8, 12, 0), TORONTO)


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (date(2026, 3, 10), True),  # today
        (date(2026, 3, 3), True),  # 7 days back
        (date(2026, 3, 2), False),  # 8 days back
        (date(2026, 3, 11), False),  # tomorrow
    ],
)
def test_backfill_reaches_7_days_back_and_never_forward(day, ok):
    assert (diary.day_problem(day, date(2026, 3, 10)) is None) is ok


def test_the_refusals_say_why_kindly():
    today = date(2026, 3, 10)
    assert diary.day_problem(date(2026, 3, 11), today) == (
        "Wednesday 11 March hasn't come yet. You can fill in today's card, or one of the 7 days "
        "before it."
    )
    assert diary.day_problem(date(2026, 3, 1), today).startswith(
        "The card can be filled in for today and the 7 days before it, so Sunday 1 March is too "
        "far back now."
    )


def test_the_window_is_today_and_the_7_days_before():
    assert list(diary.fill_window(date(2026, 3, 10))) == [
        date(2026, 3, d) for d in (10, 9, 8, 7, 6, 5, 4, 3)
    ]
    assert diary.last_editable_day(date(2026, 3, 3)) == date(2026, 3, 10)


@pytest.mark.parametrize("text", ["2026-03-08", "2024-02-29"])
def test_parse_day_reads_iso_dates(text):
    assert diary.parse_day(text) == date.fromisoformat(text)


@pytest.mark.parametrize("text", ["", "2026-3-8", "2026-02-30", "08/03/2026", "2026-03-08x", None])
def test_parse_day_refuses_anything_else(text):
    assert diary.parse_day(text) is None


def test_weeks_start_on_monday():
    assert diary.week_start(date(2026, 3, 8)) == date(2026, 3, 2)  # a Sunday
    assert diary.week_start(date(2026, 3, 9)) == date(2026, 3, 9)  # a Monday
