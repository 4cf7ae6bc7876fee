"""Reads for the clinic's alliance–outcome analysis and for curves from its own data.

Four queries whatever the clinic's size: its check-ins, its scored responses to one
questionnaire, its rupture alerts, and (for the curves) its ended episodes' scores. The
statistics are in ``alliance.core.analysis`` and ``alliance.core.recovery``.
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.core.cache import cache

from alliance.checkins.models import CheckIn
from alliance.core.analysis import (
    AllianceOutcome,
    ClientRuptures,
    PairedPoint,
    Refusal,
    RuptureRepair,
    alliance_outcome,
    rupture_repair,
)
from alliance.core.not_on_track import NotOnTrackSettings
from alliance.core.outcomes import OutcomeDefinition
from alliance.core.recovery import ClinicCurves, clinic_curves
from alliance.outcomes.models import OutcomeResponse
from alliance.people.models import EpisodeStatus
from alliance.ruptures.models import Alert, AlertCategory, AlertState, CloseReason

# A questionnaire is paired with the client's latest check-in before it, if that check-in is
# no older than this: a score is read against the alliance of the session just before it.
PAIR_WINDOW = timedelta(days=14)
# Closed this way, an alert was not a rupture after all.
NOT_RUPTURES = (CloseReason.NOT_A_RUPTURE, CloseReason.ANSWERED_BY_MISTAKE)
CURVES_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class ClinicAnalysis:
    instrument_id: str
    model: AllianceOutcome | Refusal
    repair: RuptureRepair
    episodes: int
    responses: int
    checkins: int
    ruptures: int


def paired_points(
    clinic_id: uuid.UUID, instrument_id: str
) -> tuple[list[PairedPoint], dict[uuid.UUID, list[tuple[datetime, float]]], int, int]:
    """Each scored response paired with the latest check-in of its episode before it.

    Returns the points, each episode's scores in time order, and how many check-ins and
    responses there were.
    """
    checkins: dict[uuid.UUID, list[tuple[datetime, float]]] = defaultdict(list)
    n_checkins = 0
    for episode_id, at, alliance in (
        CheckIn.objects.filter(episode__clinic_id=clinic_id)
        .order_by("episode_id", "submitted_at")
        .values_list("episode_id", "submitted_at", "alliance")
    ):
        checkins[episode_id].append((at, alliance))
        n_checkins += 1
    scores: dict[uuid.UUID, list[tuple[datetime, float]]] = defaultdict(list)
    points: list[PairedPoint] = []
    n_responses = 0
    for episode_id, at, session, composite in (
        OutcomeResponse.objects.filter(
            episode__clinic_id=clinic_id, instrument_id=instrument_id, composite__isnull=False
        )
        .order_by("episode_id", "submitted_at")
        .values_list("episode_id", "submitted_at", "session_index", "composite")
    ):
        if composite is None:  # excluded by the query; says so to the type checker
            continue
        n_responses += 1
        scores[episode_id].append((at, composite))
        own = checkins.get(episode_id, [])
        index = bisect.bisect_left(own, (at,)) - 1
        if index >= 0 and at - own[index][0] <= PAIR_WINDOW:
            points.append(PairedPoint(str(episode_id), session, own[index][1], composite))
    return points, scores, n_checkins, n_responses


def ruptures_by_episode(clinic_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, int]]:
    """(ruptures, repaired) per episode. Repaired: resolved by the client's check-in, or closed
    as resolved in session with the client's confirmation."""
    counts: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for episode_id, state, reason in (
        Alert.objects.filter(episode__clinic_id=clinic_id, category=AlertCategory.RUPTURE)
        .exclude(close_reason__in=NOT_RUPTURES)
        .values_list("episode_id", "state", "close_reason")
    ):
        counts[episode_id][0] += 1
        if state == AlertState.RESOLVED or (
            state == AlertState.CLOSED and reason == CloseReason.RESOLVED_IN_SESSION
        ):
            counts[episode_id][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def clinic_analysis(clinic_id: uuid.UUID, instrument_id: str = "phq9") -> ClinicAnalysis:
    points, scores, n_checkins, n_responses = paired_points(clinic_id, instrument_id)
    ruptures = ruptures_by_episode(clinic_id)
    per_client = []
    for episode_id in set(scores) | set(ruptures):
        series = scores.get(episode_id, [])
        count, repaired = ruptures.get(episode_id, (0, 0))
        change = series[-1][1] - series[0][1] if len(series) >= 2 else None
        per_client.append(ClientRuptures(str(episode_id), count, repaired, change))
    return ClinicAnalysis(
        instrument_id=instrument_id,
        model=alliance_outcome(points),
        repair=rupture_repair(per_client),
        episodes=len(scores),
        responses=n_responses,
        checkins=n_checkins,
        ruptures=sum(c for c, _ in ruptures.values()),
    )


def completed_series(clinic_id: uuid.UUID, instrument_id: str) -> list[list[tuple[int, float]]]:
    """Ended episodes' scores on one questionnaire as (sessions attended, score) series.

    One score per point (``add_point``), as ``services.series_for`` does.
    """
    series: dict[uuid.UUID, list[tuple[int, float]]] = defaultdict(list)
    for episode_id, index, value in (
        OutcomeResponse.objects.filter(
            episode__clinic_id=clinic_id,
            episode__status=EpisodeStatus.ENDED,
            instrument_id=instrument_id,
            composite__isnull=False,
        )
        .order_by("episode_id", "submitted_at", "id")
        .values_list("episode_id", "session_index", "composite")
    ):
        if value is None:  # excluded by the query; says so to the type checker
            continue
        add_point(series[episode_id], index, value)
    return list(series.values())


def add_point(series: list[tuple[int, float]], index: int, value: float) -> None:
    """Add a score at ``index`` sessions attended, one score per point: ``assess`` needs
    increasing session numbers, so at the intake the first response stays, later the latest."""
    if series and index <= series[-1][0]:
        if len(series) > 1:
            series[-1] = (series[-1][0], value)
        return
    series.append((index, value))


def curves_for_clinic(
    clinic_id: uuid.UUID, defn: OutcomeDefinition, defaults: NotOnTrackSettings
) -> ClinicCurves:
    """The clinic's per-band curves, recomputed at most once an hour per process."""
    key = f"recovery-curves:{clinic_id}:{defn.id}:{defn.instrument.version}"
    # The fitted curves are cached, not the settings (a read-only mapping does not pickle).
    bands = cache.get(key)
    if not isinstance(bands, tuple):
        bands = clinic_curves(defn, completed_series(clinic_id, defn.id), defaults=defaults).bands
        cache.set(key, bands, CURVES_CACHE_SECONDS)
    curves = dict(defaults.curves) | {b.band: b.curve for b in bands}
    return ClinicCurves(bands=bands, settings=replace(defaults, curves=curves))
