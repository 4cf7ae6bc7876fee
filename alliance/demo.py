"""The demo clinic: synthetic people and history, written through the real services.

Check-ins go through ``checkin_submit`` and the therapist's work through the alert services,
in time order, so the demo's alerts are exactly what the product would have raised.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.checkins.models import CheckIn
from alliance.checkins.services import CheckinError, checkin_submit, followup_alert_for
from alliance.core import synthetic
from alliance.people.models import (
    CareEpisode,
    Clinic,
    EpisodeStatus,
    Role,
    Session,
    SessionStatus,
    User,
)
from alliance.people.services import episode_end, session_schedule, session_set_status
from alliance.ruptures.dropout import dropout_check
from alliance.ruptures.models import Alert, AlertState, CloseReason
from alliance.ruptures.services import (
    RepairInput,
    alert_acknowledge,
    alert_close,
    alert_record_repair,
)

DEMO_CLINIC_MARKER = "demo@alliance"
# The role beside each login, as `alliance demo` prints it.
DEMO_LOGINS = (
    ("admin@demo.example", gettext_lazy("clinic admin")),
    ("therapist@demo.example", gettext_lazy("therapist (client@demo.example is theirs)")),
    ("therapist2@demo.example", gettext_lazy("therapist (client2@demo.example is theirs)")),
    ("client@demo.example", gettext_lazy("client")),
    ("client2@demo.example", gettext_lazy("client")),
    (
        "dropoutrisk@demo.example",
        gettext_lazy("client (a dropout-risk alert on their therapist's caseload)"),
    ),
)
ADMIN_EMAIL = "admin@demo.example"
WAITING_CLIENT_EMAIL = "client@demo.example"
# Staff accounts need a code from an authenticator app; in the demo they all share this secret
# (or ALLIANCE_DEMO_TOTP_SECRET), printed by `alliance demo` and documented in the README.
DEMO_TOTP_SECRET = "ALLIANCEDEMOTOTPSECRETKEY234567A"  # noqa: S105 -- a documented demo value


def demo_exists() -> bool:
    return User.objects.filter(email=ADMIN_EMAIL).exists()


def totp_key_hex(secret: str) -> str:
    """A base32 authenticator secret (as apps show it) as the hex key django-otp stores."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error:
        raise ValueError(
            gettext("%(secret)s is not a base32 secret (letters A-Z and digits 2-7).")
            % {"secret": repr(secret)}
        ) from None
    if not 10 <= len(raw) <= 40:
        raise ValueError(gettext("An authenticator secret needs 16 to 64 base32 characters."))
    return raw.hex()


def demo_enrol_two_factor(*, secret: str = DEMO_TOTP_SECRET) -> None:
    """Give every demo staff account a confirmed authenticator with this secret."""
    key = totp_key_hex(secret)
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        return
    staff = User.objects.filter(
        clinic_id=admin.clinic_id, role__in=[Role.THERAPIST, Role.CLINIC_ADMIN, Role.SUPERVISOR]
    )
    for user in staff:
        if not TOTPDevice.objects.filter(user=user, key=key, confirmed=True).exists():
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(user=user, name="Demo authenticator", key=key, confirmed=True)


def _repair_for(rng: random.Random, *, client_reported: bool) -> RepairInput:
    if client_reported:
        kind = rng.choice(["withdrawal", "confrontation", "both"])
    else:
        kind = rng.choice(["withdrawal", "unclear"])
    markers = {
        "withdrawal": ["minimal_response", "deferential"],
        "confrontation": ["complaint_therapist", "rejecting_intervention"],
        "both": ["avoidant_storytelling", "complaint_parameters"],
        "unclear": [],
    }[kind]
    strategies = rng.sample(
        [
            "invite_discussion",
            "acknowledge_contribution",
            "clarify",
            "validate_defense",
            "link_patterns",
        ],
        2,
    )
    return RepairInput(
        rupture_type=kind,
        markers=markers,
        strategies=sorted(strategies),
        notes="Talked about it at the start of the session; named my part in it.",
        next_session_plan="Check in about how last week felt before anything else.",
    )


def seed_outcomes(clinic: Clinic, now: datetime, rng: random.Random) -> None:
    """Questionnaire schedules, PHQ-9 and GAD-7 scores over time, one open risk alert."""
    from alliance.outcomes.demo import seed

    seed(clinic=clinic, now=now, rng=rng)


def seed_diary(clinic: Clinic, now: datetime, rng: random.Random) -> None:
    """Three weeks of diary cards with gaps, a target, and one diary risk answer."""
    from alliance.diary.demo import seed

    seed(clinic=clinic, now=now, rng=rng)


def seed_messages(clinic: Clinic, now: datetime) -> None:
    """The outbox: a sent, a queued and a failed message (alliance/messaging/demo.py)."""
    from alliance.messaging.demo import seed

    seed(clinic=clinic, now=now)


def seed_absence(clinic: Clinic, now: datetime) -> None:
    """A planned absence three weeks ahead with a cover (alliance/absences/demo.py)."""
    from alliance.absences.demo import seed

    seed(clinic=clinic, now=now)


def seed_safety_plan(clinic: Clinic, now: datetime) -> None:
    """The demo client's own safety plan, three versions and a review (safetyplan/demo.py)."""
    from alliance.safetyplan.demo import seed

    seed(clinic=clinic, now=now)


def seed_supervision(clinic: Clinic, password: str, now: datetime, rng: random.Random) -> None:
    """The supervisor and the therapists' own ratings (alliance/supervision/demo.py)."""
    from alliance.supervision.demo import seed

    seed(clinic=clinic, password=password, now=now, rng=rng)


def seed_reach_outs(clinic: Clinic, now: datetime) -> None:
    """Two open reach-out pages and two requests waiting (alliance/reachout/demo.py)."""
    from alliance.reachout.demo import seed

    seed(clinic=clinic, now=now)


def seed_demo(
    *,
    seed: int = 2026,
    password: str,
    now: datetime | None = None,
    weeks: int = 30,
    n_clients: int = 12,
    totp_secret: str = DEMO_TOTP_SECRET,
) -> None:
    """Create the demo clinic. Same seed and ``now``, same data (``demo_report`` tells of it)."""
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    synth = synthetic.generate_clinic(seed=seed, n_clients=n_clients, weeks=weeks, now=now)
    rng = random.Random(seed)
    with transaction.atomic():
        clinic = Clinic.objects.create(name=synth.name, timezone="America/Toronto")
        User.objects.create_user(
            ADMIN_EMAIL,
            password,
            full_name="Sam Okafor",
            display_name="Sam",
            role=Role.CLINIC_ADMIN,
            clinic=clinic,
        )
        therapists = {
            t.key: User.objects.create_user(
                t.email,
                password,
                full_name=t.name,
                display_name=t.display_name,
                role=Role.THERAPIST,
                clinic=clinic,
            )
            for t in synth.therapists
        }
        for c in synth.clients:
            _seed_client(c, therapists[c.therapist_key], clinic, password, now, rng)
        seed_outcomes(clinic, now, rng)
        seed_diary(clinic, now, rng)
        seed_messages(clinic, now)
        seed_reach_outs(clinic, now)
        seed_safety_plan(clinic, now)
        seed_dropout_risk(clinic, therapists["therapist1"], password, now)
        seed_waiting_checkin(clinic, now)
        seed_absence(clinic, now)
        seed_supervision(clinic, password, now, rng)
        # Therapists read check-ins before the next session; the last few days' are unread.
        CheckIn.objects.filter(
            episode__clinic=clinic,
            therapist_read_at__isnull=True,
            submitted_at__lt=now - timedelta(days=3),
        ).update(therapist_read_at=F("submitted_at") + timedelta(hours=20))
        demo_enrol_two_factor(secret=totp_secret)


# --- Dropout risk (alliance.core.dropout, docs/signals.md) ----------------------------------

DROPOUT_RISK_EMAIL = "dropoutrisk@demo.example"


def seed_dropout_risk(clinic: Clinic, therapist: User, password: str, now: datetime) -> CareEpisode:
    """Robin, nine weeks into therapy with therapist@demo.example, drifting away.

    Written through the real services in time order, so the alert is the one the product
    raises: a weakening alliance, a rupture the therapist recorded as confrontation that the
    client says is not resolved yet, a late cancellation and three missed sessions in the last
    eight weeks, in the first quarter of treatment (a high dropout-risk alert). The last
    check-in was four weeks ago and Robin has not signed in since, so the caseload also lists
    Robin under "Not heard from in a while".
    """
    client = User.objects.create_user(
        DROPOUT_RISK_EMAIL,
        password,
        full_name="Robin Marsh",
        display_name="Robin",
        role=Role.CLIENT,
        clinic=clinic,
        timezone="America/Toronto",
    )
    # Weekly, at the same hour as now: session k was 9 - k weeks ago (k = 0 .. 8).
    first = (now - timedelta(weeks=9, days=1)).replace(minute=0, second=0, microsecond=0)
    episode = CareEpisode.objects.create(
        clinic=clinic, client=client, therapist=therapist, started_on=first.date()
    )
    tension = {"tension": 3, "talked": 0, "resolved": 1}
    # (what happened, bond/tasks/goals or None, extra answers, comment)
    plan: list[tuple[str, tuple[int, int, int] | None, dict[str, int], str]] = [
        (SessionStatus.ATTENDED, (5, 5, 6), {}, "It helped to talk about my sister."),
        (SessionStatus.ATTENDED, (5, 5, 5), {}, ""),
        (SessionStatus.ATTENDED, (4, 4, 4), {}, ""),
        (SessionStatus.MISSED, None, {}, ""),
        (SessionStatus.ATTENDED, (4, 5, 4), tension, "It felt like you were on my mom's side."),
        (SessionStatus.ATTENDED, (3, 4, 3), {"followup_resolved": 0}, ""),
        (SessionStatus.CANCELLED_CLIENT, None, {}, ""),
        (SessionStatus.MISSED, None, {}, ""),
        (SessionStatus.MISSED, None, {}, ""),
    ]
    rng = random.Random(f"{DROPOUT_RISK_EMAIL}/{now.isoformat()}")
    for number, (status, items, extra, comment) in enumerate(plan, start=1):
        at = first + timedelta(weeks=number - 1)
        session = Session.objects.create(episode=episode, number=number, scheduled_at=at)
        ended = at + synthetic.SESSION_LENGTH
        # The cancellation came by phone three hours before the session.
        marked = at - timedelta(hours=3) if status == SessionStatus.CANCELLED_CLIENT else ended
        session = session_set_status(session=session, status=status, actor=therapist, now=marked)
        if items is None:
            continue
        bond, tasks, goals = items
        answers: dict[str, object] = {
            "bond": bond,
            "tasks": tasks,
            "goals": goals,
            "tension": 0,
            "comment": comment,
            **extra,
        }
        submitted = ended + timedelta(hours=1)
        result = checkin_submit(
            session=session, client=client, answers=answers, form_token=_token(rng), now=submitted
        )
        for alert in result.alerts:
            if alert.client_reported:
                alert_acknowledge(alert=alert, actor=therapist, now=submitted + timedelta(hours=20))
                alert_record_repair(
                    alert=alert,
                    actor=therapist,
                    now=submitted + timedelta(days=2),
                    repair=RepairInput(
                        rupture_type="confrontation",
                        markers=["complaint_therapist", "defending_self"],
                        strategies=["acknowledge_contribution", "invite_discussion"],
                        notes="Named how it may have sounded; Robin said little.",
                        next_session_plan="Ask how last session felt before anything else.",
                    ),
                )
    # The next one is booked for next week (the week after the last missed one is past).
    Session.objects.create(
        episode=episode, number=len(plan) + 1, scheduled_at=first + timedelta(weeks=len(plan) + 1)
    )
    # Robin has the clinic's questionnaire schedule like every client (and has answered none).
    from alliance.outcomes.demo import DEMO_SPEC
    from alliance.outcomes.services import schedule_set

    for instrument_id in ("phq9", "gad7"):
        schedule_set(episode=episode, instrument_id=instrument_id, spec=DEMO_SPEC, actor=None)
    # As the nightly recompute would: bring the alert up to date with today.
    dropout_check(episode=episode, now=now)
    return episode


def seed_waiting_checkin(clinic: Clinic, now: datetime) -> Session | None:
    """Leave client@demo.example a check-in to answer when the demo first starts.

    Whatever day the demo starts, their therapist recorded a session that ended a few minutes
    ago as attended, through the same service as the caseload's "Attended" button, so its
    check-in is open for the clinic's window (and asks about the open rupture too). Nothing is
    added when a generated session's check-in is already waiting.
    """
    episode = (
        CareEpisode.objects.select_related("therapist", "clinic")
        .filter(clinic=clinic, client__email=WAITING_CLIENT_EMAIL, status=EpisodeStatus.ACTIVE)
        .first()
    )
    if episode is None:
        return None
    sessions = list(episode.sessions.select_related("checkin"))
    if any(s.checkin_is_open(now) and not hasattr(s, "checkin") for s in sessions):
        return None
    start = now - synthetic.SESSION_LENGTH - timedelta(minutes=10)
    while any(abs(start - s.scheduled_at) < timedelta(hours=2) for s in sessions):
        start -= timedelta(hours=2)  # not on top of a generated session
    return session_schedule(
        episode=episode, scheduled_at=start, actor=episode.therapist, attended=True, now=now
    )


def _seed_client(
    c: synthetic.SynthClient,
    therapist: User,
    clinic: Clinic,
    password: str,
    now: datetime,
    rng: random.Random,
) -> None:
    client = User.objects.create_user(
        c.email,
        password,
        full_name=c.name,
        display_name=c.display_name,
        role=Role.CLIENT,
        clinic=clinic,
        timezone=c.timezone,
    )
    first = c.sessions[0].scheduled_at if c.sessions else now
    episode = CareEpisode.objects.create(
        clinic=clinic,
        client=client,
        therapist=therapist,
        started_on=first.astimezone(client.zone).date(),
    )
    repaired_by_session: dict[int, bool] = {}
    for s in c.sessions:
        session = Session.objects.create(
            episode=episode, number=s.number, scheduled_at=s.scheduled_at
        )
        if s.status == synthetic.SCHEDULED:
            continue
        ended = s.scheduled_at + synthetic.SESSION_LENGTH
        session.status = s.status
        session.status_changed_at = ended
        if s.status == synthetic.ATTENDED:
            session.checkin_opens_at = ended
            session.checkin_closes_at = ended + timedelta(hours=clinic.checkin_window_hours)
        session.save()
        repaired_by_session[s.number] = s.therapist_repaired
        submitted = synthetic.checkin_submitted_at(s)
        if s.checkin is None or submitted is None or submitted > now:
            continue
        answers = _answers(s.checkin, session, repaired_by_session)
        try:
            result = checkin_submit(
                session=session,
                client=client,
                answers=answers,
                form_token=_token(rng),
                now=submitted,
            )
        except CheckinError as error:  # a generator/product mismatch must not pass silently
            raise RuntimeError(f"demo check-in refused for {c.email}: {error.errors}") from error
        _therapist_work(result.alerts, therapist, s, submitted, now, rng)
    if c.dropped_out:
        # Care ends as it does in the product: two weeks after the last session, its open
        # alerts closed as "care ended" and its check-ins closed.
        last = max((s.scheduled_at for s in c.sessions), default=now)
        episode_end(episode=episode, actor=therapist, now=min(now, last + timedelta(days=14)))


def _answers(
    checkin: synthetic.SynthCheckin, session: Session, repaired: dict[int, bool]
) -> dict[str, object]:
    answers: dict[str, object] = {
        "bond": checkin.bond,
        "tasks": checkin.tasks,
        "goals": checkin.goals,
        "tension": checkin.tension,
        "comment": checkin.comment,
    }
    if checkin.tension:
        answers["talked"] = checkin.talked
        answers["resolved"] = checkin.resolved
    earlier = followup_alert_for(session)
    if earlier is not None:
        # The product asks about one earlier rupture still open (the one this names); the
        # generator only scripts the follow-up for ruptures it left unresolved, so fill in the
        # rest from its repair flag.
        followup = checkin.followup_resolved
        if followup is None:
            was_repaired = earlier.session is not None and repaired.get(earlier.session.number)
            followup = 2 if was_repaired else 0
        answers["followup_resolved"] = followup
    return answers


def _token(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _therapist_work(
    alerts: list[Alert],
    therapist: User,
    s: synthetic.SynthSession,
    submitted: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    """The therapist reads and repairs as the generator says.

    Work that would fall after ``now`` is not done, so the newest alerts are open or only
    acknowledged; score-based alerts from the last three weeks are acknowledged about half the
    time and older ones mostly repaired, so the demo shows every state of the loop.
    """
    for alert in alerts:
        ack_at = submitted + timedelta(hours=rng.uniform(4, 30))
        repair_at = ack_at + timedelta(days=rng.uniform(1, 5))
        if alert.client_reported:
            acknowledge, repair = s.therapist_repaired, s.therapist_repaired
        elif submitted < now - timedelta(weeks=3):
            acknowledge = repair = rng.random() < 0.7
            if not repair and repair_at <= now:
                alert_close(
                    alert=alert,
                    actor=therapist,
                    reason=CloseReason.NOT_A_RUPTURE,
                    note="Reviewed with the client: a hard week outside therapy.",
                    now=repair_at,
                )
                continue
        else:
            acknowledge, repair = rng.random() < 0.5, False
        if not acknowledge or ack_at > now or alert.state != AlertState.OPEN:
            continue
        alert_acknowledge(alert=alert, actor=therapist, now=ack_at)
        if repair and repair_at <= now:
            alert_record_repair(
                alert=alert,
                actor=therapist,
                now=repair_at,
                repair=_repair_for(rng, client_reported=alert.client_reported),
            )


def demo_report() -> str:
    """The short report `alliance demo` prints about the demo clinic, in the active language."""
    admin = User.objects.select_related("clinic").get(email=ADMIN_EMAIL)
    assert admin.clinic is not None
    return _report(admin.clinic)


def _report(clinic: Clinic) -> str:
    sessions = Counter(
        Session.objects.filter(episode__clinic=clinic).values_list("status", flat=True)
    )
    states = Counter(Alert.objects.filter(episode__clinic=clinic).values_list("state", flat=True))
    kinds: Counter[str] = Counter()
    for signals in Alert.objects.filter(episode__clinic=clinic).values_list("signals", flat=True):
        kinds.update(s["kind"] for s in signals)
    n_clients = User.objects.filter(clinic=clinic, role=Role.CLIENT).count()
    checkins = CheckIn.objects.filter(episode__clinic=clinic).count()
    # The states and kinds are the codes stored in the database, as a developer looks them up.
    return "\n".join(
        [
            gettext(
                "%(clinic)s: %(clients)s clients, %(sessions)s sessions (%(attended)s attended, "
                "%(missed)s missed), %(checkins)s check-ins."
            )
            % {
                "clinic": clinic.name,
                "clients": n_clients,
                "sessions": sum(sessions.values()),
                "attended": sessions.get(SessionStatus.ATTENDED, 0),
                "missed": sessions.get(SessionStatus.MISSED, 0),
                "checkins": checkins,
            },
            gettext("Alerts by state: %(counts)s") % {"counts": dict(sorted(states.items()))},
            gettext("Signals by kind: %(counts)s") % {"counts": dict(sorted(kinds.items()))},
        ]
    )
