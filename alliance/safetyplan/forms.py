from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.core.safety_plan import SECTION_MAX, SECTIONS


class SafetyPlanForm(forms.Form):
    """The seven parts, and the number of the version the form was opened on."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.key] = forms.CharField(
                # The core marks the words for translation (gettext_noop); here they are looked up.
                label=_(section.title),
                help_text=_(section.hint),
                required=False,
                max_length=SECTION_MAX,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    @property
    def parts(self) -> list[forms.BoundField]:
        return [self[section.key] for section in SECTIONS]

    def texts(self) -> dict[str, str]:
        return {section.key: self.cleaned_data.get(section.key, "") for section in SECTIONS}
