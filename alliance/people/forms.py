from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.people.models import Region, Role, Session, SessionStatus
from alliance.people.recurrence import (
    EARLIER,
    LATER,
    MAX_SERIES,
    TimeDoesNotExist,
    TimeIsAmbiguous,
    at_local,
    day_problem,
    is_ambiguous,
    series_dates,
)

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
        label=gettext_lazy("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": gettext_lazy(
            "That email and password don't match an account. Please try again."
        ),
        "inactive": gettext_lazy("This account is no longer active. Please contact your clinic."),
    }


class ClientAddForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Client's name"), max_length=200)
    display_name = forms.CharField(
        label=gettext_lazy("What they like to be called"),
        max_length=80,
        required=False,
        help_text=gettext_lazy(
            "Used on their pages and your caseload, e.g. Jo. Leave it empty to use the "
            "whole name; they can change it when they set their password."
        ),
    )
    email = forms.EmailField(label=gettext_lazy("Client's email"), max_length=254)
    timezone = forms.ChoiceField(
        label=gettext_lazy("Client's time zone"),
        choices=[(z, z.replace("_", " ")) for z in COMMON_ZONES],
    )
    started_on = forms.DateField(
        label=gettext_lazy("Care started on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "Today unless you already saw them: sessions can be recorded from this date on."
        ),
    )


class StaffAddForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    display_name = forms.CharField(
        label=gettext_lazy("How clients address them"),
        max_length=80,
        required=False,
        help_text=gettext_lazy(
            "For example Maya, or Dr. Chen. Clients read it on every page (“Send to "
            "Maya”). Leave it empty to use the whole name; they can change it themselves.",
        ),
    )
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[
            (Role.THERAPIST, "Therapist"),
            (Role.CLINIC_ADMIN, "Clinic admin"),
            (Role.SUPERVISOR, "Supervisor"),
        ],
    )


Day = date  # the forms below have a field called "date"


def _day(value: date) -> str:
    return dateformat.format(value, "D j M Y")


class _WallClockForm(forms.Form):
    """A date and a local time in the therapist's zone, said plainly around clock changes.

    ``which`` is asked only when a time happens twice (the clocks go back over it); a time the
    clocks jump over is refused. ``datetime.replace(tzinfo=...)`` would silently pick one.
    """

    date = forms.DateField(
        label=gettext_lazy("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=gettext_lazy("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    which = forms.ChoiceField(
        label=gettext_lazy("That time happens twice: which one do you mean?"),
        required=False,
        choices=[
            ("first", gettext_lazy("The first (before the clocks go back)")),
            ("second", gettext_lazy("The second (after the clocks go back)")),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, zone: zoneinfo.ZoneInfo, started_on: Day, today: Day, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.started_on = started_on
        self.today = today
        self.asks_which = False
        # Times that happened twice, with the one chosen: the confirmation names them.
        self.chosen_twice: list[datetime] = []

    def _need_date_and_time(self, data: dict[str, Any]) -> bool:
        missing = False
        if data.get("date") is None and "date" not in self.errors:
            self.add_error("date", _("Please give the session's date."))
            missing = True
        if data.get("time") is None and "time" not in self.errors:
            self.add_error("time", _("Please give the session's time."))
            missing = True
        return not missing and not self.errors

    def _check_day(self, field: str, day: Day) -> bool:
        problem = day_problem(day, started_on=self.started_on, today=self.today)
        if problem:
            self.add_error(field, problem)
        return problem is None

    def _instants(self, walls: list[datetime]) -> list[datetime] | None:
        """Each wall-clock time as an instant, or None with the form error that says why."""
        which = {"first": EARLIER, "second": LATER}.get(self.cleaned_data.get("which") or "")
        instants: list[datetime] = []
        for wall in walls:
            try:
                instant = at_local(wall, self.zone, fold=which)
            except TimeDoesNotExist:
                self.add_error(
                    "time",
                    _(
                        "%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward "
                        "that night. Please choose another time, for example an hour later."
                    )
                    % {"time": f"{wall:%H:%M}", "day": _day(wall.date()), "zone": self.zone.key},
                )
                return None
            except TimeIsAmbiguous as twice:
                self._ask_which(twice)
                return None
            if is_ambiguous(wall, self.zone):
                self._name_choices(TimeIsAmbiguous(wall, self.zone))
                self.chosen_twice.append(instant)
            instants.append(instant)
        return instants

    def _name_choices(self, twice: TimeIsAmbiguous) -> None:
        self.asks_which = True
        at = f"{twice.wall:%H:%M}"
        field = self.fields["which"]
        field.choices = [  # type: ignore[attr-defined]
            (
                "first",
                _("%(time)s %(zone)s, the first one (before the clocks go back)")
                % {"time": at, "zone": twice.earlier.tzname()},
            ),
            (
                "second",
                _("%(time)s %(zone)s, the second one (after the clocks go back)")
                % {"time": at, "zone": twice.later.tzname()},
            ),
        ]

    def _ask_which(self, twice: TimeIsAmbiguous) -> None:
        self._name_choices(twice)
        self.add_error(
            "which",
            _(
                "On %(day)s, %(time)s happens twice in %(zone)s, because the clocks go back "
                "that night. Please choose which one you mean."
            )
            % {
                "day": _day(twice.wall.date()),
                "time": f"{twice.wall:%H:%M}",
                "zone": twice.zone.key,
            },
        )


REPEAT_CHOICES = [
    ("", gettext_lazy("Only this session")),
    ("1", gettext_lazy("Every week")),
    ("2", gettext_lazy("Every two weeks")),
]


class SessionScheduleForm(_WallClockForm):
    """One session, or a weekly or fortnightly series at the same local time."""

    repeat = forms.ChoiceField(label=gettext_lazy("Repeat"), choices=REPEAT_CHOICES, required=False)
    until = forms.DateField(
        label=gettext_lazy("Last date of the series"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    count = forms.IntegerField(
        label=gettext_lazy("Or the number of sessions"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Up to 52 at a time."),
    )
    attended = forms.BooleanField(
        label=gettext_lazy(
            "It has already happened: record it as attended (the client's check-in opens now)"
        ),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.times: list[datetime] = []
        self.every_weeks = int(data.get("repeat") or 0)
        if not self._need_date_and_time(data) or not self._check_day("date", data["date"]):
            return data
        days = self._series_days(data)
        if days is None:
            return data
        walls = [datetime.combine(day, data["time"]) for day in days]
        self.times = self._instants(walls) or []
        return data

    def _series_days(self, data: dict[str, Any]) -> list[date] | None:
        first, until, count = data["date"], data.get("until"), data.get("count")
        if not self.every_weeks:
            if until is not None or count is not None:
                self.add_error(
                    "repeat",
                    _(
                        "Please choose how often the series repeats, or leave the last date "
                        "and the number of sessions empty."
                    ),
                )
                return None
            return [first]
        if data.get("attended"):
            self.add_error(
                "attended",
                _(
                    "A series is booked ahead. Record the session that already happened on "
                    "its own, then book the series from the next date."
                ),
            )
            return None
        if until is None and count is None:
            self.add_error(
                "until",
                _("Please say when the series ends: a last date, or a number of sessions."),
            )
            return None
        if until is not None and count is not None:
            self.add_error(
                "count", _("Please give either a last date or a number of sessions, not both.")
            )
            return None
        if until is not None and until < first:
            self.add_error("until", _("The last date is before the first session."))
            return None
        if count is not None and count > MAX_SERIES:
            self.add_error("count", _too_many())
            return None
        days = series_dates(first, every_weeks=self.every_weeks, count=count, until=until)
        if len(days) > MAX_SERIES:
            self.add_error("until", _too_many())
            return None
        if not self._check_day("until" if until is not None else "count", days[-1]):
            return None
        return days


def _too_many() -> str:
    return _(
        "At most %(n)s sessions can be booked at once (a year of weekly sessions). Please "
        "choose an earlier last date or fewer sessions; you can book more later."
    ) % {"n": MAX_SERIES}


SCOPE_CHOICES = [
    ("one", gettext_lazy("Only this session")),
    ("following", gettext_lazy("This session and the following ones in the series")),
]


class SessionEditForm(_WallClockForm):
    """Move one upcoming session, or shift it and the rest of its series by the same amount."""

    scope = forms.ChoiceField(
        label=gettext_lazy("Which sessions"),
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        initial="one",
    )
    action = forms.ChoiceField(
        choices=[("move", "move"), ("cancel", "cancel")], required=False, initial="move"
    )

    def __init__(
        self, *args: Any, session: Session, following: list[Session], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.following = following
        self.moves: list[tuple[Session, datetime]] = []
        if not self.is_bound:
            local = session.scheduled_at.astimezone(self.zone)
            self.initial.update({"date": local.date(), "time": local.time().replace(second=0)})

    def chosen(self) -> list[Session]:
        """The sessions the change is about: this one, or it and the rest of its series."""
        if self.cleaned_data.get("scope") == "following":
            return self.following
        return [self.session]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "cancel":
            return data
        if not self._need_date_and_time(data) or not self._check_day("date", data["date"]):
            return data
        old = self.session.scheduled_at.astimezone(self.zone).replace(tzinfo=None, fold=0)
        shift = datetime.combine(data["date"], data["time"]) - old
        sessions = self.chosen()
        walls = [
            s.scheduled_at.astimezone(self.zone).replace(tzinfo=None, fold=0) + shift
            for s in sessions
        ]
        if not all(self._check_day("date", wall.date()) for wall in walls):
            return data
        instants = self._instants(walls)
        if instants is not None:
            self.moves = list(zip(sessions, instants, strict=True))
        return data


class SessionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=SessionStatus.choices)
    # Where the person pressed the button: the caseload's "Today and yesterday" block or the
    # client's page. A name, not a URL, so it cannot send anyone elsewhere.
    return_to = forms.ChoiceField(
        choices=[("client", "client"), ("caseload", "caseload")], required=False
    )


class EpisodeEndForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, end this course of therapy today"),
        help_text=gettext_lazy(
            "Open alerts close as 'care episode ended'. The record is kept, not deleted."
        ),
    )


PHONE = re.compile(r"^\+?[0-9 ().-]{3,30}( ?(ext\.?|x) ?[0-9]{1,6})?$", re.IGNORECASE)


def clean_phone(value: object) -> str:
    """A phone number as typed, its spaces tidied; ``ValidationError`` if it isn't one."""
    phone = " ".join(str(value).split())
    if phone and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        raise forms.ValidationError(
            _("Please give a phone number in digits, for example +1 416 555 0100.")
        )
    return phone


class ClinicSettingsForm(forms.Form):
    region = forms.ChoiceField(
        label=gettext_lazy("Where your clients live"),
        choices=Region.choices,
        help_text=gettext_lazy("Decides which crisis lines the help page shows."),
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Clinic phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("For example +1 416 555 0100, or 416-555-0100 ext. 12."),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Clinic email"), max_length=254, required=False
    )
    contact_hours = forms.CharField(
        label=gettext_lazy("When the clinic answers"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: Monday to Friday, 9 to 5."),
    )

    def clean_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["contact_phone"])


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, deactivate this account"),
        help_text=gettext_lazy(
            "They are logged out everywhere at once and can't log in until an admin "
            "reactivates the account. Nothing they recorded is deleted."
        ),
        error_messages={"required": gettext_lazy("Please tick the box to confirm.")},
    )


class LegalHoldForm(forms.Form):
    hold = forms.ChoiceField(choices=[("set", "Place a hold"), ("clear", "Lift the hold")])
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        required=False,
        help_text=gettext_lazy(
            "For example a court order or a complaint. Seen by clinic admins only."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hold") == "set" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please say why the record is on hold."))
        return data


class SetPasswordForm(forms.Form):
    display_name = forms.CharField(
        label=gettext_lazy("What you'd like to be called"), max_length=80, required=False
    )
    password1 = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 10 characters. A short sentence you'll remember works well."
        ),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Type it again"),
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
            self.add_error(
                "password2", _("The two passwords are different. Please type them again.")
            )
        return data
