from __future__ import annotations

from django import forms

from alliance.core import taxonomy
from alliance.ruptures.models import CloseReason


class RepairForm(forms.Form):
    rupture_type = forms.ChoiceField(
        label="Kind of rupture", choices=taxonomy.RUPTURE_TYPES, widget=forms.RadioSelect
    )
    markers = forms.MultipleChoiceField(
        label="Markers you noticed",
        choices=[
            ("Withdrawal", list(taxonomy.WITHDRAWAL_MARKERS)),
            ("Confrontation", list(taxonomy.CONFRONTATION_MARKERS)),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    strategies = forms.MultipleChoiceField(
        label="Resolution strategies used",
        choices=taxonomy.RESOLUTION_STRATEGIES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(
        label="Repair notes",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    next_session_plan = forms.CharField(
        label="Plan for the next session",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )


class CloseForm(forms.Form):
    # "Care ended" is set by ending the care episode, never picked by hand.
    reason = forms.ChoiceField(
        label="Why close it?",
        choices=[(v, label) for v, label in CloseReason.choices if v != CloseReason.EPISODE_ENDED],
    )
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
