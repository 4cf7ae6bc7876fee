"""The therapist rates a session; the two views are compared (``alliance.core.discrepancy``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import formtoken
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import about_episode, audit_record
from alliance.core.discrepancy import (
    THERAPIST_RATING,
    detect_discrepancies,
    discrepancy_threshold,
)
from alliance.core.instruments import score, validate_answers
from alliance.people.models import CareEpisode, EpisodeStatus, Role, Session, SessionStatus, User
from alliance.ratings.models import TherapistRating
from alliance.ratings.selectors import rated_sessions
from alliance.ruptures.models import Alert, AlertCategory, Severity
from alliance.wording import in_language


class RatingError(Exception):
    """A rating that cannot be saved; ``errors`` says which answer needs another look."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class RatingResult:
    rating: TherapistRating
    created: bool
    alerts: list[Alert] = field(default_factory=list)


def rating_submit(
    *,
    session: Session,
    therapist: User,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID,
    now: datetime | None = None,
) -> RatingResult:
    """Save the therapist's rating of an attended session, then compare the two views.

    Idempotent: the same form sent twice saves once. A session is rated once; a second,
    different rating is refused (the first view is the one that counts, as for the client).
    """
    now = now or timezone.now()
    token = formtoken.parse(form_token)
    if token is None:
        raise RatingError(formtoken.MISSING)
    if therapist.role != Role.THERAPIST or session.episode.therapist_id != therapist.id:
        raise RatingError(_("Only the client's therapist can rate this session."))
    replay = TherapistRating.objects.filter(form_token=token).first()
    if replay is not None:
        if replay.session_id != session.id:
            raise RatingError(_("This form was already used for another session."))
        return RatingResult(rating=replay, created=False)
    if TherapistRating.objects.filter(session_id=session.id).exists():
        raise RatingError(_("You have already rated this session."))
    if session.episode.status != EpisodeStatus.ACTIVE:
        raise RatingError(_("This client's care has ended; the session can no longer be rated."))
    if session.status != SessionStatus.ATTENDED:
        raise RatingError(_("Only a session marked attended can be rated."))
    cleaned, errors = validate_answers(THERAPIST_RATING, answers)
    if errors:
        shown = {key: in_language(message) for key, message in errors.items()}
        raise RatingError(_("Please rate all three."), shown)
    result = score(THERAPIST_RATING, cleaned)
    if result.composite is None:  # cannot happen after validation; refuse rather than guess
        raise RatingError(_("Please rate all three."))
    try:
        with transaction.atomic():
            rating = TherapistRating.objects.create(
                session=session,
                episode=session.episode,
                therapist=therapist,
                bond=int(cleaned["bond"]),  # type: ignore[arg-type]
                tasks=int(cleaned["tasks"]),  # type: ignore[arg-type]
                goals=int(cleaned["goals"]),  # type: ignore[arg-type]
                alliance=result.composite,
                version=THERAPIST_RATING.version,
                submitted_at=now,
                form_token=token,
            )
            audit_record(
                actor=therapist,
                entry=about_episode(
                    session.episode, AuditAction.CREATE, RecordType.THERAPIST_RATING, rating.id
                ),
            )
            alerts = discrepancy_check(episode=session.episode, now=now)
    except IntegrityError:
        # A concurrent post of the same session won: report what is stored.
        existing = TherapistRating.objects.filter(form_token=token).first()
        if existing is not None:
            return RatingResult(rating=existing, created=False)
        raise RatingError(_("You have already rated this session.")) from None
    return RatingResult(rating=rating, created=True, alerts=alerts)


def discrepancy_check(*, episode: CareEpisode, now: datetime) -> list[Alert]:
    """Open (or add to) a discrepancy alert for every run the rule finds in the episode.

    Runs after each therapist rating and each client check-in: whichever of the two views comes
    second completes the pair. ``alert_raise`` is idempotent per run (keyed on the session where
    it began), so running again changes nothing; a run that grows adds its new session to the
    open alert.
    """
    from alliance.ruptures.services import alert_raise, settings_for

    sessions = rated_sessions(episode.id)
    if not sessions:
        return []
    # The clinic's own reliability and SD, when it set them for the rupture signals, make the
    # same reliable difference here (docs/signals.md, "Two views differ").
    signal_settings = settings_for(episode.clinic)
    threshold = discrepancy_threshold(
        sd=signal_settings.reference_sd, reliability=signal_settings.reliability
    )
    alerts = []
    for found in detect_discrepancies(sessions, threshold=threshold):
        alert, _created = alert_raise(
            episode=episode,
            category=AlertCategory.DISCREPANCY,
            severity=Severity.LOW,
            summary=found.summary,
            source_key=f"discrepancy:{found.start_key}",
            signals=[
                {
                    "kind": "discrepancy",
                    "severity": int(Severity.LOW),
                    "summary": found.summary,
                    "detail": found.detail,
                }
            ],
            now=now,
        )
        alerts.append(alert)
    return alerts
