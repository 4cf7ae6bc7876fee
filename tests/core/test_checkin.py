"""The built-in post-session check-in: its fixed keys, options, conditions and scoring."""

from __future__ import annotations

import json
import re

import pytest

from alliance.core.checkin import (
    ALLIANCE_MAX,
    ALLIANCE_MIN,
    CHECKIN,
    CHECKIN_DEFINITION,
    TENSION_LABELS,
    WHO_READS,
)
from alliance.core.instruments import (
    AnswerCondition,
    ContextCondition,
    ItemKind,
    Score,
    load_instrument_json,
    score,
    validate_answers,
)

CALM_SESSION = {"bond": "6", "tasks": "5", "goals": "7", "tension": "0", "comment": ""}


def test_item_keys_are_fixed_and_in_order() -> None:
    assert [item.key for item in CHECKIN.items] == [
        "bond",
        "tasks",
        "goals",
        "tension",
        "talked",
        "resolved",
        "followup_resolved",
        "comment",
    ]


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("bond", (1, 2, 3, 4, 5, 6, 7)),
        ("tasks", (1, 2, 3, 4, 5, 6, 7)),
        ("goals", (1, 2, 3, 4, 5, 6, 7)),
        ("tension", (0, 1, 2, 3, 4)),
        ("talked", (0, 1, 2)),
        ("resolved", (0, 1, 2, 3, 4)),
        ("followup_resolved", (0, 1, 2)),
    ],
)
def test_option_values(key: str, values: tuple[int, ...]) -> None:
    assert CHECKIN.item(key).values == values


@pytest.mark.parametrize("key", ["bond", "tasks", "goals"])
def test_alliance_items_have_meaningful_endpoints(key: str) -> None:
    item = CHECKIN.item(key)
    assert (item.label_for(1), item.label_for(7)) == ("Not at all", "Completely")


@pytest.mark.parametrize("key", ["bond", "tasks", "goals"])
def test_every_alliance_option_has_a_label(key: str) -> None:
    assert all(option.label.strip() for option in CHECKIN.item(key).options)


def test_tension_labels() -> None:
    assert dict(TENSION_LABELS) == {
        0: "No, not today",
        1: "A little",
        2: "Some",
        3: "Quite a bit",
        4: "A lot",
    }


def test_talked_labels() -> None:
    assert [option.label for option in CHECKIN.item("talked").options] == ["No", "A little", "Yes"]


def test_resolved_endpoint_labels() -> None:
    item = CHECKIN.item("resolved")
    assert (item.label_for(0), item.label_for(4)) == ("Not at all", "Completely")


def test_followup_wording_and_labels() -> None:
    item = CHECKIN.item("followup_resolved")
    assert (item.text, [option.label for option in item.options]) == (
        "Last time you told us about a difficult moment with your therapist. How does it feel now?",
        ["Not resolved yet", "Partly", "Resolved for me"],
    )


def test_talked_and_resolved_follow_a_tension_of_at_least_one() -> None:
    condition = AnswerCondition(item="tension", min=1, max=None)
    assert (CHECKIN.item("talked").show_if, CHECKIN.item("resolved").show_if) == (
        condition,
        condition,
    )


def test_followup_depends_on_an_open_rupture() -> None:
    assert CHECKIN.item("followup_resolved").show_if == ContextCondition(context="has_open_rupture")


def test_comment_is_optional_text_of_2000_characters() -> None:
    item = CHECKIN.item("comment")
    assert (item.kind, item.required, item.max_length) == (ItemKind.TEXT, False, 2000)


def test_required_items() -> None:
    assert [item.key for item in CHECKIN.items if item.required] == [
        "bond",
        "tasks",
        "goals",
        "tension",
        "followup_resolved",
    ]


def test_composite_is_the_mean_of_bond_tasks_and_goals_needing_all_three() -> None:
    composite = CHECKIN.composite
    assert (composite.name, composite.items, composite.method, composite.min_answered) == (
        "alliance",
        ("bond", "tasks", "goals"),
        "mean",
        3,
    )


def test_subscales_are_bond_tasks_and_goals() -> None:
    assert [(scale.name, scale.items) for scale in CHECKIN.subscales] == [
        ("bond", ("bond",)),
        ("tasks", ("tasks",)),
        ("goals", ("goals",)),
    ]


def test_no_item_is_reverse_scored() -> None:
    assert not any(item.reverse for item in CHECKIN.items)


def test_alliance_range_constants_match_the_items() -> None:
    items = [CHECKIN.item(key) for key in ("bond", "tasks", "goals")]
    assert (
        float(min(item.min_value for item in items)),
        float(max(item.max_value for item in items)),
    ) == (ALLIANCE_MIN, ALLIANCE_MAX)


def test_reliability_is_an_assumed_default_said_plainly() -> None:
    assert (CHECKIN.reliability, CHECKIN.reliability_source.startswith("ASSUMED default")) == (
        0.85,
        True,
    )


def test_reliability_source_points_to_cronbach_alpha() -> None:
    assert "cronbach_alpha" in CHECKIN.reliability_source


def test_norms_sd_is_an_assumed_default_said_plainly() -> None:
    assert (CHECKIN.norms_sd, CHECKIN.norms_source.startswith("ASSUMED default")) == (1.0, True)


def test_attribution_names_bordin_and_safran_and_muran() -> None:
    assert ("Bordin (1979)" in CHECKIN.attribution, "Safran and Muran" in CHECKIN.attribution) == (
        True,
        True,
    )


def test_licence() -> None:
    assert CHECKIN.licence == (
        "Original items © the Alliance contributors, free to use under the project's licence"
    )


def test_definition_round_trips_through_json() -> None:
    assert load_instrument_json(json.dumps(CHECKIN_DEFINITION)) == CHECKIN


def _client_facing_text() -> list[str]:
    texts = [CHECKIN.title, CHECKIN.description, WHO_READS]
    for item in CHECKIN.items:
        texts += [item.text, item.help, *(option.label for option in item.options)]
    return texts


@pytest.mark.parametrize(
    "word",
    ["rupture", "alliance", "therapeutic", "intervention", "dyad", "borderline", "bpd", "symptom"],
)
def test_client_facing_text_avoids_clinical_jargon(word: str) -> None:
    pattern = re.compile(rf"\b{word}\b", re.IGNORECASE)
    assert [text for text in _client_facing_text() if pattern.search(text)] == []


def test_who_reads_names_the_readers_and_leaves_the_numbers_to_the_region() -> None:
    """The check-in page adds the crisis lines of the clinic's region after this text."""
    assert [phrase in WHO_READS for phrase in ("therapist", "supervisor")] == [True, True]
    assert re.search(r"\d", WHO_READS) is None


def test_who_reads_says_it_is_not_watched_around_the_clock() -> None:
    assert "around the clock" in WHO_READS


# --- Filling it in ------------------------------------------------------------------------------


def test_calm_session_is_valid() -> None:
    cleaned, errors = validate_answers(CHECKIN, CALM_SESSION)
    assert (cleaned, errors) == (
        {
            "bond": 6,
            "tasks": 5,
            "goals": 7,
            "tension": 0,
            "talked": None,
            "resolved": None,
            "followup_resolved": None,
            "comment": None,
        },
        {},
    )


def test_calm_session_scores_the_mean_of_three() -> None:
    # (6 + 5 + 7) / 3 = 6.0
    cleaned, _ = validate_answers(CHECKIN, CALM_SESSION)
    assert score(CHECKIN, cleaned) == Score(
        composite=6.0, subscales={"bond": 6.0, "tasks": 5.0, "goals": 7.0}, answered=4
    )


def test_alliance_needs_all_three_items() -> None:
    assert score(CHECKIN, {"bond": 6, "tasks": 5}).composite is None


def test_alliance_items_are_required() -> None:
    _, errors = validate_answers(CHECKIN, {**CALM_SESSION, "goals": ""})
    assert errors == {"goals": "Please choose one answer for this question."}


def test_bond_out_of_range_asks_for_one_to_seven() -> None:
    _, errors = validate_answers(CHECKIN, {**CALM_SESSION, "bond": "8"})
    assert errors == {"bond": "Please choose a whole number from 1 to 7."}


def test_no_tension_hides_the_repair_questions() -> None:
    cleaned, errors = validate_answers(CHECKIN, {**CALM_SESSION, "talked": "2", "resolved": "4"})
    assert (cleaned["talked"], cleaned["resolved"], errors) == (None, None, {})


def test_a_little_tension_shows_the_repair_questions() -> None:
    answers = {**CALM_SESSION, "tension": "1", "talked": "2", "resolved": "3"}
    cleaned, errors = validate_answers(CHECKIN, answers)
    assert (cleaned["talked"], cleaned["resolved"], errors) == (2, 3, {})


def test_repair_questions_can_be_left_unanswered() -> None:
    cleaned, errors = validate_answers(CHECKIN, {**CALM_SESSION, "tension": "4"})
    assert (cleaned["talked"], cleaned["resolved"], errors) == (None, None, {})


def test_followup_is_hidden_without_an_open_rupture() -> None:
    cleaned, errors = validate_answers(CHECKIN, {**CALM_SESSION, "followup_resolved": "2"})
    assert (cleaned["followup_resolved"], errors) == (None, {})


def test_followup_is_required_with_an_open_rupture() -> None:
    _, errors = validate_answers(CHECKIN, CALM_SESSION, context={"has_open_rupture": True})
    assert errors == {"followup_resolved": "Please choose one answer for this question."}


def test_followup_is_kept_with_an_open_rupture() -> None:
    cleaned, errors = validate_answers(
        CHECKIN, {**CALM_SESSION, "followup_resolved": "1"}, context={"has_open_rupture": True}
    )
    assert (cleaned["followup_resolved"], errors) == (1, {})


def test_comment_is_kept() -> None:
    cleaned, _ = validate_answers(CHECKIN, {**CALM_SESSION, "comment": "Thank you for today."})
    assert cleaned["comment"] == "Thank you for today."
