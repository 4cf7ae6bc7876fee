"""The formula-safe CSV cell, shared by every CSV Alliance writes."""

from __future__ import annotations

import pytest

from alliance.core.spreadsheet import csv_safe


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        '\uff1dHYPERLINK("http://evil.example")',  # full-width =
        "\uff0b1",  # full-width +
        "\uff0d1",  # full-width -
        "\uff20SUM(A1)",  # full-width @
        "\ufe66cmd",  # small equals sign
        "\ufe62cmd",  # small plus sign
        "\ufe63cmd",  # small hyphen-minus
        "\ufe6bcmd",  # small commercial at
        "\u207c1",  # superscript equals sign
        "  =1+1",  # leading spaces before the formula
        "\u3000=1+1",  # an ideographic space folds to a space
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe_and_keeps_its_text(text: str) -> None:
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["Teresa Tran", "", "3 Nov", "a=b", "x-1", "\u00e9l\u00e8ve", "1,5", "'already"]
)
def test_ordinary_text_is_kept_as_it_is(text: str) -> None:
    assert csv_safe(text) == text


@pytest.mark.parametrize("number", ["-1", "-2.4", "+3", "-0.5", "-1e3", "12"])
def test_a_plain_number_keeps_its_sign(number: str) -> None:
    assert csv_safe(number) == number


def test_none_is_an_empty_cell() -> None:
    assert csv_safe(None) == ""


def test_a_full_width_number_is_not_a_plain_number() -> None:
    # "－１" folds to "-1" in a spreadsheet, but only ASCII digits are left alone.
    assert csv_safe("\uff0d\uff11") == "'\uff0d\uff11"
