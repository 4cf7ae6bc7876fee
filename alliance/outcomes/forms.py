from __future__ import annotations

import json
from typing import Any

from django import forms

from alliance.outcomes.schedule import ScheduleSpec


class ScheduleForm(forms.Form):
    """When one questionnaire is due; used once per questionnaire, with its id as prefix."""

    at_intake = forms.BooleanField(label="At intake", required=False)
    every_sessions = forms.IntegerField(
        label="Every N sessions",
        required=False,
        min_value=1,
        max_value=52,
        help_text="Before sessions N, 2N, 3N… (open from 3 hours before). Blank: not by session.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    every_weeks = forms.IntegerField(
        label="Every N weeks",
        required=False,
        min_value=1,
        max_value=52,
        help_text="Counted from the start of care. Blank: not by week.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    at_discharge = forms.BooleanField(label="At discharge", required=False)

    def spec(self) -> ScheduleSpec:
        data = self.cleaned_data
        return ScheduleSpec(
            at_intake=bool(data["at_intake"]),
            every_sessions=data["every_sessions"],
            every_weeks=data["every_weeks"],
            at_discharge=bool(data["at_discharge"]),
        )


def _pretty(data: Any) -> str:
    return "" if data is None else json.dumps(data, indent=2, ensure_ascii=False)


class SafetyForm(forms.Form):
    rules = forms.CharField(
        label="Safety rules (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Leave blank for the defaults shown below. See docs/outcomes.md.",
    )
    crisis_resources = forms.CharField(
        label="Crisis resources (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="What clients see at once after a risk answer. Blank for the defaults.",
    )

    @classmethod
    def for_stored(cls, rules: Any, resources: Any) -> SafetyForm:
        return cls(initial={"rules": _pretty(rules), "crisis_resources": _pretty(resources)})
