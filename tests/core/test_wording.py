"""A core message with numbers in it keeps its template, so a page can translate it."""

from __future__ import annotations

from alliance.core import diary
from alliance.core.checkin import CHECKIN
from alliance.core.instruments import validate_answers
from alliance.core.wording import Wording, ngettext


def test_wording_is_the_english_text_and_keeps_its_template_and_values():
    said = Wording("Up to %(n)d of %(total)d.", n=2, total=8)
    assert (said, said.template, dict(said.values)) == (
        "Up to 2 of 8.",
        "Up to %(n)d of %(total)d.",
        {"n": 2, "total": 8},
    )
    assert type(str(said)) is str


def test_a_diary_number_out_of_range_says_its_template():
    _answers, errors = diary.validate({"anger": "6", "action_self_harm": "100"})
    found = {key: (str(errors[key]), errors[key].template) for key in ("anger", "action_self_harm")}
    assert found == {
        "anger": (
            "Please choose a number from 0 to 5.",
            "Please choose a number from 0 to %(high)d.",
        ),
        "action_self_harm": (
            "Please put a whole number from 0 to 99.",
            "Please put a whole number from 0 to %(max)d.",
        ),
    }


def test_a_check_in_answer_too_long_says_its_template_with_the_numbers_as_written():
    _cleaned, errors = validate_answers(
        CHECKIN, {"bond": "5", "tasks": "5", "goals": "5", "tension": "0", "comment": "x" * 2001}
    )
    said = errors["comment"]
    assert str(said) == (
        "Please shorten this to 2,000 characters or fewer. It is 2,001 characters now."
    )
    assert (said.template, dict(said.values)) == (
        "Please shorten this to %(max)s characters or fewer. It is %(length)s characters now.",
        {"max": 2000, "length": 2001},
    )


def test_counted_wording_chooses_the_english_form_by_its_count():
    said = [ngettext("%(n)d client", "%(n)d clients", n, n=n) for n in (0, 1, 2)]
    assert [(str(s), s.template, s.plural, s.plural_count) for s in said] == [
        ("0 clients", "%(n)d client", "%(n)d clients", 0),
        ("1 client", "%(n)d client", "%(n)d clients", 1),
        ("2 clients", "%(n)d client", "%(n)d clients", 2),
    ]
