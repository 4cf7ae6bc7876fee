"""The demo clinic's reaching out: Dr. Maya Chen's page and the clinic's are open, and two
people (made up, like everyone in the demo) have written, one to each, through the real service.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from alliance.people.models import Clinic, Role, User
from alliance.reachout.services import page_save, request_submit

THERAPIST_EMAIL = "therapist@demo.example"
THERAPIST_SLUG = "maya-chen"
CLINIC_SLUG = "harbourview"
WELCOME = (
    "I work with adults who feel things intensely: relationships that swing from close to "
    "painful, fear of being left, feeling like too much for people. Many of the people I see "
    "live with Borderline Personality Disorder or some of its traits; you don't need a "
    "diagnosis to write.\n\n"
    "A first conversation is just that: we talk for twenty minutes about what brings you, and "
    "you decide whether it feels right. Ruptures happen in therapy, and we work through them "
    "together."
)


def seed(*, clinic: Clinic, now: datetime) -> None:
    therapist = User.objects.filter(email=THERAPIST_EMAIL, clinic=clinic).first()
    admin = User.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN).order_by("email").first()
    if therapist is None or admin is None:
        return
    mine = page_save(
        actor=therapist,
        is_open=True,
        slug=THERAPIST_SLUG,
        display_name=therapist.full_name,
        welcome=WELCOME,
        now=now - timedelta(days=30),
    )
    clinic_page = page_save(
        actor=admin,
        is_open=True,
        slug=CLINIC_SLUG,
        display_name=clinic.name,
        welcome="We offer individual therapy and DBT skills groups for adults. Write to us "
        "and someone from our intake team will answer.",
        now=now - timedelta(days=30),
    )
    request_submit(
        page=mine,
        form_token=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-reach-out-1:{clinic.pk}"),
        name="Robin Alvarez",
        email="robin.alvarez@example.org",
        message="I read what you wrote about ruptures and it made me want to try again. My last "
        "therapist stopped seeing me after I got angry in a session, and I've been scared to "
        "start over. Do you have any openings in the evenings?",
        now=now - timedelta(hours=20),
    )
    request_submit(
        page=clinic_page,
        form_token=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-reach-out-2:{clinic.pk}"),
        name="Sam K.",
        email="sam.k@example.org",
        phone="+1 416 555 0147",
        message="My partner thinks a DBT skills group could help me, and I'd like to know more. "
        "Phone calls are easier for me than email.",
        now=now - timedelta(hours=3),
    )
