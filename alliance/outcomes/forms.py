from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.outcomes.safety import RuleAnswer
from alliance.outcomes.schedule import ScheduleSpec


class ScheduleForm(forms.Form):
    """When one questionnaire is due; used once per questionnaire, with its id as prefix."""

    at_intake = forms.BooleanField(label=_("At intake"), required=False)
    every_sessions = forms.IntegerField(
        label=_("Every N sessions"),
        required=False,
        min_value=1,
        max_value=52,
        help_text=_(
            "Before sessions N, 2N, 3N… (open from 3 hours before). Blank: not by session."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    every_weeks = forms.IntegerField(
        label=_("Every N weeks"),
        required=False,
        min_value=1,
        max_value=52,
        help_text=_("Counted from the start of care. Blank: not by week."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    at_discharge = forms.BooleanField(label=_("At discharge"), required=False)

    def spec(self) -> ScheduleSpec:
        data = self.cleaned_data
        return ScheduleSpec(
            at_intake=bool(data["at_intake"]),
            every_sessions=data["every_sessions"],
            every_weeks=data["every_weeks"],
            at_discharge=bool(data["at_discharge"]),
        )


# "is at least" first: a select shows its first option when a row is new, and that must be the
# field's initial value too (see SafetyRuleForm.comparison).
COMPARISONS = [
    (">=", _("is at least")),
    (">", _("is more than")),
    ("==", _("is exactly")),
]


class SafetyRuleForm(forms.Form):
    """One safety rule: which answer, when it counts as a risk answer, and what the alert says."""

    answer = forms.ChoiceField(label=_("Answer"))
    # An initial value, so an empty row as the browser sends it (this select always has a value)
    # is an unchanged row, not a rule with its other fields missing.
    comparison = forms.ChoiceField(
        label=_("Counts as a risk answer when it"), choices=COMPARISONS, initial=">="
    )
    threshold = forms.IntegerField(
        label=_("Number"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    label = forms.CharField(
        label=_("What the therapist's alert says"),
        max_length=200,
        help_text=_("For example “PHQ-9 item 9: thoughts of death or of self-harm”."),
    )

    def __init__(self, *args: Any, answers: Sequence[RuleAnswer] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = {answer.key: answer for answer in answers}
        self.fields["answer"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose an answer")),
            *((a.key, a.label) for a in answers),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answer = self.answers.get(data.get("answer", ""))
        threshold, comparison = data.get("threshold"), data.get("comparison")
        if answer is None or threshold is None or comparison is None:
            return data
        if not answer.low <= threshold <= answer.high:
            self.add_error(
                "threshold",
                _("This answer goes from %(low)s to %(high)s: please choose a number from it.")
                % {"low": answer.low, "high": answer.high},
            )
        elif comparison == ">" and threshold == answer.high:
            self.add_error(
                "threshold",
                _(
                    "No answer is more than %(high)s, so this rule could never raise an alert. "
                    "Use “is at least” or a lower number."
                )
                % {"high": answer.high},
            )
        return data

    def rule(self) -> dict[str, Any]:
        answer = self.answers[self.cleaned_data["answer"]]
        return {
            "source": answer.source,
            "field": answer.field,
            "comparison": self.cleaned_data["comparison"],
            "threshold": self.cleaned_data["threshold"],
            "label": self.cleaned_data["label"].strip(),
        }


class BaseSafetyRuleFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() or not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data["answer"]
            if key in seen:
                form.add_error(
                    "answer", _("Another rule already reads this answer: keep one of them.")
                )
            seen.add(key)


SafetyRuleFormSet = forms.formset_factory(
    SafetyRuleForm, formset=BaseSafetyRuleFormSet, extra=1, can_delete=True, max_num=40
)


class CrisisResourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    contact = forms.CharField(
        label=_("How to reach it"),
        max_length=120,
        # No number here: an example from one region would be the wrong one for the others.
        help_text=_("As a client would dial it: “Call” or “Text”, then the number."),
    )
    description = forms.CharField(
        label=_("When to use it"),
        max_length=300,
        help_text=_("For example “Any time, day or night.”"),
    )

    def resource(self) -> dict[str, str]:
        return {key: self.cleaned_data[key].strip() for key in ("name", "contact", "description")}


CrisisResourceFormSet = forms.formset_factory(
    CrisisResourceForm, extra=1, can_delete=True, max_num=20
)


def kept(formset: forms.BaseFormSet) -> list[forms.Form]:  # type: ignore[type-arg]
    """The rows of a valid formset that are filled in and not marked for removal."""
    removed = formset.deleted_forms
    return [form for form in formset.forms if form.has_changed() and form not in removed]
