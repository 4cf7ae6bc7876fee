from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.core import taxonomy
from alliance.ruptures.models import (
    RUPTURE_CLOSE_REASONS,
    CloseReason,
    FollowUpAction,
    FollowUpOutcome,
)


def _translated(table: tuple[tuple[str, str], ...]) -> list[tuple[str, Any]]:
    """The core's (code, English label) pairs with each label translated when shown."""
    return [(code, _(label)) for code, label in table]


class RepairForm(forms.Form):
    rupture_type = forms.ChoiceField(
        label=_("Kind of rupture"),
        choices=_translated(taxonomy.RUPTURE_TYPES),
        widget=forms.RadioSelect,
    )
    markers = forms.MultipleChoiceField(
        label=_("Markers you noticed"),
        choices=[
            (_(taxonomy.WITHDRAWAL), _translated(taxonomy.WITHDRAWAL_MARKERS)),
            (_(taxonomy.CONFRONTATION), _translated(taxonomy.CONFRONTATION_MARKERS)),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    strategies = forms.MultipleChoiceField(
        label=_("Resolution strategies used"),
        choices=_translated(taxonomy.RESOLUTION_STRATEGIES),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(
        label=_("Repair notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    next_session_plan = forms.CharField(
        label=_("Plan for the next session"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )


class CloseForm(forms.Form):
    # "Care ended" is set by ending the care episode, never picked by hand.
    reason = forms.ChoiceField(label=_("Why close it?"), choices=())
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(
        self, *args: Any, reasons: Sequence[CloseReason] = RUPTURE_CLOSE_REASONS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(CloseReason.choices)
        self.fields["reason"].choices = [(str(r), labels[r]) for r in reasons]  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    """A risk answer's follow-up: what was done, when (the therapist's local time), the outcome."""

    actions = forms.MultipleChoiceField(
        label=_("What did you do?"),
        choices=FollowUpAction.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please tick at least one thing you did.")},
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Please give the date it was done.")},
    )
    time = forms.TimeField(
        label=_("Time"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": _("Please give the time it was done.")},
    )
    outcome = forms.ChoiceField(
        label=_("How did it go?"),
        choices=FollowUpOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how it went.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        help_text=_("Stored encrypted. Required if you chose \u201cother\u201d."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(zone)

    @classmethod
    def starting_now(cls, *, zone: str, now: datetime) -> FollowUpForm:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        return cls(zone=zone, initial={"date": local.date(), "time": local.strftime("%H:%M")})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, at = data.get("date"), data.get("time")
        if day is None or at is None:
            return data
        local = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=self.zone)
        # A wall-clock time skipped by a daylight-saving change does not come back unchanged.
        back = local.astimezone(UTC).astimezone(self.zone)
        if back.replace(tzinfo=None) != local.replace(tzinfo=None):
            self.add_error(
                "time",
                _("That time did not exist on that day (the clocks changed). Please check it."),
            )
            return data
        data["done_at"] = local
        return data
