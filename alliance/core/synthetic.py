"""A seeded synthetic clinic: therapists, clients, weekly sessions and check-ins with known truth.

The demo loads it so that every page has something real-looking to show, and the benchmarks use
it to build clinics of any size. Everything comes from one integer seed: the same seed and
arguments give exactly the same clinic on every machine and every run. Nothing here reads the
clock or the global random generator, and nothing imports Django.

The first seven clients follow scripted patterns (``PATTERNS``), one per rupture signal the
product raises, so that the demo shows each of them; every later client is ``"typical"``, drawn
from the rates in ``SynthParams``. ``docs/demo-data.md`` gives every number with its source.

Examples
--------
>>> from datetime import UTC, datetime
>>> clinic = generate_clinic(seed=7, now=datetime(2026, 11, 23, 15, tzinfo=UTC))
>>> clinic.clients[0].email, clinic.clients[0].pattern
('client@demo.example', 'client_reported_open')
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "ATTENDED",
    "CANCELLED_CLIENT",
    "CANCELLED_THERAPIST",
    "DEFAULT_NOW",
    "MIN_WEEKS",
    "MISSED",
    "PATTERNS",
    "RESOLVED_ENOUGH",
    "SCHEDULED",
    "SESSION_LENGTH",
    "STATUSES",
    "TYPICAL",
    "SynthCheckin",
    "SynthClient",
    "SynthClinic",
    "SynthParams",
    "SynthSession",
    "SynthTherapist",
    "alliance_of",
    "checkin_submitted_at",
    "generate_clinic",
    "iter_clients",
]

ATTENDED: Final = "attended"
MISSED: Final = "missed"
CANCELLED_CLIENT: Final = "cancelled_client"
CANCELLED_THERAPIST: Final = "cancelled_therapist"
SCHEDULED: Final = "scheduled"
STATUSES: Final = (ATTENDED, MISSED, CANCELLED_CLIENT, CANCELLED_THERAPIST, SCHEDULED)

# Assigned in this order to the first clients; every later client is TYPICAL.
PATTERNS: Final = (
    "client_reported_open",
    "client_reported_repaired",
    "reliable_drop",
    "rupture_repair_v",
    "sudden_loss",
    "weak_early",
    "dropout",
)
TYPICAL: Final = "typical"

# A Monday afternoon, used when the caller gives neither start nor now, so output never depends
# on the day it is generated.
DEFAULT_NOW: Final = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SESSION_LENGTH: Final = timedelta(minutes=50)
# A rupture the client rates below "Completely" (4 on the 0-4 resolved scale) is still open, so
# their next check-in carries the follow-up question (followup_resolved), as the product asks it
# while the rupture's alert is open.
RESOLVED_ENOUGH: Final = 4
# The scripted patterns need this much history to fit (the dropout script alone spans 12 weeks).
MIN_WEEKS: Final = 12


@dataclass(frozen=True, slots=True)
class SynthParams:
    """Rates and spreads of the synthetic clinic; defaults and sources in docs/demo-data.md.

    Alliance figures are on the check-in's 1-7 composite (mean of bond, tasks and goals).
    """

    # Our assumption: alliance self-reports sit high on their scales.
    alliance_mean: float = 5.4
    # Our assumptions: spread of clients' own levels, and session-to-session wobble around them.
    alliance_between_sd: float = 0.8
    alliance_within_sd: float = 0.35
    # Our assumption: a slow rise over the first 20 sessions (+0.3), then a plateau.
    alliance_growth_per_session: float = 0.015
    # Eubanks, Muran & Safran 2018: clients report ruptures in about a fifth to two fifths of
    # sessions (19-42 %, to verify against the paper).
    rupture_rate: float = 0.25
    # Our assumption. McLaughlin et al. 2014 found ruptures in 46 % of cases and that unrepaired
    # ruptures predicted worse outcome; the share repaired is not a published figure.
    repair_rate: float = 0.7
    # Our assumptions for weekly outpatient therapy.
    miss_rate: float = 0.08
    cancel_client_rate: float = 0.05
    cancel_therapist_rate: float = 0.03
    # Our assumption: share of attended sessions whose check-in the client fills in.
    checkin_completion: float = 0.85
    # Iliakis et al. 2021: 22.3 % overall, 28.2 % in outpatient RCTs; Arntz et al. 2022: most
    # dropout happens in the first quarter of treatment.
    dropout_rate: float = 0.25
    # Our assumption: share of a client's cancellations made less than 24 h before the session
    # (twice that for a client who will drop out, at most 1).
    late_cancel_share: float = 0.3
    # Our assumption: share of reported ruptures the therapist records as confrontation (the
    # rest withdrawal). Withdrawal markers are the more frequent (Schenk et al. 2019); twice
    # the share for a client who will drop out, at most 1 (Eubanks et al. 2019: confrontation
    # markers predicted dropout, d = .74).
    confrontation_share: float = 0.3
    # Our assumption, off by default: alliance points a client who will drop out loses, evenly,
    # over their last four sessions before they stop (benchmarks/dropout.py tries 1.0).
    dropout_decline: float = 0.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.alliance_mean <= 7.0:
            raise ValueError(f"alliance_mean must be within 1-7, got {self.alliance_mean}")
        for name in ("alliance_between_sd", "alliance_within_sd"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not math.isfinite(self.alliance_growth_per_session):
            raise ValueError("alliance_growth_per_session must be finite")
        if not (math.isfinite(self.dropout_decline) and 0.0 <= self.dropout_decline <= 6.0):
            raise ValueError(f"dropout_decline must be within 0-6, got {self.dropout_decline}")
        for name in (
            "rupture_rate",
            "repair_rate",
            "miss_rate",
            "cancel_client_rate",
            "cancel_therapist_rate",
            "checkin_completion",
            "dropout_rate",
            "late_cancel_share",
            "confrontation_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0-1, got {value}")
        if self.miss_rate + self.cancel_client_rate + self.cancel_therapist_rate > 1.0:
            raise ValueError("miss_rate + cancel_client_rate + cancel_therapist_rate exceeds 1")


@dataclass(frozen=True, slots=True)
class SynthTherapist:
    key: str
    name: str
    email: str
    display_name: str


@dataclass(frozen=True, slots=True)
class SynthCheckin:
    """One post-session check-in, with the item keys of ``alliance.core.checkin``.

    ``talked`` (0-2) and ``resolved`` (0-4) are None when ``tension`` is 0.
    ``followup_resolved`` (0 not yet, 1 partly, 2 resolved) is set when this client's previous
    check-in reported tension with ``resolved`` below ``RESOLVED_ENOUGH``, else None.
    ``submitted_after_hours`` counts from the end of the session (see ``checkin_submitted_at``).
    """

    bond: int
    tasks: int
    goals: int
    tension: int
    talked: int | None
    resolved: int | None
    followup_resolved: int | None
    comment: str
    submitted_after_hours: float
    # "confrontation" or "withdrawal" when tension > 0 (what the therapist would record), else "".
    rupture_type: str = ""


@dataclass(frozen=True, slots=True)
class SynthSession:
    """One weekly session; ``number`` is 1-based within the episode.

    ``therapist_repaired`` is True only for a check-in that reported tension and whose rupture
    the therapist acknowledged and recorded repair work for. ``cancelled_hours_before`` is set
    for a session the client cancelled: how many hours before its start the cancellation was
    recorded (under 24 is late).
    """

    number: int
    scheduled_at: datetime
    status: str
    checkin: SynthCheckin | None
    therapist_repaired: bool
    cancelled_hours_before: float | None = None


@dataclass(frozen=True, slots=True)
class SynthClient:
    key: str
    name: str
    display_name: str
    email: str
    timezone: str
    therapist_key: str
    pattern: str
    dropped_out: bool
    sessions: tuple[SynthSession, ...]


@dataclass(frozen=True, slots=True)
class SynthClinic:
    name: str
    therapists: tuple[SynthTherapist, ...]
    clients: tuple[SynthClient, ...]
    params: SynthParams
    now: datetime


def alliance_of(c: SynthCheckin) -> float:
    """Alliance composite of a check-in: (bond + tasks + goals) / 3, on 1-7."""
    return (c.bond + c.tasks + c.goals) / 3


def checkin_submitted_at(session: SynthSession) -> datetime | None:
    """When the session's check-in was submitted: session end + ``submitted_after_hours``."""
    if session.checkin is None:
        return None
    return (
        session.scheduled_at
        + SESSION_LENGTH
        + timedelta(hours=session.checkin.submitted_after_hours)
    )


# Model constants (our assumptions, documented in docs/demo-data.md).
_ITEM_SD: Final = 0.3  # each item's own noise around the session's alliance level
_TENSION_DROP: Final = 0.25  # alliance lost per point of reported tension, in that session
_UNREPAIRED_LINGER: Final = 0.3  # further loss at the next check-in after an unrepaired rupture
_GROWTH_SESSIONS: Final = 20
_CLIENT_MEAN_RANGE: Final = (1.5, 6.9)
_DROPOUT_SHIFT: Final = 0.5  # clients who will drop out start this much lower
_DROPOUT_MISS_FACTOR: Final = 2.0  # and miss sessions this much more often before they stop
_EARLY_DROPOUT_SHARE: Final = 0.6  # share of dropouts in the first quarter of the history
_DECLINE_SESSIONS: Final = 4  # dropout_decline is spread over this many last sessions
_DROPOUT_LATE_FACTOR: Final = 2.0  # late_cancel_share for clients who will drop out
_DROPOUT_CONFRONTATION_FACTOR: Final = 2.0  # confrontation_share for them
_COMMENT_RATE: Final = 0.2
_TENSION_COMMENT_RATE: Final = 0.6
# Cumulative weights of tension 1-4, talked 0-2, and resolved given talked.
_TENSION_CUM: Final = (0.4, 0.7, 0.9, 1.0)
_TALKED_CUM: Final = (0.35, 0.7, 1.0)
_RESOLVED_CHOICES: Final = ((0, 1, 1, 2, 2), (1, 2, 2, 3, 3), (2, 3, 3, 4, 4))
_FOLLOWUP_IF_REPAIRED: Final = (0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)
_FOLLOWUP_IF_NOT: Final = (0, 0, 1, 1, 2)
_TIMEZONES: Final = (
    ("America/Toronto", 0.7),
    ("America/Vancouver", 0.85),
    ("America/New_York", 1.0),
)
_LOCAL_HOURS: Final = tuple(range(9, 20))
_WEEKDAYS: Final = (0, 1, 2, 3, 4)

_FIRST_NAMES: Final = (
    "Ava", "Noah", "Priya", "Mateo", "Zainab", "Liam", "Mei", "Omar", "Chloé", "Kwame",
    "Isabela", "Arjun", "Hana", "Gabriel", "Aaliyah", "Dmitri", "Leila", "Tomás", "Nia",
    "Ethan", "Yara", "Malik", "Sofia", "Jun", "Fatima", "Owen", "Ximena", "Ravi", "Élodie",
    "Kofi", "Ingrid", "Darius", "Amara", "Felix", "Naomi", "Santiago", "Aiyana", "Lucas",
    "Mariam", "Theo", "Ananya", "Caleb", "Rosa", "Idris", "Keira", "Hamza", "Lena", "Wei",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Tremblay", "Singh", "Okonkwo", "Nguyen", "Martínez", "Cohen", "Ahmed", "Kowalski",
    "Gagnon", "Kim", "Oyelaran", "Rossi", "Bouchard", "Chowdhury", "Silva", "Petrov", "Wong",
    "Mensah", "Fraser", "Delgado", "Nakamura", "Roy", "Abdi", "Lindqvist", "Patel", "Fontaine",
    "Mwangi", "O'Brien", "Castillo", "Sato", "Gill", "Moreau", "Yilmaz", "Campbell",
    "Baptiste", "Novak", "Lam", "Hassan", "Cardinal", "Reyes",
)  # fmt: skip
# (full name, the name people are addressed by)
_FIXED_THERAPISTS: Final = (("Dr. Maya Chen", "Maya"), ("Dr. Samuel Okafor", "Samuel"))
_FIXED_CLIENTS: Final = (("Jordan Rivera", "Jordan"), ("Leila Haddad", "Leila"))

_PLAIN_COMMENTS: Final = (
    "Good session, thank you.",
    "I liked the skill we practised today.",
    "It helped to talk about my sister.",
    "I felt listened to today.",
    "Hard topic but I'm glad we got to it.",
    "Can we keep going with the chain analysis next time?",
    "I was tired today, sorry if I was quiet.",
    "The worksheet made more sense this time.",
    "Thanks for being patient with me.",
    "I'm going to try the cold water thing this week.",
    "Still thinking about what you said about the weekend.",
    "Felt lighter walking out.",
    "I'd like more time on the work stuff next week.",
    "Better than last week.",
    "I didn't expect to cry but it was okay.",
    "Nice to have a plan for the week.",
    "The diary card was easier to fill in this week.",
    "I want to talk about my mom next time.",
)
_TENSION_COMMENTS: Final = (
    "I felt rushed at the end.",
    "It felt like you were on my mom's side.",
    "I don't think the homework is working for me.",
    "I didn't say it in the room but I felt judged.",
    "I'm not sure we're working on the right thing.",
    "You moved on before I was finished.",
    "I don't know why we keep going back to the diary card.",
    "It's fine. Whatever.",
    "I felt like you didn't believe me.",
    "I got annoyed when you said I was catastrophizing.",
    "I kept saying I was fine but I wasn't.",
    "The fee change is stressing me out.",
    "Sorry, I was difficult today.",
    "Moving our time again was hard for me.",
    "I don't feel like I'm getting anywhere.",
    "When you laughed I felt stupid.",
)
_FOLLOWUP_COMMENTS: Final = (
    "Thanks for bringing up last week.",
    "I feel better about what happened last time.",
    "Talking about last week helped.",
)


class _Draft:
    """A mutable past session, before scripts adjust it and it is frozen."""

    __slots__ = (
        "bond",
        "checkin",
        "comment",
        "followup",
        "forced",
        "goals",
        "hours",
        "repaired",
        "resolved",
        "status",
        "talked",
        "tasks",
        "tension",
    )

    def __init__(self, status: str) -> None:
        self.status = status
        self.checkin = False
        self.bond = self.tasks = self.goals = 0
        self.tension = 0
        self.talked: int | None = None
        self.resolved: int | None = None
        self.comment = ""
        self.hours = 0.0
        self.repaired = False
        self.followup: int | None = None  # a scripted follow-up answer; None draws one
        self.forced = False  # scripted check-ins are always submitted before now


_Script = Callable[[random.Random, list[_Draft], SynthParams], list[_Draft]]
_ScheduleCache = dict[tuple[str, int, int, datetime], tuple[tuple[datetime, ...], int]]


def generate_clinic(
    *,
    seed: int,
    n_therapists: int = 2,
    n_clients: int = 12,
    weeks: int = 30,
    start: datetime | None = None,
    now: datetime | None = None,
    params: SynthParams = SynthParams(),
    fixed_people: bool = True,
) -> SynthClinic:
    """Build a whole synthetic clinic in memory.

    Parameters
    ----------
    seed
        Same seed and arguments give an identical clinic; client *i* depends only on the seed,
        its index and the window, not on how many clients follow it.
    n_therapists, n_clients
        Client *i* (0-based) belongs to therapist ``i % n_therapists``.
    weeks
        Length of the history window, at least ``MIN_WEEKS``. Pass ``now`` (the usual case) or
        ``start``; the other is derived as ``now = start + weeks``. Passing both requires
        ``now - start`` to be exactly ``weeks`` weeks. With neither, ``now = DEFAULT_NOW``.
    fixed_people
        True: the demo's people (therapist@demo.example, client@demo.example, ...).
        False: benchmark people (t1@bench.example, c1@bench.example, ...).

    Raises
    ------
    ValueError
        On counts below their minimum, naive datetimes, or inconsistent start/now/weeks.
    """
    clients = tuple(
        iter_clients(
            seed=seed,
            n_therapists=n_therapists,
            n_clients=n_clients,
            weeks=weeks,
            start=start,
            now=now,
            params=params,
            fixed_people=fixed_people,
        )
    )
    start, now = _window(weeks, start, now)
    return SynthClinic(
        name="Harbourview Therapy Collective" if fixed_people else f"Benchmark clinic ({seed})",
        therapists=tuple(_therapist(seed, j, fixed_people) for j in range(n_therapists)),
        clients=clients,
        params=params,
        now=now,
    )


def iter_clients(
    *,
    seed: int,
    n_therapists: int = 2,
    n_clients: int = 12,
    weeks: int = 30,
    start: datetime | None = None,
    now: datetime | None = None,
    params: SynthParams = SynthParams(),
    fixed_people: bool = True,
) -> Iterator[SynthClient]:
    """Yield the clients of ``generate_clinic`` with the same arguments, one at a time.

    Use it for large benchmark clinics: only one client's sessions are in memory at once.
    Arguments are checked at the call, not at the first ``next()``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if n_therapists < 1:
        raise ValueError(f"n_therapists must be at least 1, got {n_therapists}")
    if n_clients < 0:
        raise ValueError(f"n_clients must be at least 0, got {n_clients}")
    if weeks < MIN_WEEKS:
        raise ValueError(f"weeks must be at least {MIN_WEEKS} so every pattern fits, got {weeks}")
    start, now = _window(weeks, start, now)
    return _iter_clients(seed, n_therapists, n_clients, weeks, start, now, params, fixed_people)


def _window(weeks: int, start: datetime | None, now: datetime | None) -> tuple[datetime, datetime]:
    for label, value in (("start", start), ("now", now)):
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{label} must be timezone-aware")
    # Arithmetic on a zoned datetime is wall-clock arithmetic, so convert before adding weeks.
    start = None if start is None else start.astimezone(UTC)
    now = None if now is None else now.astimezone(UTC)
    span = timedelta(weeks=weeks)
    if now is None:
        now = DEFAULT_NOW if start is None else start + span
    if start is None:
        start = now - span
    elif now - start != span:
        raise ValueError(
            f"now - start is {now - start}, not weeks={weeks} weeks: pass only one of them"
        )
    return start, now


def _iter_clients(
    seed: int,
    n_therapists: int,
    n_clients: int,
    weeks: int,
    start: datetime,
    now: datetime,
    params: SynthParams,
    fixed_people: bool,
) -> Iterator[SynthClient]:
    # Clients share schedules (same zone, weekday and hour), so each is computed once per call.
    cache: _ScheduleCache = {}
    for i in range(n_clients):
        yield _client(seed, i, n_therapists, weeks, start, now, params, fixed_people, cache)


def _therapist(seed: int, j: int, fixed_people: bool) -> SynthTherapist:
    rng = random.Random(f"alliance-synth/{seed}/therapist/{j}")
    first = rng.choice(_FIRST_NAMES)
    name, called = f"Dr. {first} {rng.choice(_LAST_NAMES)}", first
    if fixed_people:
        if j < len(_FIXED_THERAPISTS):
            name, called = _FIXED_THERAPISTS[j]
        suffix = "" if j == 0 else str(j + 1)
        return SynthTherapist(f"therapist{j + 1}", name, f"therapist{suffix}@demo.example", called)
    return SynthTherapist(f"t{j + 1}", name, f"t{j + 1}@bench.example", called)


def _client(
    seed: int,
    i: int,
    n_therapists: int,
    weeks: int,
    start: datetime,
    now: datetime,
    params: SynthParams,
    fixed_people: bool,
    cache: _ScheduleCache,
) -> SynthClient:
    # One generator per client: client i does not change when n_clients does.
    rng = random.Random(f"alliance-synth/{seed}/client/{i}")
    pattern = PATTERNS[i] if i < len(PATTERNS) else TYPICAL
    first = rng.choice(_FIRST_NAMES)
    name, called = f"{first} {rng.choice(_LAST_NAMES)}", first
    u = rng.random()
    timezone = next(tz for tz, cum in _TIMEZONES if u < cum)
    if fixed_people:
        key, email = f"client{i + 1}", f"client{'' if i == 0 else i + 1}@demo.example"
        if i < len(_FIXED_CLIENTS):
            (name, called), timezone = _FIXED_CLIENTS[i], "America/Toronto"
        therapist_key = f"therapist{i % n_therapists + 1}"
    else:
        key, email = f"c{i + 1}", f"c{i + 1}@bench.example"
        therapist_key = f"t{i % n_therapists + 1}"
    weekdays: tuple[int, ...] = _WEEKDAYS
    if pattern != TYPICAL:
        # Keep scripted sessions off today's weekday, so the last one ended hours before now
        # and its scripted check-in can already be in.
        today = now.astimezone(ZoneInfo(timezone)).weekday()
        weekdays = tuple(d for d in _WEEKDAYS if d != today)
    weekday = rng.choice(weekdays)
    hour = rng.choice(_LOCAL_HOURS)

    if pattern == TYPICAL:
        mu = rng.gauss(params.alliance_mean, params.alliance_between_sd)
        dropped_out = rng.random() < params.dropout_rate
        slots, n_past = _schedule(timezone, weekday, hour, start, now, weeks, cache)
        dropout_at: int | None = None
        if dropped_out:
            mu -= _DROPOUT_SHIFT
            quarter = max(3, n_past // 4)
            if rng.random() < _EARLY_DROPOUT_SHARE or quarter >= n_past - 1:
                dropout_at = rng.randint(2, quarter)
            else:
                dropout_at = rng.randint(quarter + 1, n_past - 1)
        mu = min(max(mu, _CLIENT_MEAN_RANGE[0]), _CLIENT_MEAN_RANGE[1])
        drafts = _history(
            rng,
            n_past,
            mu,
            params,
            growth=True,
            repair_all=False,
            stop=dropout_at,
            decline=params.dropout_decline if dropped_out else 0.0,
        )
    else:
        mu, episode_weeks, script = _SCRIPTS[pattern]
        episode_start = start if episode_weeks is None else now - timedelta(weeks=episode_weeks)
        dropped_out = pattern == "dropout"
        slots, n_past = _schedule(timezone, weekday, hour, episode_start, now, weeks, cache)
        drafts = _history(rng, n_past, mu, params, growth=False, repair_all=True, stop=None)
        drafts = script(rng, drafts, params)

    sessions = _freeze(rng, drafts, slots, now, 0 if dropped_out else 1 + (rng.random() < 0.5))
    # Drawn from a generator of their own, so adding them changed no earlier clinic.
    sessions = _details(
        random.Random(f"alliance-synth/{seed}/details/{i}"), sessions, params, dropped_out
    )
    return SynthClient(
        key=key,
        name=name,
        display_name=called,
        email=email,
        timezone=timezone,
        therapist_key=therapist_key,
        pattern=pattern,
        dropped_out=dropped_out,
        sessions=sessions,
    )


def _schedule(
    timezone: str,
    weekday: int,
    hour: int,
    episode_start: datetime,
    now: datetime,
    weeks: int,
    cache: _ScheduleCache,
) -> tuple[tuple[datetime, ...], int]:
    """Weekly UTC times at a fixed local weekday and hour from episode_start, and how many are past.

    Stepping local dates and converting each keeps the local hour across DST changes.
    """
    key = (timezone, weekday, hour, episode_start)
    cached = cache.get(key)
    if cached is not None:
        return cached
    tz = ZoneInfo(timezone)
    local_start = episode_start.astimezone(tz)
    day = local_start.date() + timedelta(days=(weekday - local_start.weekday()) % 7)
    first = datetime.combine(day, time(hour), tzinfo=tz)
    if first < local_start:
        day += timedelta(days=7)
    slots = tuple(
        datetime.combine(day + timedelta(weeks=k), time(hour), tzinfo=tz).astimezone(UTC)
        for k in range(weeks + 3)
    )
    # A session is past once it has ended.
    n_past = sum(1 for s in slots if s + SESSION_LENGTH <= now)
    cache[key] = (slots, n_past)
    return slots, n_past


def _history(
    rng: random.Random,
    n_past: int,
    mu: float,
    params: SynthParams,
    *,
    growth: bool,
    repair_all: bool,
    stop: int | None,
    decline: float = 0.0,
) -> list[_Draft]:
    """Past sessions of one client. With ``stop``, the client misses 1-3 more, then none.

    ``decline``: alliance points lost evenly over the last ``_DECLINE_SESSIONS`` before ``stop``
    (a quarter of it at the first of them, all of it at the last). No random draw depends on
    it, so a clinic with ``decline`` 0 is the clinic generated before it existed.
    """
    rand, gauss, choice = rng.random, rng.gauss, rng.choice
    p = params
    factor = _DROPOUT_MISS_FACTOR if stop is not None else 1.0
    miss = min(p.miss_rate * factor, 1.0 - p.cancel_client_rate - p.cancel_therapist_rate)
    cancel_client = miss + p.cancel_client_rate
    cancel_therapist = cancel_client + p.cancel_therapist_rate
    slope = p.alliance_growth_per_session if growth else 0.0
    within, completion = p.alliance_within_sd, p.checkin_completion
    rupture, repair = p.rupture_rate, p.repair_rate

    drafts: list[_Draft] = []
    linger = 0.0
    for n in range(n_past if stop is None else stop):
        r = rand()
        if r < miss:
            drafts.append(_Draft(MISSED))
            continue
        if r < cancel_client:
            drafts.append(_Draft(CANCELLED_CLIENT))
            continue
        if r < cancel_therapist:
            drafts.append(_Draft(CANCELLED_THERAPIST))
            continue
        d = _Draft(ATTENDED)
        drafts.append(d)
        if rand() >= completion:
            continue
        d.checkin = True
        level = mu + slope * min(n, _GROWTH_SESSIONS) + gauss(0.0, within) - linger
        linger = 0.0
        if decline and stop is not None and n >= stop - _DECLINE_SESSIONS:
            level -= decline * (n - (stop - _DECLINE_SESSIONS) + 1) / _DECLINE_SESSIONS
        if rand() < rupture:
            u = rand()
            tension = next(t for t, cum in enumerate(_TENSION_CUM, 1) if u < cum)
            u = rand()
            talked = next(t for t, cum in enumerate(_TALKED_CUM) if u < cum)
            d.tension, d.talked = tension, talked
            d.resolved = choice(_RESOLVED_CHOICES[talked])
            d.repaired = repair_all or rand() < repair
            level -= _TENSION_DROP * tension
            if not d.repaired:
                linger = _UNREPAIRED_LINGER
            if rand() < _TENSION_COMMENT_RATE:
                d.comment = choice(_TENSION_COMMENTS)
        elif rand() < _COMMENT_RATE:
            d.comment = choice(_PLAIN_COMMENTS)
        d.bond = _item(level + gauss(0.0, _ITEM_SD))
        d.tasks = _item(level + gauss(0.0, _ITEM_SD))
        d.goals = _item(level + gauss(0.0, _ITEM_SD))
        d.hours = _hours(rng)
    if stop is not None:
        drafts.extend(_Draft(MISSED) for _ in range(min(rng.randint(1, 3), n_past - stop)))
    return drafts


def _item(x: float) -> int:
    v = int(x + 0.5) if x > 0 else 1
    return 1 if v < 1 else 7 if v > 7 else v


def _hours(rng: random.Random) -> float:
    """Hours from session end to check-in: most within 3 h, a few the next day or later."""
    u = rng.random()
    if u < 0.6:
        hours = rng.uniform(0.1, 3.0)
    elif u < 0.9:
        hours = rng.uniform(3.0, 24.0)
    else:
        hours = rng.uniform(24.0, 60.0)
    return round(hours, 2)


def _freeze(
    rng: random.Random,
    drafts: list[_Draft],
    slots: Sequence[datetime],
    now: datetime,
    n_future: int,
) -> tuple[SynthSession, ...]:
    sessions: list[SynthSession] = []
    # None: no follow-up owed; otherwise whether the therapist repaired the open rupture.
    owed: bool | None = None
    for idx, d in enumerate(drafts):
        at = slots[idx]
        checkin: SynthCheckin | None = None
        if d.checkin:
            hours = d.hours
            available = (now - at - SESSION_LENGTH).total_seconds() / 3600
            if d.forced and hours > available:
                hours = math.floor(available * 90) / 100
            # A check-in due after now has not come in yet.
            if 0.1 <= hours <= available:
                followup = None
                if owed is not None:
                    followup = d.followup
                    if followup is None:
                        followup = rng.choice(_FOLLOWUP_IF_REPAIRED if owed else _FOLLOWUP_IF_NOT)
                owed = None
                if d.tension and d.resolved is not None and d.resolved < RESOLVED_ENOUGH:
                    owed = d.repaired
                checkin = SynthCheckin(
                    d.bond,
                    d.tasks,
                    d.goals,
                    d.tension,
                    d.talked,
                    d.resolved,
                    followup,
                    d.comment,
                    hours,
                )
        repaired = checkin is not None and d.tension > 0 and d.repaired
        sessions.append(SynthSession(idx + 1, at, d.status, checkin, repaired))
    for idx in range(len(drafts), len(drafts) + n_future):
        sessions.append(SynthSession(idx + 1, slots[idx], SCHEDULED, None, False))
    return tuple(sessions)


def _details(
    rng: random.Random, sessions: tuple[SynthSession, ...], p: SynthParams, dropped_out: bool
) -> tuple[SynthSession, ...]:
    """When each client cancellation was made, and each reported rupture's kind."""
    factor = (_DROPOUT_LATE_FACTOR, _DROPOUT_CONFRONTATION_FACTOR) if dropped_out else (1.0, 1.0)
    late_share = min(1.0, p.late_cancel_share * factor[0])
    confrontation_share = min(1.0, p.confrontation_share * factor[1])
    out = []
    for s in sessions:
        if s.status == CANCELLED_CLIENT:
            late = rng.random() < late_share
            hours = rng.uniform(1.0, 23.5) if late else rng.uniform(24.0, 168.0)
            s = replace(s, cancelled_hours_before=round(hours, 2))
        elif s.checkin is not None and s.checkin.tension:
            kind = "confrontation" if rng.random() < confrontation_share else "withdrawal"
            s = replace(s, checkin=replace(s.checkin, rupture_type=kind))
        out.append(s)
    return tuple(out)


# Scripted patterns --------------------------------------------------------------------------


def _set(
    rng: random.Random,
    d: _Draft,
    total: int,
    *,
    tension: int = 0,
    talked: int | None = None,
    resolved: int | None = None,
    repaired: bool = False,
    followup: int | None = None,
    comment: str = "",
) -> None:
    """Make ``d`` an attended session with a submitted check-in whose items sum to ``total``."""
    _set_items(rng, d, total)
    d.status, d.checkin, d.forced = ATTENDED, True, True
    d.tension, d.talked, d.resolved, d.repaired = tension, talked, resolved, repaired
    d.followup, d.comment = followup, comment
    if d.hours < 0.1:
        d.hours = _hours(rng)


def _set_items(rng: random.Random, d: _Draft, total: int) -> None:
    """Bond, tasks and goals as even as possible with the given sum (3-21)."""
    total = min(max(total, 3), 21)
    base, extra = divmod(total, 3)
    items = [base, base, base]
    for k in rng.sample(range(3), extra):
        items[k] += 1
    d.bond, d.tasks, d.goals = items


def _calm(rng: random.Random, drafts: Sequence[_Draft], totals: Sequence[int]) -> None:
    for d in drafts:
        _set(rng, d, rng.choice(totals))


def _total(d: _Draft) -> int:
    return d.bond + d.tasks + d.goals


_AROUND_5_4: Final = (15, 16, 16, 17, 17)  # composites 5.0-5.67
_AROUND_5_8: Final = (16, 17, 17, 18, 18, 18, 19)  # composites 5.33-6.33


def _script_open(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """Calm weeks, then the latest session: tension 3, not talked about, barely resolved."""
    _calm(rng, ds[-8:-1], _AROUND_5_4)
    _set(
        rng,
        ds[-1],
        rng.choice((13, 14)),
        tension=3,
        talked=0,
        resolved=1,
        repaired=False,
        comment=(
            "When you looked at the clock while I was talking, it felt like I was too much. "
            "I didn't say anything."
        ),
    )
    return ds


def _script_repaired(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """A rupture four sessions back, repaired; the next check-in says it is resolved."""
    _calm(rng, ds[-8:], _AROUND_5_4)
    _set(
        rng,
        ds[-4],
        14,
        tension=2,
        talked=1,
        resolved=2,
        repaired=True,
        comment="You moved on before I was finished.",
    )
    _set(rng, ds[-3], rng.choice(_AROUND_5_4), followup=2, comment=rng.choice(_FOLLOWUP_COMMENTS))
    return ds


def _script_reliable_drop(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """Ten stable sessions around 5.8, then the latest about 1.8 below the previous five."""
    _calm(rng, ds[-11:-1], _AROUND_5_8)
    baseline = statistics.fmean(_total(d) / 3 for d in ds[-6:-1])
    _set(rng, ds[-1], math.floor(3 * (baseline - 1.8)), comment="It was fine.")
    return ds


def _script_v(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """Stable around 5.8 with one dip, four sessions back, then a return to the same level.

    The dip is the highest composite that is at least 2 SD below the client's own mean, where the
    SD is the larger of the within-person SD (dip included) and ``alliance_between_sd``. Other
    scores more than 0.7 below the mean are first lifted to the baseline, so that this is the
    client's only dip, by the liberal 1 SD criterion too (the SD is never below 0.8 by default).
    """
    _calm(rng, ds[-10:], _AROUND_5_8)
    dip = ds[-4]
    others_drafts = [d for d in ds if d.checkin and d is not dip]
    # Each pass only raises scores, so this ends.
    while True:
        mean = statistics.fmean(_total(d) / 3 for d in others_drafts)
        low = [d for d in others_drafts if _total(d) / 3 < mean - 0.7]
        if not low:
            break
        for d in low:
            _set_items(rng, d, round(3 * mean))
    others = [_total(d) / 3 for d in others_drafts]
    spread = max(statistics.stdev(others), p.alliance_between_sd)
    total = 3
    for candidate in range(math.floor(3 * (statistics.fmean(others) - 2 * spread)), 3, -1):
        values = [*others, candidate / 3]
        sd = max(statistics.stdev(values), p.alliance_between_sd)
        if candidate / 3 <= statistics.fmean(values) - 2 * sd:
            total = candidate
            break
    _set(rng, dip, total, comment="I don't really want to talk about it.")
    return ds


def _script_sudden_loss(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """A plateau of 6.0-6.67 for four sessions, then 4.0-4.33 for the last four."""
    _calm(rng, ds[-8:-4], (18, 19, 19, 20))
    _calm(rng, ds[-4:], (12, 13))
    ds[-4].comment = "I don't feel like I'm getting anywhere with this."
    return ds


def _script_weak_early(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """A four-week-old episode: sessions 1-3 at 2.67-3.33, then slightly higher."""
    for n, d in enumerate(ds):
        _set(rng, d, rng.choice((8, 9, 9, 10) if n < 3 else (9, 10, 11)))
    ds[0].comment = "I'm not sure what we're meant to be working on."
    return ds


def _script_dropout(rng: random.Random, ds: list[_Draft], p: SynthParams) -> list[_Draft]:
    """Twelve weeks ago: a weak, sinking alliance, misses, an unrepaired rupture, then gone."""
    ds = ds[:10]
    _set(rng, ds[0], 13)
    _set(rng, ds[1], 12)
    _set(
        rng,
        ds[3],
        11,
        tension=2,
        talked=0,
        resolved=1,
        repaired=False,
        comment="I felt like you didn't believe me.",
    )
    _set(rng, ds[4], 10, followup=0)
    _set(rng, ds[6], 9, comment="I don't know if this is the right fit for me.")
    for n in (2, 5, 7, 8, 9):
        ds[n] = _Draft(MISSED)
    return ds


# pattern -> (client's own alliance mean, episode length in weeks or None for the whole
# window, script)
_SCRIPTS: Final[dict[str, tuple[float, int | None, _Script]]] = {
    "client_reported_open": (5.4, None, _script_open),
    "client_reported_repaired": (5.4, None, _script_repaired),
    "reliable_drop": (5.8, None, _script_reliable_drop),
    "rupture_repair_v": (5.8, None, _script_v),
    "sudden_loss": (6.2, None, _script_sudden_loss),
    "weak_early": (3.0, 4, _script_weak_early),
    "dropout": (4.0, 12, _script_dropout),
}
