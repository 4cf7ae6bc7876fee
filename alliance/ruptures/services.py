"""Rupture signals become alerts; the therapist's repair work moves them along.

State machine (every transition checks the current state and records who and when):

    open ──acknowledge──▶ acknowledged ──record repair──▶ repair recorded
      │                        │                               │
      └──────── client's next check-in says "resolved" ────────┴──▶ resolved
      └──────── therapist closes with a reason (any active state) ──▶ closed
"""

from __future__ import annotations

import json
import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import rawsql
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_episode, audit_record, audit_record_bulk
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkins_mark_read
from alliance.core import taxonomy
from alliance.core.signals import (
    CheckinPoint,
    Signal,
    SignalKind,
    SignalSettings,
    detect,
    detect_for_latest,
)
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Role, User
from alliance.ruptures.models import (
    ACTIVE_STATES,
    CLOSE_NEEDS_NOTE,
    DROPOUT_CLOSE_REASONS,
    RISK_CLOSE_REASONS,
    RUPTURE_CLOSE_REASONS,
    Alert,
    AlertCategory,
    AlertEvent,
    AlertState,
    CloseReason,
    FollowUpAction,
    FollowUpOutcome,
    RepairRecord,
    RiskFollowUp,
)


class AlertError(Exception):
    """A transition that is not allowed from the alert's current state, or bad input."""


def settings_for(clinic: Clinic) -> SignalSettings:
    return SignalSettings.from_mapping(clinic.signal_settings or {})


def _signal_json(signal: Signal) -> dict[str, Any]:
    return {
        "kind": str(signal.kind),
        "severity": int(signal.severity),
        "summary": signal.summary,
        "detail": dict(signal.detail),
    }


def episode_points(episode_id: uuid.UUID) -> list[CheckinPoint]:
    """Every check-in's numbers, which each new check-in's signals are worked out from."""
    # In SQL (alliance/rawsql.py, the nightly recomputation's query, tested against its ORM
    # twin): every check-in runs it over the whole history of its episode. The keys become
    # UUIDs again, as the ORM gives them, since alerts are matched on them.
    return [
        CheckinPoint(key=_as_uuid(sid), index=n, alliance=a, tension=t, resolved=r, talked=tk)
        for _, sid, n, a, t, r, tk, _ in rawsql.checkin_points([episode_id])
    ]


def _summary(signals: Sequence[dict[str, Any]]) -> str:
    return " ".join(s["summary"] for s in sorted(signals, key=lambda s: -s["severity"]))


def _merge(alert: Alert, new: Iterable[Signal]) -> bool:
    known = set(alert.kinds)
    added = [_signal_json(s) for s in new if str(s.kind) not in known]
    if not added:
        return False
    alert.signals = [*alert.signals, *added]
    alert.severity = max(s["severity"] for s in alert.signals)
    alert.client_reported = alert.client_reported or any(
        s["kind"] == SignalKind.CLIENT_REPORTED for s in added
    )
    alert.summary = _summary(alert.signals)
    return True


def alerts_upsert(
    *,
    episode: CareEpisode,
    signals: Sequence[Signal],
    now: datetime,
    checkin: CheckIn | None = None,
) -> list[Alert]:
    """Open an alert per session with signals, or add new kinds to the one already there.

    Never two alerts for the same episode and session (a database constraint too). A resolved
    or closed alert is not reopened by a recomputation that finds the same signals again.
    ``checkin``, when the caller has it, is one of those sessions' check-ins, not looked up
    again.
    """
    by_session: dict[Any, list[Signal]] = defaultdict(list)
    for signal in signals:
        by_session[signal.key].append(signal)
    if not by_session:
        return []
    existing = {
        a.session_id: a
        for a in Alert.objects.filter(episode=episode, session_id__in=list(by_session))
    }
    known = {checkin.session_id: checkin.id} if checkin is not None else {}
    unknown = [session_id for session_id in by_session if session_id not in known]
    checkin_ids = known | (
        dict(CheckIn.objects.filter(session_id__in=unknown).values_list("session_id", "id"))
        if unknown
        else {}
    )
    touched: list[Alert] = []
    for session_id, found in by_session.items():
        alert = existing.get(session_id)
        if alert is None:
            alert = Alert(
                episode=episode,
                session_id=session_id,
                checkin_id=checkin_ids.get(session_id),
                signals=[],
                severity=1,
                created_at=now,
            )
            _merge(alert, found)
            alert.save()
            audit_record(actor=None, entry=_alert_entry(alert, episode, AuditAction.CREATE))
            touched.append(alert)
        elif _merge(alert, found):
            alert.save(update_fields=["signals", "severity", "client_reported", "summary"])
            AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.SIGNAL_ADDED, at=now)
            audit_record(
                actor=None, entry=_alert_entry(alert, episode, AuditAction.UPDATE, "signal_added")
            )
            touched.append(alert)
    return touched


def _alert_entry(alert: Alert, episode: CareEpisode, action: str, detail: str = "") -> Entry:
    return about_episode(episode, action, RecordType.ALERT, alert.id, detail)


def alert_raise(
    *,
    episode: CareEpisode,
    category: str,
    severity: int,
    summary: str,
    source_key: str,
    signals: Sequence[dict[str, Any]] = (),
    now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Open a risk or not-on-track alert for one source (a questionnaire, a diary card).

    Idempotent per ``(episode, source_key)``: raising again with the same findings returns the
    alert already there (``created`` False), so a replayed or edited submission never opens a
    second one. An edit that adds findings joins the open alert (and says so in its history);
    if that alert was already resolved or closed, the new findings open a fresh alert, because
    a new risk answer must never go unseen. Either way it follows the rupture workflow.
    """
    if category not in (AlertCategory.RISK, AlertCategory.NOT_ON_TRACK, AlertCategory.DISCREPANCY):
        raise AlertError(_("Rupture alerts come from check-in signals, not from alert_raise."))
    if not source_key:
        raise AlertError(_("A risk or not-on-track alert needs the key of its source."))
    if severity not in (1, 2, 3):
        raise AlertError(f"Severity must be 1, 2 or 3, got {severity}.")
    now = now or timezone.now()
    found = list(signals) or [
        {"kind": category, "severity": severity, "summary": summary, "detail": {}}
    ]
    with transaction.atomic():
        existing = list(
            Alert.objects.select_for_update()
            .filter(episode=episode, source_key__startswith=source_key)
            .order_by("created_at")
        )
        mine = [a for a in existing if a.source_key.split("#")[0] == source_key]
        known = {s.get("summary") for a in mine for s in a.signals}
        new = [s for s in found if s.get("summary") not in known]
        latest = mine[-1] if mine else None
        if latest is not None and not new:
            return latest, False
        if latest is not None and latest.is_active:
            latest.signals = [*latest.signals, *new]
            latest.severity = max(latest.severity, severity)
            latest.summary = summary
            latest.save(update_fields=["signals", "severity", "summary"])
            AlertEvent.objects.create(alert=latest, action=AlertEvent.Action.SIGNAL_ADDED, at=now)
            audit_record(
                actor=None, entry=_alert_entry(latest, episode, AuditAction.UPDATE, "signal_added")
            )
            return latest, False
        key = source_key if latest is None else f"{source_key}#{len(mine) + 1}"
        alert = Alert.objects.create(
            episode=episode,
            source_key=key,
            category=category,
            severity=severity,
            summary=summary,
            signals=found,
            created_at=now,
        )
        audit_record(actor=None, entry=_alert_entry(alert, episode, AuditAction.CREATE))
    return alert, True


def signals_on_checkin(
    *, checkin: CheckIn, now: datetime | None = None, followup_alert_id: uuid.UUID | None = None
) -> list[Alert]:
    """Run after every new check-in: new signals become alerts, the follow-up closes loops.

    ``followup_alert_id`` is the earlier client-reported rupture the check-in's follow-up
    question named; its answer applies to that alert only. Without it (a script, the demo) it
    is the one the question would have named (``checkins.services.followup_alert_for``).
    """
    now = now or timezone.now()
    episode = checkin.episode
    points = episode_points(episode.id)
    found = detect_for_latest(points, settings_for(episode.clinic))
    alerts = alerts_upsert(episode=episode, signals=found, now=now, checkin=checkin)
    # The client's view may complete a pair with the therapist's rating of the same session
    # (alliance.core.discrepancy); its alert is the therapist's, never in the client's result.
    from alliance.ratings.services import discrepancy_check

    discrepancy_check(episode=episode, now=now)
    _apply_followup(
        checkin=checkin, raised_now=bool(found), now=now, followup_alert_id=followup_alert_id
    )
    return alerts


def _apply_followup(
    *, checkin: CheckIn, raised_now: bool, now: datetime, followup_alert_id: uuid.UUID | None
) -> None:
    # Rupture alerts of earlier sessions still open that this check-in may close, locked: the
    # client-reported one its follow-up question named, and score-based ones whose repair is
    # recorded when this check-in has no tension and raised nothing. Only those are read.
    closable: list[Q] = []
    if checkin.followup_resolved is not None:
        closable.append(
            Q(client_reported=True, id=followup_alert_id)
            if followup_alert_id is not None
            else Q(client_reported=True)  # named below, as the question would have
        )
    if checkin.tension == 0 and not raised_now:
        closable.append(Q(client_reported=False, state=AlertState.REPAIR_RECORDED))
    if not closable:
        return
    earlier = list(
        Alert.objects.select_for_update()
        .filter(
            reduce(operator.or_, closable),
            episode_id=checkin.episode_id,
            category=AlertCategory.RUPTURE,
            state__in=ACTIVE_STATES,
            session__number__lt=checkin.session.number,
        )
        .order_by("session__number")
    )
    if followup_alert_id is None and checkin.followup_resolved is not None:
        asked = sorted(
            (a for a in earlier if a.client_reported),
            key=lambda a: (a.client_followup_at is not None, a.client_followup_at or now),
        )
        followup_alert_id = asked[0].id if asked else None
    for alert in earlier:
        if alert.client_reported:
            # The answer is about the one moment the question named; every other client-reported
            # rupture waits for its own question, acknowledged or not.
            if checkin.followup_resolved is None or alert.id != followup_alert_id:
                continue
            if checkin.followup_resolved == 2:
                alert_resolve_by_client(alert=alert, checkin=checkin, now=now)
            else:
                alert.client_followup = "not_yet" if checkin.followup_resolved == 0 else "partly"
                alert.client_followup_at = now
                alert.save(update_fields=["client_followup", "client_followup_at"])
                audit_record(
                    actor=None,
                    entry=_alert_entry(
                        alert, checkin.episode, AuditAction.UPDATE, "client_followup"
                    ),
                )
                AlertEvent.objects.create(
                    alert=alert,
                    action=(
                        AlertEvent.Action.CLIENT_NOT_YET
                        if checkin.followup_resolved == 0
                        else AlertEvent.Action.CLIENT_PARTLY
                    ),
                    at=now,
                )
        elif alert.state == AlertState.REPAIR_RECORDED and checkin.tension == 0 and not raised_now:
            # A score-based signal has no question of its own to follow up: once the repair is
            # recorded, a next check-in with no tension and no new signal closes the loop.
            alert_resolve_by_client(alert=alert, checkin=checkin, now=now)


def _require_therapist(alert: Alert, actor: User) -> None:
    if actor.role == Role.THERAPIST and alert.episode.therapist_id == actor.id:
        return
    # During a planned absence the cover acts on risk answers (docs/absences.md).
    from alliance.absences.selectors import is_covering

    if (
        actor.role == Role.THERAPIST
        and alert.category == AlertCategory.RISK
        and is_covering(actor, alert.episode, now=timezone.now())
    ):
        return
    raise AlertError(_("Only the client's therapist can work on this alert."))


def _already(alert: Alert) -> str:
    """Why a closed alert can't be closed or changed again, in words."""
    return _("This alert is already %(state)s.") % {"state": alert.get_state_display().lower()}


def _lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("episode").get(pk=alert.pk)


def alert_acknowledge(*, alert: Alert, actor: User, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    with transaction.atomic():
        alert = _lock(alert)
        _require_therapist(alert, actor)
        if alert.state != AlertState.OPEN:
            raise AlertError(
                _("This alert is already %(state)s; it can only be acknowledged while open.")
                % {"state": alert.get_state_display().lower()}
            )
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        AlertEvent.objects.create(
            alert=alert, action=AlertEvent.Action.ACKNOWLEDGED, actor=actor, at=now
        )
        audit_record(
            actor=actor,
            entry=_alert_entry(alert, alert.episode, AuditAction.TRANSITION, "acknowledged"),
        )
        if alert.checkin_id:
            # Acknowledging is done from the alert page, which shows the check-in: read.
            checkins_mark_read(
                episode_id=alert.episode_id, reader=actor, now=now, checkin_ids=[alert.checkin_id]
            )
    return alert


@dataclass(frozen=True)
class RepairInput:
    rupture_type: str
    markers: list[str]
    strategies: list[str]
    notes: str
    next_session_plan: str


def alert_record_repair(
    *, alert: Alert, actor: User, repair: RepairInput, now: datetime | None = None
) -> RepairRecord:
    """Record (or amend) the repair work. Allowed once the alert is acknowledged."""
    now = now or timezone.now()
    if repair.rupture_type not in dict(taxonomy.RUPTURE_TYPES):
        raise AlertError(_("Please choose the kind of rupture (or 'unclear')."))
    try:
        taxonomy.labels(repair.markers, taxonomy.MARKERS)
        taxonomy.labels(repair.strategies, taxonomy.RESOLUTION_STRATEGIES)
    except ValueError as error:
        raise AlertError(f"Unknown marker or strategy: {error}.") from None
    if not repair.strategies and not repair.notes.strip():
        raise AlertError(_("Please tick at least one repair strategy or describe the repair work."))
    with transaction.atomic():
        alert = _lock(alert)
        _require_therapist(alert, actor)
        if alert.category == AlertCategory.RISK:
            raise AlertError(
                _("A risk answer is not a rupture: record a follow-up for it instead.")
            )
        if alert.category == AlertCategory.DROPOUT_RISK:
            raise AlertError(
                _(
                    "A dropout-risk alert is not a rupture: talk it through with the client, "
                    "then close it with what you found."
                )
            )
        if alert.state not in (AlertState.ACKNOWLEDGED, AlertState.REPAIR_RECORDED):
            raise AlertError(
                "Acknowledge the alert first."
                if alert.state == AlertState.OPEN
                else f"This alert is {alert.get_state_display().lower()}; it can't be changed."
            )
        amending = alert.state == AlertState.REPAIR_RECORDED
        record = RepairRecord.objects.create(
            alert=alert,
            recorded_by=actor,
            recorded_at=now,
            rupture_type=repair.rupture_type,
            markers=list(repair.markers),
            strategies=list(repair.strategies),
            notes=repair.notes.strip(),
            next_session_plan=repair.next_session_plan.strip(),
        )
        audit_record(
            actor=actor,
            entry=about_episode(
                alert.episode,
                AuditAction.CREATE,
                RecordType.REPAIR_RECORD,
                record.id,
                "amendment" if amending else "",
            ),
        )
        if not amending:
            alert.state = AlertState.REPAIR_RECORDED
            alert.repair_recorded_at = now
            alert.save(update_fields=["state", "repair_recorded_at"])
            audit_record(
                actor=actor,
                entry=_alert_entry(alert, alert.episode, AuditAction.TRANSITION, "repair_recorded"),
            )
        AlertEvent.objects.create(
            alert=alert,
            action=(
                AlertEvent.Action.REPAIR_AMENDED if amending else AlertEvent.Action.REPAIR_RECORDED
            ),
            actor=actor,
            at=now,
        )
    return record


def alert_resolve_by_client(*, alert: Alert, checkin: CheckIn, now: datetime) -> Alert:
    if alert.state not in ACTIVE_STATES:
        raise AlertError(_("Only an active alert can be resolved."))
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.resolved_by_checkin = checkin
    alert.client_followup = ""
    alert.save(update_fields=["state", "resolved_at", "resolved_by_checkin", "client_followup"])
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.RESOLVED, at=now)
    audit_record(
        actor=None, entry=_alert_entry(alert, checkin.episode, AuditAction.TRANSITION, "resolved")
    )
    return alert


def alert_close(
    *, alert: Alert, actor: User, reason: str, note: str = "", now: datetime | None = None
) -> Alert:
    now = now or timezone.now()
    if reason not in CloseReason.values:
        raise AlertError(_("Please choose why you are closing this alert."))
    if reason == CloseReason.EPISODE_ENDED:
        raise AlertError(_("Alerts close as “care ended” when the care episode is ended."))
    if reason in CLOSE_NEEDS_NOTE and not note.strip():
        raise AlertError(_("Please add a short note saying why you are closing this alert."))
    with transaction.atomic():
        alert = _lock(alert)
        _require_therapist(alert, actor)
        if alert.state not in ACTIVE_STATES:
            raise AlertError(_already(alert))
        if reason not in close_reasons_for(alert):
            raise AlertError(_("That reason is not one this kind of alert closes for."))
        if alert.category == AlertCategory.RISK and not alert.followups.exists():
            raise AlertError(
                _(
                    "Record a follow-up first (what was done, when, and how it went), "
                    "so the record shows how this risk answer was followed up."
                )
            )
        close_locked(alert, actor=actor, reason=reason, note=note, now=now)
    return alert


def close_reasons_for(alert: Alert) -> tuple[CloseReason, ...]:
    """The reasons a therapist may pick to close this alert (never "care ended": see above)."""
    if alert.category == AlertCategory.RISK:
        return RISK_CLOSE_REASONS
    if alert.category == AlertCategory.DROPOUT_RISK:
        return DROPOUT_CLOSE_REASONS
    return RUPTURE_CLOSE_REASONS


@dataclass(frozen=True)
class FollowUpInput:
    actions: list[str]
    done_at: datetime
    outcome: str
    note: str


def alert_record_followup(
    *, alert: Alert, actor: User, followup: FollowUpInput, now: datetime | None = None
) -> RiskFollowUp:
    """Record what was done about a risk answer; the newest follow-up says where it stands.

    A follow-up that reached the client (safe for now, in crisis care elsewhere, other) moves
    the alert to "followed up", which takes it off the caseload's "Risk answers to follow up";
    "could not reach yet" or "more follow-up needed" keeps it there. Either way the alert
    counts as acknowledged from then on. It stays open until the therapist closes it with one
    of the risk close reasons. Each follow-up is its own record (amend-only, like repairs).
    """
    now = now or timezone.now()
    actions = list(dict.fromkeys(followup.actions))
    if not actions:
        raise AlertError(_("Please tick at least one thing you did."))
    unknown = [a for a in actions if a not in FollowUpAction.values]
    if unknown:
        raise AlertError(_("Unknown follow-up action: %(action)s.") % {"action": unknown[0]})
    if followup.outcome not in FollowUpOutcome.values:
        raise AlertError(_("Please choose how it went."))
    note = followup.note.strip()
    if not note and (FollowUpAction.OTHER in actions or followup.outcome == FollowUpOutcome.OTHER):
        raise AlertError(_("Please say in the note what “other” was."))
    if followup.done_at > now:
        raise AlertError(_("The follow-up can't be in the future. When was it done?"))
    with transaction.atomic():
        alert = _lock(alert)
        _require_therapist(alert, actor)
        if alert.category != AlertCategory.RISK:
            raise AlertError(_("Only a risk alert gets a follow-up; ruptures get a repair record."))
        if alert.state not in ACTIVE_STATES:
            raise AlertError(_already(alert))
        # Times are given to the minute: the minute the answer came in counts as after it.
        if followup.done_at < alert.created_at.replace(second=0, microsecond=0):
            raise AlertError(
                _("That is before the risk answer came in. When was the follow-up done?")
            )
        record = RiskFollowUp.objects.create(
            alert=alert,
            recorded_by=actor,
            recorded_at=now,
            done_at=followup.done_at,
            actions=actions,
            outcome=followup.outcome,
            note=note,
        )
        audit_record(
            actor=actor,
            entry=_alert_entry(alert, alert.episode, AuditAction.UPDATE, "risk_followup"),
        )
        latest = alert.followups.order_by("-done_at", "-recorded_at").first()
        state = (
            AlertState.FOLLOWED_UP
            if latest is not None and latest.settles
            else AlertState.ACKNOWLEDGED
        )
        fields = []
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, actor
            fields += ["acknowledged_at", "acknowledged_by"]
        if alert.state != state:
            alert.state = state
            fields.append("state")
            audit_record(
                actor=actor,
                entry=_alert_entry(alert, alert.episode, AuditAction.TRANSITION, str(state)),
            )
        if fields:
            alert.save(update_fields=fields)
        AlertEvent.objects.create(
            alert=alert, action=AlertEvent.Action.FOLLOWUP_RECORDED, actor=actor, at=now
        )
    return record


def close_locked(alert: Alert, *, actor: User, reason: str, note: str, now: datetime) -> None:
    """Close an alert already locked and checked, with its event and audit row.

    Shared by ``alert_close`` and ``alliance.people.services.episode_end``; call it inside the
    transaction that locked the alert.
    """
    alert.state = AlertState.CLOSED
    alert.closed_at = now
    alert.closed_by = actor
    alert.close_reason = reason
    alert.close_note = note.strip()
    alert.save(update_fields=["state", "closed_at", "closed_by", "close_reason", "close_note"])
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.CLOSED, actor=actor, at=now)
    audit_record(
        actor=actor, entry=_alert_entry(alert, alert.episode, AuditAction.TRANSITION, "closed")
    )


# Alerts gaining a signal in a recomputation are loaded this many at a time.
GAINING_BATCH = 500


@dataclass(frozen=True)
class RecomputeReport:
    episodes: int
    checkins: int
    signals: int
    alerts_created: int
    alerts_updated: int


def signals_recompute(
    *, clinic: Clinic | None = None, now: datetime | None = None, batch: int = 2000
) -> RecomputeReport:
    """Recompute every signal for a whole clinic (or every clinic) in one call.

    Idempotent: alerts that already hold a signal are left as they are; new signals open
    alerts or join the session's alert. Works in batches of episodes so memory stays flat.
    """
    now = now or timezone.now()
    # Ended care is left alone: its alerts were closed with it, and nobody is watching for new.
    episodes = CareEpisode.objects.filter(status=EpisodeStatus.ACTIVE)
    if clinic is not None:
        episodes = episodes.filter(clinic=clinic)
    clinic_settings: dict[Any, SignalSettings] = {}
    episode_rows = list(episodes.order_by("id").values_list("id", "clinic_id"))
    for c in Clinic.objects.filter(id__in={cid for _eid, cid in episode_rows}):
        clinic_settings[c.id] = settings_for(c)

    totals = {"checkins": 0, "signals": 0, "created": 0, "updated": 0}
    for start in range(0, len(episode_rows), batch):
        chunk = episode_rows[start : start + batch]
        with transaction.atomic():
            _recompute_chunk(chunk, clinic_settings, now, totals)
    return RecomputeReport(
        episodes=len(episode_rows),
        checkins=totals["checkins"],
        signals=totals["signals"],
        alerts_created=totals["created"],
        alerts_updated=totals["updated"],
    )


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _kinds(signals: Any) -> set[str]:
    data = json.loads(signals) if isinstance(signals, str | bytes) else signals
    return {s["kind"] for s in data or ()}


def _recompute_chunk(
    chunk: list[tuple[Any, Any]],
    clinic_settings: dict[Any, SignalSettings],
    now: datetime,
    totals: dict[str, int],
) -> None:
    ids = [eid for eid, _ in chunk]
    clinic_of = dict(chunk)
    series: dict[Any, list[CheckinPoint]] = defaultdict(list)
    checkin_of: dict[Any, Any] = {}
    # Ids stay in the driver's form (alliance/rawsql.py) until an alert is actually created.
    rows = rawsql.checkin_points(ids)
    for eid, sid, n, a, t, r, tk, cid in rows:
        series[eid].append(
            CheckinPoint(key=sid, index=n, alliance=a, tension=t, resolved=r, talked=tk)
        )
        checkin_of[sid] = cid
    totals["checkins"] += len(rows)
    del rows

    # Only the kinds each session's alert already holds are needed to decide what is new.
    known: dict[tuple[Any, Any], set[str]] = {
        (eid, sid): _kinds(signals) for eid, sid, signals in rawsql.alert_signals(ids)
    }
    to_create: list[Alert] = []
    gaining: dict[tuple[uuid.UUID, uuid.UUID], list[Signal]] = {}
    for raw_eid, points in series.items():
        eid = _as_uuid(raw_eid)
        found = detect(points, clinic_settings[clinic_of[eid]])
        totals["signals"] += len(found)
        grouped: dict[Any, list[Signal]] = defaultdict(list)
        for signal in found:
            grouped[signal.key].append(signal)
        for raw_sid, signals in grouped.items():
            held = known.get((raw_eid, raw_sid))
            if held is None:
                alert = Alert(
                    episode_id=eid,
                    session_id=_as_uuid(raw_sid),
                    checkin_id=_as_uuid(checkin_of[raw_sid]) if raw_sid in checkin_of else None,
                    signals=[],
                    severity=1,
                    created_at=now,
                )
                _merge(alert, signals)
                to_create.append(alert)
            elif any(str(s.kind) not in held for s in signals):
                gaining[(eid, _as_uuid(raw_sid))] = signals

    # The few alerts that gain a kind are loaded as objects, merged and saved with an event.
    to_update: list[Alert] = []
    events: list[AlertEvent] = []
    # Looked up by session id (a session belongs to one episode) in batches: one OR of a
    # condition per alert passes SQLite's expression-depth limit (1,000) in a large chunk.
    sessions = [sid for _, sid in gaining]
    for start in range(0, len(sessions), GAINING_BATCH):
        for alert in Alert.objects.filter(session_id__in=sessions[start : start + GAINING_BATCH]):
            new = gaining.get((alert.episode_id, _as_uuid(alert.session_id)))
            if new is not None and _merge(alert, new):
                to_update.append(alert)
                events.append(
                    AlertEvent(alert=alert, action=AlertEvent.Action.SIGNAL_ADDED, at=now)
                )
    Alert.objects.bulk_create(to_create, batch_size=1000)
    Alert.objects.bulk_update(
        to_update, ["signals", "severity", "client_reported", "summary"], batch_size=500
    )
    AlertEvent.objects.bulk_create(events, batch_size=1000)
    _audit_recomputed(to_create, to_update)
    totals["created"] += len(to_create)
    totals["updated"] += len(to_update)


def _audit_recomputed(created: list[Alert], updated: list[Alert]) -> None:
    """One audit row per alert a recomputation opened or added a signal to (the system's)."""
    if not created and not updated:
        return
    owners = {
        episode_id: (client_id, clinic_id)
        for episode_id, client_id, clinic_id in CareEpisode.objects.filter(
            id__in={a.episode_id for a in [*created, *updated]}
        ).values_list("id", "client_id", "clinic_id")
    }
    entries = [
        Entry(action, RecordType.ALERT, alert.id, *owners[alert.episode_id], detail=detail)
        for alerts, action, detail in (
            (created, AuditAction.CREATE, ""),
            (updated, AuditAction.UPDATE, "signal_added"),
        )
        for alert in alerts
    ]
    audit_record_bulk(actor=None, entries=entries)
