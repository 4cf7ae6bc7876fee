"""Rupture-repair sequences over a completed series of alliance scores (a retrospective analysis).

The app itself works in real time (``alliance.core.signals``: each session against the mean and
SD of the *earlier* ones). Published analyses of rupture-repair sequences instead take the mean
and SD of the client's whole course (Stiles et al. 2004; Strauss et al. 2006; Gumz et al. 2012);
``alliance stats ruptures --method retrospective`` uses this module for them. The rule is in
:func:`retrospective_ruptures`; ``docs/statistics.md`` has a worked example.

Nothing here imports Django.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["RetrospectiveRupture", "retrospective_ruptures"]

REPAIRED: Final = "repaired"
NOT_REPAIRED: Final = "not_repaired"
OPEN: Final = "open"


@dataclass(frozen=True, slots=True)
class RetrospectiveRupture:
    """One rupture episode; ``first``, ``last``, ``lowest`` and ``repaired`` are positions in
    the series given (``repaired`` None when the score never came back)."""

    threshold: int
    first: int
    last: int
    lowest: int
    mean: float
    sd_within: float
    sd: float
    repaired: int | None
    status: str
    history: int


def retrospective_ruptures(
    series: Sequence[tuple[int, float]],
    *,
    reference_sd: float,
    min_sessions: int = 5,
    repair_window: int = 6,
) -> list[RetrospectiveRupture]:
    """Rupture episodes at 1 SD and at 2 SD below the mean of the whole series.

    Parameters
    ----------
    series : sequence of (session, score)
        One client's scored sessions, session numbers increasing.
    reference_sd : float
        The between-person SD. The SD used is the larger of it and the client's own SD, the
        stricter of intra- and interindividual variability (Gumz et al. 2012), so that small
        wobbles in a very stable course are not flagged.
    min_sessions : int, default 5
        Fewer scores than this give no episode.
    repair_window : int, default 6
        Sessions from the start of an episode within which a return counts as a repair (Gumz et
        al. saw declines of up to six sessions).

    Returns
    -------
    list of RetrospectiveRupture
        For k = 1, then k = 2: an episode starts at a score at or below mean − k·SD and runs
        until the first later score at or above mean − 1 SD (the repair); scores below in
        between belong to the episode. ``status`` is ``repaired`` when the repair came within
        ``repair_window`` sessions of the start, ``not_repaired`` when it came later or the
        series went past the window without it, and ``open`` when the series ends first.

    Raises
    ------
    ValueError
        Session numbers that do not increase, or a reference SD, score or count that makes
        no sense.

    Examples
    --------
    Scores 6, 6, 6, 6, 3, 6 with reference SD 0.5 have mean 5.5 and SD √1.5; session 5 is
    2.04 SD below the mean, a 2 SD rupture (and so a 1 SD one), repaired at session 6:

    >>> [(r.threshold, r.first, r.repaired, r.status) for r in retrospective_ruptures(
    ...     list(enumerate([6.0, 6.0, 6.0, 6.0, 3.0, 6.0], start=1)), reference_sd=0.5)]
    [(1, 4, 5, 'repaired'), (2, 4, 5, 'repaired')]
    """
    if not math.isfinite(reference_sd) or reference_sd <= 0:
        raise ValueError(f"reference_sd: must be a finite number above 0, got {reference_sd!r}")
    if min_sessions < 2 or repair_window < 1:
        raise ValueError(
            f"min_sessions must be at least 2 and repair_window at least 1, got {min_sessions} "
            f"and {repair_window}"
        )
    for position, (session, score) in enumerate(series):
        if not math.isfinite(score):
            raise ValueError(f"series[{position}]: expected a finite score, got {score!r}")
        if position and session <= series[position - 1][0]:
            raise ValueError(f"series[{position}]: session numbers must increase, got {session}")
    if len(series) < min_sessions:
        return []
    scores = [score for _, score in series]
    mean = statistics.fmean(scores)
    within = statistics.stdev(scores)
    sd = max(within, reference_sd)
    repair_line = mean - sd
    last_session = series[-1][0]
    episodes: list[RetrospectiveRupture] = []
    for k in (1, 2):
        dip_line = mean - k * sd
        i = 0
        while i < len(series):
            if scores[i] > dip_line:
                i += 1
                continue
            start = i
            j = i + 1
            while j < len(series) and scores[j] < repair_line:
                j += 1
            repaired = j if j < len(series) else None
            deadline = series[start][0] + repair_window
            if repaired is not None and series[repaired][0] <= deadline:
                status = REPAIRED
            elif repaired is not None or last_session >= deadline:
                status = NOT_REPAIRED
            else:
                status = OPEN
            episodes.append(
                RetrospectiveRupture(
                    threshold=k,
                    first=start,
                    last=j - 1,
                    lowest=min(range(start, j), key=lambda p: (scores[p], series[p][0])),
                    mean=mean,
                    sd_within=within,
                    sd=sd,
                    repaired=repaired,
                    status=status,
                    history=len(series),
                )
            )
            i = j + 1
    return episodes
