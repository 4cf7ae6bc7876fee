"""The diary card's 0–5 scales (alliance/diary/templatetags/diary_form.py)."""

from __future__ import annotations

import re

from alliance.diary.forms import URGE_SCALE
from alliance.diary.templatetags.diary_form import scale


def test_one_radio_per_point_and_only_the_chosen_one_checked():
    html = str(scale("urge_self_harm", "3", URGE_SCALE))
    radios = re.findall(r'<input type="radio" name="urge_self_harm" value="(\d)"( checked)?>', html)
    assert [value for value, _ in radios] == ["0", "1", "2", "3", "4", "5"]
    assert [value for value, checked in radios if checked] == ["3"]
    assert html.startswith('<div class="scale">') and html.endswith("</div>")
    assert "checked" not in str(scale("urge_self_harm", "", URGE_SCALE))


def test_values_are_escaped():
    html = str(scale('x"><script>alert(1)</script>', "<b>", ["<b>"]))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and 'value="&lt;b&gt;" checked' in html
