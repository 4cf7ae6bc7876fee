from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from alliance.audit.models import AuditAction
from alliance.people.models import Role, User


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.get_role_display().lower()})"


# The log cannot hold events from before Alliance existed, nor from the far future; a date
# outside this range (9999-12-31, 0001-01-01) would also overflow when it is turned into the
# start of a day in the admin's time zone.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
_DATE_RANGE = [
    MinValueValidator(
        EARLIEST, message=_("Please choose a date from 1 January 2000: the log has nothing older.")
    ),
    MaxValueValidator(
        LATEST, message=_("Please choose a date before 2100, or leave the box empty for no limit.")
    ),
]


class AuditFilterForm(forms.Form):
    """The admin's filters over their clinic's audit log; every field may be left empty."""

    person = PersonChoiceField(
        label=_("Who did it"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    client = PersonChoiceField(
        label=_("Whose record"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone"),
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any action")), *AuditAction.choices], required=False
    )
    since = forms.DateField(
        label=_("From (date)"),
        required=False,
        validators=_DATE_RANGE,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To (date, inclusive)"),
        required=False,
        validators=_DATE_RANGE,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, clinic_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(clinic_id=clinic_id).order_by("full_name")
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["client"].queryset = people.filter(role=Role.CLIENT)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data
