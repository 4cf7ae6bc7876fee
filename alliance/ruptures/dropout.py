"""The dropout-risk rule (``alliance.core.dropout``) on the clinic's records, and its alert.

Evaluated after a session is marked missed or cancelled by the client
(``people.services.session_set_status``), after every check-in (``checkins.services``), and for
every active episode in the nightly recompute (``dropout_scan``). One dropout-risk alert per
episode while it is active: a later evaluation updates its reasons (and raises its priority if
the level went up) instead of opening another. After the therapist closes one, the rule opens
no new alert at the same or a lower level for ``DropoutSettings.reopen_days``.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import about_episode, audit_record
from alliance.checkins.models import CheckIn
from alliance.core.dropout import (
    CANCELLED_CLIENT,
    LEVEL_HIGH,
    MISSED,
    DropoutRisk,
    DropoutSettings,
    RuptureFact,
    SessionFact,
    assess,
)
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Session
from alliance.ruptures.models import (
    ACTIVE_STATES,
    Alert,
    AlertCategory,
    AlertEvent,
    RepairRecord,
    Severity,
)

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "dropout:"


def dropout_settings_for(clinic: Clinic) -> DropoutSettings:
    return DropoutSettings.from_mapping(clinic.dropout_settings or {})


@dataclass
class _Facts:
    started_at: datetime
    sessions: list[SessionFact] = field(default_factory=list)
    alliance: list[float] = field(default_factory=list)
    ruptures: list[RuptureFact] = field(default_factory=list)


def _facts(
    episodes: Sequence[tuple[uuid.UUID, Any]], now: datetime, settings: DropoutSettings
) -> dict[uuid.UUID, _Facts]:
    """What the rule needs for each ``(episode id, started_on)``, in three queries."""
    ids = [eid for eid, _ in episodes]
    facts = {
        eid: _Facts(started_at=datetime.combine(started, time.min, tzinfo=UTC))
        for eid, started in episodes
    }
    window = now - timedelta(weeks=settings.missed_weeks)
    for eid, at, status, changed in (
        Session.objects.filter(
            episode_id__in=ids,
            status__in=[MISSED, CANCELLED_CLIENT],
            scheduled_at__gte=window,
            # A late cancellation is known from when it is recorded, before the session.
            scheduled_at__lte=now + timedelta(hours=settings.late_cancel_hours),
        )
        .order_by()
        .values_list("episode_id", "scheduled_at", "status", "status_changed_at")
    ):
        facts[eid].sessions.append(SessionFact(at, status, changed))
    for eid, score in (
        CheckIn.objects.filter(episode_id__in=ids, submitted_at__lte=now)
        .order_by("episode_id", "session__number")
        .values_list("episode_id", "alliance")
    ):
        facts[eid].alliance.append(score)
    latest_type = (
        RepairRecord.objects.filter(alert=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("rupture_type")[:1]
    )
    for eid, raised, kind in (
        Alert.objects.filter(
            episode_id__in=ids,
            category=AlertCategory.RUPTURE,
            state__in=ACTIVE_STATES,
            created_at__gte=now - timedelta(days=settings.rupture_days),
            created_at__lte=now,
        )
        .annotate(kind=Subquery(latest_type))
        .order_by()
        .values_list("episode_id", "created_at", "kind")
    ):
        facts[eid].ruptures.append(RuptureFact(raised, kind or ""))
    return facts


def _signals(risk: DropoutRisk) -> list[dict[str, Any]]:
    """The alert's stored signals: the overall finding first, then each reason.

    The app words them (``alliance.ruptures.wording``); each keeps the rule's numbers as its
    summary, behind a ``<details>`` on the alert page.
    """
    s = risk.settings
    parts = " + ".join(f"{r.kind.replace('_', ' ')} {r.points:g}" for r in risk.reasons)
    overall = {
        "kind": "dropout_risk",
        "severity": _severity(risk),
        "summary": (
            f"Dropout-risk score {risk.score:g} ({parts}); alert at {s.alert_at:g}, "
            f"high at {s.high_at:g}. A rule of ours, not validated on real data."
        ),
        # The numbers of the summary, so that it can be said in the reader's language.
        "detail": {
            "score": risk.score,
            "level": risk.level,
            "alert_at": s.alert_at,
            "high_at": s.high_at,
            "parts": [[r.kind, r.points] for r in risk.reasons],
        },
    }
    reasons = [
        {
            "kind": f"dropout_{r.kind}",
            "severity": 1,
            "summary": f"{r.kind.replace('_', ' ').capitalize()}: {r.points:g} points "
            f"({', '.join(f'{k} {v}' for k, v in r.detail.items())}).",
            "detail": {**r.detail, "points": r.points},
        }
        for r in risk.reasons
    ]
    return [overall, *reasons]


def _severity(risk: DropoutRisk) -> int:
    return int(Severity.HIGH if risk.level == LEVEL_HIGH else Severity.MEDIUM)


def _upsert(
    episode: CareEpisode, risk: DropoutRisk, held: list[Alert], now: datetime
) -> tuple[Alert | None, bool]:
    """Open the episode's dropout-risk alert, or bring the active one up to date.

    ``held`` are the episode's dropout-risk alerts, oldest first (locked by the caller).
    Returns the alert (None when none is raised) and whether it was opened now.
    """
    if not risk.raised:
        return None, False
    signals = _signals(risk)
    severity = _severity(risk)
    summary = signals[0]["summary"]
    latest = held[-1] if held else None
    if latest is not None and latest.is_active:
        if latest.signals == signals:
            return latest, False
        rose = severity > latest.severity
        latest.signals, latest.summary = signals, summary
        latest.severity = max(latest.severity, severity)
        latest.save(update_fields=["signals", "summary", "severity"])
        if rose:
            AlertEvent.objects.create(alert=latest, action=AlertEvent.Action.SIGNAL_ADDED, at=now)
        audit_record(
            actor=None,
            entry=about_episode(
                episode, AuditAction.UPDATE, RecordType.ALERT, latest.id, "dropout_reasons"
            ),
        )
        return latest, False
    if latest is not None:
        ended = latest.closed_at or latest.resolved_at or latest.created_at
        quiet = timedelta(days=risk.settings.reopen_days)
        if now - ended < quiet and severity <= latest.severity:
            return None, False  # the therapist has just looked at this; don't raise it again
    key = f"{SOURCE_PREFIX}{episode.id}" + (f"#{len(held) + 1}" if held else "")
    alert = Alert.objects.create(
        episode=episode,
        category=AlertCategory.DROPOUT_RISK,
        source_key=key,
        severity=severity,
        summary=summary,
        signals=signals,
        created_at=now,
    )
    audit_record(
        actor=None,
        entry=about_episode(episode, AuditAction.CREATE, RecordType.ALERT, alert.id),
    )
    return alert, True


def _held(episode_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Alert]]:
    held: dict[uuid.UUID, list[Alert]] = defaultdict(list)
    for alert in (
        Alert.objects.select_for_update()
        .filter(episode_id__in=list(episode_ids), category=AlertCategory.DROPOUT_RISK)
        .order_by("created_at")
    ):
        held[alert.episode_id].append(alert)
    return held


def dropout_check(*, episode: CareEpisode, now: datetime | None = None) -> Alert | None:
    """Evaluate the rule for one episode now; returns its dropout-risk alert when raised."""
    now = now or timezone.now()
    if episode.status != EpisodeStatus.ACTIVE:
        return None
    settings = dropout_settings_for(episode.clinic)
    with transaction.atomic():
        facts = _facts([(episode.id, episode.started_on)], now, settings)[episode.id]
        risk = _assess(facts, now, settings)
        alert, _created = _upsert(episode, risk, _held([episode.id])[episode.id], now)
    return alert


def dropout_check_quietly(*, episode: CareEpisode, now: datetime | None = None) -> None:
    """``dropout_check`` after another write (a check-in, a session's status) that is already
    done: a failure is logged loudly and must not undo that write or show an error page."""
    try:
        with transaction.atomic():
            dropout_check(episode=episode, now=now)
    except Exception:
        logger.exception("Could not evaluate dropout risk for episode %s", episode.id)


def _assess(facts: _Facts, now: datetime, settings: DropoutSettings) -> DropoutRisk:
    return assess(
        sessions=facts.sessions,
        alliance=facts.alliance,
        ruptures=facts.ruptures,
        started_at=facts.started_at,
        now=now,
        settings=settings,
    )


@dataclass(frozen=True)
class DropoutScanReport:
    episodes: int
    raised: int
    opened: int


def dropout_scan(
    *, clinic: Clinic | None = None, now: datetime | None = None, batch: int = 500
) -> DropoutScanReport:
    """The nightly pass: evaluate every active episode (of one clinic, or all), in batches."""
    now = now or timezone.now()
    episodes = CareEpisode.objects.filter(status=EpisodeStatus.ACTIVE).select_related("clinic")
    if clinic is not None:
        episodes = episodes.filter(clinic=clinic)
    rows = list(episodes.order_by("id"))
    settings: dict[Any, DropoutSettings] = {}
    raised = opened = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        for episode in chunk:
            if episode.clinic_id not in settings:
                settings[episode.clinic_id] = dropout_settings_for(episode.clinic)
        with transaction.atomic():
            # The loosest windows of the clinics in the chunk; assess applies each clinic's own.
            widest = DropoutSettings(
                missed_weeks=max(settings[e.clinic_id].missed_weeks for e in chunk),
                rupture_days=max(settings[e.clinic_id].rupture_days for e in chunk),
                late_cancel_hours=max(settings[e.clinic_id].late_cancel_hours for e in chunk),
            )
            facts = _facts([(e.id, e.started_on) for e in chunk], now, widest)
            held = _held(e.id for e in chunk)
            for episode in chunk:
                risk = _assess(facts[episode.id], now, settings[episode.clinic_id])
                if not risk.raised:
                    continue
                raised += 1
                _alert, created = _upsert(episode, risk, held[episode.id], now)
                opened += created
    return DropoutScanReport(episodes=len(rows), raised=raised, opened=opened)
