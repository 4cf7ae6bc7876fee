"""The demo clinic's planned absence: therapist@demo.example away for ten days starting in
three weeks, therapist2@demo.example covering. The first notice (four weeks ahead) is already
due: the clients see the absence on their home page at once, and the demo's worker emails them
at its first scan, after which the absence page lists who was told."""

from __future__ import annotations

from datetime import datetime, timedelta

from alliance.absences.selectors import clinic_today
from alliance.absences.services import AbsenceInput, absence_create
from alliance.people.models import Clinic, Role, User

AWAY = "therapist@demo.example"
COVER = "therapist2@demo.example"


def seed(*, clinic: Clinic, now: datetime) -> None:
    people = {
        u.email: u
        for u in User.objects.filter(clinic=clinic, role=Role.THERAPIST, email__in=[AWAY, COVER])
    }
    if len(people) < 2:
        return
    starts_on = clinic_today(clinic, now) + timedelta(days=21)
    absence_create(
        therapist=people[AWAY],
        data=AbsenceInput(
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=9),
            cover=people[COVER],
            cover_contact="Harbour front desk, 416-555-0100 ext. 2 (weekdays 9 to 5)",
            message_to_clients=(
                "I'm taking a short break and will be back right after. Our work together "
                "matters to me, and it will be here when I return. If things feel heavy while "
                "I'm away, please reach out to my colleague: that's what they're there for."
            ),
        ),
        now=now,
    )
