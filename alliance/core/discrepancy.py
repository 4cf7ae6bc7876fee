"""Two views of the same hour: the client's check-in and the therapist's rating of a session.

After a session the client rates the bond, the tasks and the goals (``alliance.core.checkin``,
1–7 each, averaged) and the therapist rates the same three parts in therapist wording
(:data:`THERAPIST_RATING_DEFINITION`, same 1–7 scale, same mean). When the client's mean is
below the therapist's by more than a reliable difference on consecutive sessions rated by both,
the therapist may be seeing a better hour than the client had: a *discrepancy* signal, which
joins the repair loop like a rupture signal. The client never sees the therapist's rating.

Rule
----
For each session rated by both, ``gap = therapist mean − client mean``. A session is
*discrepant* when ``gap > threshold``. A signal fires at the second of two (``consecutive``)
discrepant sessions in a row among the sessions rated by both (a session one side did not rate
neither breaks nor extends a run); every further discrepant session in the same run belongs to
the same signal, keyed on the session where the run began.

The threshold is the reliable-change value of the check-in (Jacobson & Truax 1991):
``1.96 · SD · √(2 · (1 − r))``. With the check-in's assumed SD 1.0 and reliability .85 it is
``1.96 · √0.30 = 1.0735`` points on the 1–7 scale. Reading the two ratings as two scores of one
measure is our assumption: they are different raters with different items, and the therapist
items have no reliability of their own yet. Two sessions in a row, not one, because a single
session's gap of about one point is within what two raters' error alone can make.

Sources
-------
* Igra, Lavi-Rotenberg, Lazarus & Atzil-Slonim (2020): client–therapist alliance discrepancy,
  d ≈ −.46 in severe and personality disorders (clients rate lower) *(to verify against the
  paper: the figure, its direction and the samples were taken from the issue text)*.
* Laws, Constantino, Coyne et al. (2017): alliance ratings that converged over treatment
  predicted improvement *(to verify: taken from the issue text)*.
* Jacobson & Truax (1991): the reliable-change formula (as in ``alliance.core.change``).

Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final

from alliance.core.change import reliable_change_threshold
from alliance.core.checkin import CHECKIN
from alliance.core.instruments import Instrument, load_instrument
from alliance.core.safety import gettext_noop as _

__all__ = [
    "CONSECUTIVE",
    "DEFAULT_THRESHOLD",
    "THERAPIST_RATING",
    "THERAPIST_RATING_DEFINITION",
    "Discrepancy",
    "RatedSession",
    "detect_discrepancies",
    "discrepancy_threshold",
]

# The client's own 1-7 options, so the two views are on one scale by construction.
_SEVEN_POINT: Final = [
    {"value": option.value, "label": option.label} for option in CHECKIN.item("bond").options
]

# Our own wording: the same three parts of the alliance as the client's check-in (Bordin 1979),
# from the therapist's side of the room. Raise ``version`` when wording or options change.
THERAPIST_RATING_DEFINITION: Final[dict[str, object]] = {
    "id": "alliance-therapist-rating",
    "version": 1,
    "title": _("Your view of this session"),
    "description": _("Three quick ratings, about twenty seconds. Your client never sees them."),
    "licence": "Original items © the Alliance contributors, free to use under the project's "
    "licence",
    "attribution": "Original items by the Alliance contributors, following the three parts of "
    "the working alliance described by Bordin (1979).",
    "items": [
        {
            "key": "bond",
            "kind": "choice",
            "text": _("How connected and trusting did the two of you feel today?"),
            "options": _SEVEN_POINT,
            "required": True,
        },
        {
            "key": "tasks",
            "kind": "choice",
            "text": _("How much were you and your client at one on what you did today, and how?"),
            "options": _SEVEN_POINT,
            "required": True,
        },
        {
            "key": "goals",
            "kind": "choice",
            "text": _("How much did today's work serve the goals your client cares about?"),
            "options": _SEVEN_POINT,
            "required": True,
        },
    ],
    "scoring": {
        "composite": {
            "name": "alliance",
            "items": ["bond", "tasks", "goals"],
            "method": "mean",
            "min_answered": 3,
        },
        "subscales": [],
    },
}

THERAPIST_RATING: Final[Instrument] = load_instrument(THERAPIST_RATING_DEFINITION)

CONSECUTIVE: Final = 2


def discrepancy_threshold(*, sd: float | None = None, reliability: float | None = None) -> float:
    """The gap (therapist mean − client mean, in points) above which a session is discrepant.

    .. math:: 1.96 \\cdot SD \\cdot \\sqrt{2 (1 - r_{xx})}

    Parameters
    ----------
    sd, reliability : float, optional
        The check-in's norms SD and reliability; the check-in definition's (assumed) values by
        default. A clinic with its own estimates passes them.

    References
    ----------
    Jacobson & Truax (1991), via ``alliance.core.change.reliable_change_threshold``.

    Examples
    --------
    >>> round(discrepancy_threshold(), 4)
    1.0735
    """
    return reliable_change_threshold(
        sd=CHECKIN.norms_sd if sd is None else sd,  # type: ignore[arg-type]
        reliability=CHECKIN.reliability if reliability is None else reliability,  # type: ignore[arg-type]
    )


DEFAULT_THRESHOLD: Final = discrepancy_threshold()


@dataclass(frozen=True)
class RatedSession:
    """One session's two ratings; either may be missing (``None``)."""

    key: Hashable
    index: int  # session number, for ordering
    client: float | None
    therapist: float | None


@dataclass(frozen=True)
class Discrepancy:
    """A run of consecutive discrepant sessions, keyed on the session where it began."""

    start_key: Hashable
    start_index: int
    keys: tuple[Hashable, ...]
    indexes: tuple[int, ...]
    gaps: tuple[float, ...]
    threshold: float
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def latest_key(self) -> Hashable:
        return self.keys[-1]

    @property
    def summary(self) -> str:
        sessions = ", ".join(str(i) for i in self.indexes)
        gaps = ", ".join(f"{g:.2f}" for g in self.gaps)
        return (
            f"Client's rating below the therapist's by more than {self.threshold:.2f} at "
            f"sessions {sessions} (gaps {gaps})."
        )


def _check(value: float, name: str) -> None:
    if not 1.0 <= value <= 7.0:
        raise ValueError(f"{name} must be between 1 and 7, got {value}.")


def detect_discrepancies(
    sessions: Sequence[RatedSession],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    consecutive: int = CONSECUTIVE,
) -> list[Discrepancy]:
    """Every run of at least ``consecutive`` discrepant sessions rated by both.

    Parameters
    ----------
    sessions : sequence of RatedSession
        One care episode's sessions, in any order (sorted by ``index`` here).
    threshold : float
        A session is discrepant when therapist mean − client mean is strictly above this.
    consecutive : int
        How many discrepant sessions in a row (among those rated by both) make a signal.

    Returns
    -------
    list of Discrepancy
        In session order, each with every discrepant session of its run so far.

    Raises
    ------
    ValueError
        On a rating outside 1–7, a negative threshold or ``consecutive`` below 1.

    Examples
    --------
    >>> s = [RatedSession(1, 1, 4.0, 6.0), RatedSession(2, 2, 4.0, 5.5)]
    >>> [d.indexes for d in detect_discrepancies(s, threshold=1.0)]
    [(1, 2)]
    """
    if threshold < 0:
        raise ValueError(f"threshold must be 0 or more, got {threshold}.")
    if consecutive < 1:
        raise ValueError(f"consecutive must be at least 1, got {consecutive}.")
    both = []
    for s in sorted(sessions, key=lambda s: s.index):
        if s.client is None or s.therapist is None:
            continue
        _check(s.client, "client rating")
        _check(s.therapist, "therapist rating")
        both.append(s)
    found: list[Discrepancy] = []
    run: list[tuple[RatedSession, float]] = []

    def close() -> None:
        if len(run) >= consecutive:
            found.append(
                Discrepancy(
                    start_key=run[0][0].key,
                    start_index=run[0][0].index,
                    keys=tuple(s.key for s, _ in run),
                    indexes=tuple(s.index for s, _ in run),
                    gaps=tuple(round(g, 4) for _, g in run),
                    threshold=threshold,
                    detail={
                        "sessions": [s.index for s, _ in run],
                        "client": [s.client for s, _ in run],
                        "therapist": [s.therapist for s, _ in run],
                        "threshold": round(threshold, 4),
                    },
                )
            )

    for s in both:
        gap = s.therapist - s.client  # type: ignore[operator]
        if gap > threshold:
            run.append((s, gap))
        else:
            close()
            run = []
    close()
    return found
