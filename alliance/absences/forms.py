from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.absences.selectors import colleagues
from alliance.absences.services import MAX_MESSAGE, AbsenceInput
from alliance.core import absence as rules
from alliance.people.models import User


class CoverChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class AbsenceForm(forms.Form):
    starts_on = forms.DateField(
        label=_("First day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Last day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cover = CoverChoice(
        queryset=User.objects.none(),
        label=_("Who covers"),
        empty_label=_("Choose a colleague"),
        error_messages={"invalid_choice": _("Please choose a therapist of your clinic.")},
    )
    cover_contact = forms.CharField(
        label=_("How clients reach them"),
        max_length=300,
        help_text=_("A phone number, an extension or an email address, and when they answer."),
    )
    message_to_clients = forms.CharField(
        label=_("A few words to your clients (optional)"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on each client's home page from the first notice until you're back."),
    )
    lead_days = forms.IntegerField(
        label=_("Tell clients this many days ahead"),
        initial=rules.DEFAULT_LEAD_DAYS,
        min_value=rules.MIN_LEAD_DAYS,
        max_value=rules.MAX_LEAD_DAYS,
        help_text=_(
            "Four weeks (28 days) unless you choose otherwise. They are told again a "
            "week before and the day before."
        ),
    )

    def __init__(self, *args: Any, therapist: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cover"].queryset = colleagues(therapist)  # type: ignore[attr-defined]

    def absence_input(self) -> AbsenceInput:
        data = self.cleaned_data
        return AbsenceInput(
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            cover=data["cover"],
            cover_contact=data["cover_contact"],
            message_to_clients=data["message_to_clients"],
            lead_days=data["lead_days"],
        )
