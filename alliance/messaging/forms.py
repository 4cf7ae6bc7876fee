from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.messaging.models import MessagePreferences
from alliance.messaging.timing import in_quiet_hours

CLIENT_FIELDS = [
    "email",
    "checkin_reminders",
    "questionnaire_reminders",
    "diary_reminders",
    "diary_time",
    "second_nudge",
    "quiet_start",
    "quiet_end",
]
THERAPIST_FIELDS = ["email", "risk_email", "rupture_notices", "digest_time"]

LABELS = {
    "email": _("Send me emails"),
    "checkin_reminders": _("Remind me when a check-in opens after a session"),
    "questionnaire_reminders": _("Remind me when a questionnaire is waiting"),
    "diary_reminders": _("Remind me to fill in my diary card every day"),
    "diary_time": _("At what time"),
    "second_nudge": _("If I haven't answered a check-in after a day, remind me once more"),
    "quiet_start": _("Quiet hours start"),
    "quiet_end": _("Quiet hours end"),
    "risk_email": _("Email me at once when a client's answer about safety needs follow-up"),
    "rupture_notices": _("New high-priority alerts"),
    "digest_time": _("Daily digest at"),
}
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PreferencesForm(forms.ModelForm):  # type: ignore[type-arg]
    pause_days = forms.TypedChoiceField(
        label=_("Pause all reminders"),
        required=False,
        coerce=int,
        choices=[
            (0, _("Don't pause")),
            (1, _("For a day")),
            (3, _("For 3 days")),
            (7, _("For a week")),
            (14, _("For two weeks")),
        ],
    )

    class Meta:
        model = MessagePreferences
        fields = sorted(set(CLIENT_FIELDS) | set(THERAPIST_FIELDS))
        widgets = {"diary_time": TIME, "quiet_start": TIME, "quiet_end": TIME, "digest_time": TIME}

    def __init__(self, *args: Any, for_client: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = CLIENT_FIELDS if for_client else THERAPIST_FIELDS
        for name in list(self.fields):
            if name not in keep and name != "pause_days":
                del self.fields[name]
        if not for_client:
            del self.fields["pause_days"]
        for name, label in LABELS.items():
            if name in self.fields:
                self.fields[name].label = label

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if start is not None and end is not None and start == end:
            self.add_error(
                "quiet_end", _("Quiet hours need to end at another time than they start.")
            )
        diary = data.get("diary_time")
        if data.get("diary_reminders") and diary and start and end and start != end:
            # Compare wall-clock times only: the same rule holds in any time zone.
            utc = ZoneInfo("UTC")
            moment = datetime.combine(date(2026, 1, 5), diary, tzinfo=utc)
            if in_quiet_hours(moment, utc, start, end):
                self.add_error(
                    "diary_time",
                    _("That time is inside your quiet hours, so the reminder could never come."),
                )
        return data
