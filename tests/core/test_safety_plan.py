"""The parts of a safety plan and which parts a version changed (alliance/core/safety_plan.py)."""

from __future__ import annotations

from alliance.core.safety_plan import SECTION_KEYS, SECTIONS, changed_sections, is_empty


def test_the_plan_has_its_seven_parts_in_order():
    assert SECTION_KEYS == (
        "warning_signs",
        "on_my_own",
        "people_places",
        "ask_for_help",
        "professionals",
        "safer_surroundings",
        "reasons_for_living",
    )
    assert all(section.title and section.hint for section in SECTIONS)


def test_only_the_parts_whose_words_differ_count_as_changed_in_plan_order():
    before = {"warning_signs": "Not sleeping", "reasons_for_living": "My sister"}
    after = {
        "warning_signs": "  Not sleeping\n",
        "reasons_for_living": "My sister, Pickle",
        "on_my_own": "TIPP",
    }
    assert changed_sections(before, after) == ["on_my_own", "reasons_for_living"]


def test_a_part_left_out_counts_as_blank():
    assert changed_sections({"professionals": "Dr. Chen"}, {}) == ["professionals"]
    assert changed_sections({}, {"professionals": "   "}) == []


def test_a_plan_is_empty_only_when_every_part_is_blank():
    assert is_empty({}) is True
    assert is_empty({"on_my_own": " \n "}) is True
    assert is_empty({"on_my_own": "cold water"}) is False
