"""When a scheduled questionnaire is due: plain Python over plain data (no database).

A schedule asks for one questionnaire at any of four kinds of *occasion*:

``intake``
    Opens when the care episode starts (the start of its first day, clinic time).
``session-N``
    Every *n* sessions: sessions *n*, 2\\ *n*, 3\\ *n* … by session number. It opens
    :data:`WAITING_ROOM_LEAD` before the session's scheduled time, so the client can answer on
    their phone in the waiting room. A session that was cancelled or missed has no occasion
    (the next one catches up).
``week-N``
    Every *n* weeks: opens *N* weeks after the episode started.
``discharge``
    Opens when the episode ends (the start of its last day, clinic time) and closes
    :data:`DISCHARGE_OPEN_FOR` later.

The intake, session and week occasions of one questionnaire replace each other: only the most
recent one that has opened can be answered, and once it is answered nothing is due until the
next one opens. A client who missed one is never asked to catch up on it, and never sees two
copies of the same questionnaire. They all close when the episode ends. The discharge occasion
stands on its own. Opening times are inclusive, closing times exclusive.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

__all__ = [
    "DISCHARGE_OPEN_FOR",
    "WAITING_ROOM_LEAD",
    "Occasion",
    "OccasionKind",
    "ScheduleSpec",
    "SessionSlot",
    "due",
    "occasions",
    "parse_occasion",
]

# "A few hours" before a session: long enough to answer at home before leaving, or in the
# waiting room; short enough that the answers describe the days before this session.
WAITING_ROOM_LEAD: Final = timedelta(hours=3)
# A discharge questionnaire stays open for two weeks after the last day of care.
DISCHARGE_OPEN_FOR: Final = timedelta(days=14)
# Statuses whose sessions keep their occasion (the others were cancelled or missed).
SESSION_STATUSES_WITH_OCCASION: Final = frozenset({"scheduled", "attended"})


class OccasionKind(StrEnum):
    INTAKE = "intake"
    SESSION = "session"
    WEEK = "week"
    DISCHARGE = "discharge"


@dataclass(frozen=True)
class ScheduleSpec:
    """What a schedule asks for; ``every_sessions`` and ``every_weeks`` are None or >= 1."""

    at_intake: bool = False
    every_sessions: int | None = None
    every_weeks: int | None = None
    at_discharge: bool = False

    def __post_init__(self) -> None:
        for name in ("every_sessions", "every_weeks"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 1):
                raise ValueError(f"{name}: expected None or a whole number of at least 1")

    @property
    def is_empty(self) -> bool:
        return not (self.at_intake or self.every_sessions or self.every_weeks or self.at_discharge)

    def describe(self) -> str:
        """E.g. "at intake, every 4 sessions and at discharge"."""
        parts = []
        if self.at_intake:
            parts.append("at intake")
        if self.every_sessions:
            n = self.every_sessions
            parts.append("every session" if n == 1 else f"every {n} sessions")
        if self.every_weeks:
            n = self.every_weeks
            parts.append("every week" if n == 1 else f"every {n} weeks")
        if self.at_discharge:
            parts.append("at discharge")
        if not parts:
            return "not scheduled"
        return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class SessionSlot:
    """A session of the episode as the schedule sees it."""

    number: int
    scheduled_at: datetime
    status: str


@dataclass(frozen=True)
class Occasion:
    """One time a questionnaire is asked for.

    ``key`` is stable (``intake``, ``session-4``, ``week-2``, ``discharge``): a response is
    stored against it, so each occasion is answered once. ``session_at`` is the session's time
    for a session occasion.
    """

    key: str
    kind: OccasionKind
    number: int | None
    opens_at: datetime
    closes_at: datetime | None = None
    session_at: datetime | None = None

    def describe(self) -> str:
        """For the therapist: "intake", "session 4", "week 2", "discharge"."""
        if self.number is None:
            return self.kind.value
        return f"{self.kind.value} {self.number}"


def parse_occasion(key: str) -> tuple[OccasionKind, int | None] | None:
    """The kind and number of an occasion key; None for anything that is not one."""
    if key in (OccasionKind.INTAKE, OccasionKind.DISCHARGE):
        return OccasionKind(key), None
    kind, _, number = key.partition("-")
    if kind not in (OccasionKind.SESSION, OccasionKind.WEEK):
        return None
    if not number.isascii() or not number.isdigit() or number.startswith("0"):
        return None
    return OccasionKind(kind), int(number)


def occasions(
    spec: ScheduleSpec,
    *,
    started_at: datetime,
    ended_at: datetime | None,
    sessions: Sequence[SessionSlot],
    until: datetime,
) -> list[Occasion]:
    """Every occasion of the schedule that has opened by ``until``, in opening order.

    Parameters
    ----------
    spec : ScheduleSpec
    started_at : datetime
        When the episode started (aware).
    ended_at : datetime or None
        When it ended; None while it is active. Regular occasions stop there.
    sessions : sequence of SessionSlot
        The episode's sessions, any order.
    until : datetime
        Occasions opening after this are left out.
    """
    found: list[Occasion] = []
    regular_end = until if ended_at is None else min(until, ended_at)
    if spec.at_intake and started_at <= regular_end:
        found.append(Occasion("intake", OccasionKind.INTAKE, None, started_at))
    if spec.every_sessions:
        for slot in sorted(sessions, key=lambda s: s.number):
            if slot.number % spec.every_sessions or slot.status not in (
                SESSION_STATUSES_WITH_OCCASION
            ):
                continue
            opens = slot.scheduled_at - WAITING_ROOM_LEAD
            if opens <= regular_end:
                found.append(
                    Occasion(
                        f"session-{slot.number}",
                        OccasionKind.SESSION,
                        slot.number,
                        opens,
                        session_at=slot.scheduled_at,
                    )
                )
    if spec.every_weeks:
        week = spec.every_weeks
        while (opens := started_at + timedelta(weeks=week)) <= regular_end:
            found.append(Occasion(f"week-{week}", OccasionKind.WEEK, week, opens))
            week += spec.every_weeks
    found.sort(key=lambda o: o.opens_at)
    # Each regular occasion closes when the next one opens, or when the episode ends.
    closed: list[Occasion] = []
    for index, occasion in enumerate(found):
        closes = found[index + 1].opens_at if index + 1 < len(found) else ended_at
        closed.append(_with_close(occasion, closes))
    if spec.at_discharge and ended_at is not None and ended_at <= until:
        closed.append(
            Occasion(
                "discharge",
                OccasionKind.DISCHARGE,
                None,
                ended_at,
                closes_at=ended_at + DISCHARGE_OPEN_FOR,
            )
        )
    return closed


def _with_close(occasion: Occasion, closes: datetime | None) -> Occasion:
    return Occasion(
        occasion.key,
        occasion.kind,
        occasion.number,
        occasion.opens_at,
        closes_at=closes,
        session_at=occasion.session_at,
    )


def due(
    spec: ScheduleSpec,
    *,
    started_at: datetime,
    ended_at: datetime | None,
    sessions: Sequence[SessionSlot],
    answered: Collection[str],
    now: datetime,
) -> list[Occasion]:
    """The occasions the client can answer at ``now``: open, and not yet answered.

    At most two: the latest regular occasion and the discharge one.
    """
    return [
        occasion
        for occasion in occasions(
            spec, started_at=started_at, ended_at=ended_at, sessions=sessions, until=now
        )
        if is_open(occasion, now) and occasion.key not in answered
    ]


def is_open(occasion: Occasion, now: datetime) -> bool:
    """Whether ``now`` lies in [opens_at, closes_at)."""
    return occasion.opens_at <= now and (occasion.closes_at is None or now < occasion.closes_at)
