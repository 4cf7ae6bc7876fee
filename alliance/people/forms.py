from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from alliance.people.models import Region, Role, SessionStatus

COMMON_ZONES = [
    "America/Toronto",
    "America/Vancouver",
    "America/Edmonton",
    "America/Winnipeg",
    "America/Halifax",
    "America/St_Johns",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Paris",
    "UTC",
]


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": "That email and password don't match an account. Please try again.",
        "inactive": "This account is no longer active. Please contact your clinic.",
    }


class ClientAddForm(forms.Form):
    full_name = forms.CharField(label="Client's name", max_length=200)
    display_name = forms.CharField(
        label="What they like to be called",
        max_length=80,
        required=False,
        help_text="Used on their pages and your caseload, e.g. Jo. Leave it empty to use the "
        "whole name; they can change it when they set their password.",
    )
    email = forms.EmailField(label="Client's email", max_length=254)
    timezone = forms.ChoiceField(
        label="Client's time zone", choices=[(z, z.replace("_", " ")) for z in COMMON_ZONES]
    )


class StaffAddForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=200)
    display_name = forms.CharField(
        label="How clients address them",
        max_length=80,
        required=False,
        help_text="For example Maya, or Dr. Chen. Clients read it on every page (“Send to "
        "Maya”). Leave it empty to use the whole name; they can change it themselves.",
    )
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(
        label="Role",
        choices=[(Role.THERAPIST, "Therapist"), (Role.CLINIC_ADMIN, "Clinic admin")],
    )


class SessionScheduleForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}))

    def scheduled_at(self, zone: str) -> datetime:
        local = datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return local.replace(tzinfo=zoneinfo.ZoneInfo(zone))


class SessionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=SessionStatus.choices)


class EpisodeEndForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, end this course of therapy today",
        help_text="Open alerts close as 'care episode ended'. The record is kept, not deleted.",
    )


PHONE = re.compile(r"^\+?[0-9 ().-]{3,30}( ?(ext\.?|x) ?[0-9]{1,6})?$", re.IGNORECASE)


class ClinicSettingsForm(forms.Form):
    region = forms.ChoiceField(
        label=_("Where your clients live"),
        choices=Region.choices,
        help_text=_("Decides which crisis lines the help page shows."),
    )
    contact_phone = forms.CharField(
        label=_("Clinic phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("For example +1 416 555 0100, or 416-555-0100 ext. 12."),
    )
    contact_email = forms.EmailField(label=_("Clinic email"), max_length=254, required=False)
    contact_hours = forms.CharField(
        label=_("When the clinic answers"),
        max_length=200,
        required=False,
        help_text=_("For example: Monday to Friday, 9 to 5."),
    )

    def clean_contact_phone(self) -> str:
        phone = " ".join(str(self.cleaned_data["contact_phone"]).split())
        if phone and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3):
            raise forms.ValidationError(
                _("Please give a phone number in digits, for example +1 416 555 0100.")
            )
        return phone


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, deactivate this account"),
        help_text=_(
            "They are logged out everywhere at once and can't log in until an admin "
            "reactivates the account. Nothing they recorded is deleted."
        ),
        error_messages={"required": _("Please tick the box to confirm.")},
    )


class LegalHoldForm(forms.Form):
    hold = forms.ChoiceField(choices=[("set", "Place a hold"), ("clear", "Lift the hold")])
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        help_text="For example a court order or a complaint. Seen by clinic admins only.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hold") == "set" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Please say why the record is on hold.")
        return data


class SetPasswordForm(forms.Form):
    display_name = forms.CharField(
        label="What you'd like to be called", max_length=80, required=False
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. A short sentence you'll remember works well.",
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, person_role: str = Role.CLIENT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if person_role != Role.CLIENT:
            self.fields["display_name"].label = "How your clients will address you"
            self.fields["display_name"].help_text = "For example Maya, or Dr. Chen."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords are different. Please type them again.")
        return data
