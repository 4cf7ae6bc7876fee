import pytest

from alliance.core.safety import (
    DEFAULT_CRISIS_RESOURCES,
    evaluate,
    load_crisis_resources,
    load_rules,
)


@pytest.mark.parametrize(("answer", "fires"), [(0, False), (1, True), (3, True)])
def test_phq9_item9_fires_above_zero(answer, fires):
    assert bool(evaluate("phq9", {"phq9_9": answer})) is fires


def test_unanswered_item9_is_not_a_finding():
    assert evaluate("phq9", {"phq9_1": 3}) == []
    assert evaluate("phq9", {"phq9_9": None}) == []


@pytest.mark.parametrize(("urge", "fires"), [(3, False), (4, True), (5, True)])
def test_diary_suicide_urge_fires_at_four(urge, fires):
    assert bool(evaluate("diary", {"urge_suicide": urge})) is fires


@pytest.mark.parametrize(("urge", "fires"), [(3, False), (4, True)])
def test_diary_self_harm_urge_fires_at_four(urge, fires):
    assert bool(evaluate("diary", {"urge_self_harm": urge})) is fires


@pytest.mark.parametrize(("count", "fires"), [(0, False), (1, True), (True, True), (False, False)])
def test_any_self_harm_action_fires(count, fires):
    assert bool(evaluate("diary", {"action_self_harm": count})) is fires


def test_rules_of_another_source_do_not_apply():
    assert evaluate("gad7", {"phq9_9": 3}) == []


def test_several_findings_in_rule_order_with_summaries():
    found = evaluate("diary", {"urge_suicide": 5, "action_self_harm": 2})
    assert [f.summary for f in found] == [
        "Diary card: strong urge to die by suicide (answer: 5)",
        "Diary card: self-harm recorded (answer: 2)",
    ]


def test_clinic_rules_replace_the_defaults():
    rules = load_rules(
        [
            {
                "source": "diary",
                "field": "urge_suicide",
                "comparison": ">=",
                "threshold": 3,
                "label": "Urge to die",
            }
        ]
    )
    assert [f.value for f in evaluate("diary", {"urge_suicide": 3}, rules)] == [3.0]
    assert evaluate("diary", {"action_self_harm": 1}, rules) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "rules: expected a non-empty list of rules"),
        ([1], "rules[0]: expected an object"),
        (
            [{"source": "diary", "field": "x", "comparison": "<", "threshold": 1, "label": "l"}],
            "rules[0].comparison: expected one of >, >=, ==, got '<'",
        ),
        (
            [{"source": "diary", "field": "x", "comparison": ">", "threshold": "4", "label": "l"}],
            "rules[0].threshold: expected a number, got '4'",
        ),
        (
            [{"source": "", "field": "x", "comparison": ">", "threshold": 1, "label": "l"}],
            "rules[0].source: expected a non-empty string",
        ),
        (
            [
                {
                    "source": "d",
                    "field": "x",
                    "comparison": ">",
                    "threshold": 1,
                    "label": "l",
                    "colour": "red",
                }
            ],
            "rules[0]: unknown key(s): colour",
        ),
    ],
)
def test_bad_rule_sets_are_refused_with_the_place(data, message):
    with pytest.raises(ValueError) as error:
        load_rules(data)
    assert str(error.value) == message


def test_default_crisis_resources_include_988_and_911():
    contacts = [r.contact for r in DEFAULT_CRISIS_RESOURCES]
    assert contacts == ["Call or text 9-8-8", "Call 911"]


def test_crisis_resources_are_validated():
    with pytest.raises(ValueError, match=r"resources\[0\].contact: expected a non-empty string"):
        load_crisis_resources([{"name": "Line", "contact": " ", "description": "d"}])
    [r] = load_crisis_resources([{"name": "Line", "contact": "555", "description": "d"}])
    assert r.contact == "555"
