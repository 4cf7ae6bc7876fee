"""Figures for supervision: proportions with honest intervals, and when a comparison is fair.

A supervisor compares therapists on rates (share of ruptures acknowledged, repaired, resolved as
the client confirmed) that often rest on a handful of cases. Each rate is shown with its Wilson
score interval, which behaves at 0 %, 100 % and small n where the textbook (Wald) interval does
not, and therapists are compared on a rate only when every one of them has at least
:data:`MIN_CASES` cases behind it. Nothing here ranks.

Nothing here imports Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["MIN_CASES", "Rate", "comparable", "median", "rate", "wilson_interval"]

MIN_CASES: Final = 10
Z_95: Final = 1.959963984540054


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    .. math::
        \\frac{\\hat p + \\frac{z^2}{2n} \\pm z \\sqrt{\\frac{\\hat p (1-\\hat p)}{n}
        + \\frac{z^2}{4n^2}}}{1 + \\frac{z^2}{n}}

    Parameters
    ----------
    successes : int
        Cases with the outcome, 0 ≤ successes ≤ n.
    n : int
        Cases in all, at least 1.
    z : float
        The normal quantile; 1.96 for a 95 % interval.

    Returns
    -------
    (float, float)
        Lower and upper bound, within [0, 1].

    Raises
    ------
    ValueError
        If ``n`` < 1 or ``successes`` is outside 0…n.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *JASA* 22(158), 209–212. Newcombe, R. G. (1998). Two-sided confidence intervals for the
    single proportion. *Statistics in Medicine* 17, 857–872 (method 3).

    Examples
    --------
    >>> [round(b, 4) for b in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}.")
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


@dataclass(frozen=True)
class Rate:
    """A share with its 95 % Wilson interval; no share at all when ``n`` is 0."""

    successes: int
    n: int

    @property
    def share(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.n) if self.n else None

    @property
    def percents(self) -> tuple[float, float, float] | None:
        """Share, lower and upper bound in percent, for display."""
        if not self.n:
            return None
        low, high = wilson_interval(self.successes, self.n)
        return 100 * self.successes / self.n, 100 * low, 100 * high

    @property
    def enough(self) -> bool:
        """Whether this rate rests on enough cases to be set beside another."""
        return self.n >= MIN_CASES


def rate(successes: int, n: int) -> Rate:
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"successes ({successes}) must be between 0 and n ({n}).")
    return Rate(successes=successes, n=n)


def comparable(rates: Sequence[Rate]) -> bool:
    """Therapists may be set side by side on a rate only when each has ``MIN_CASES`` or more,
    and there are at least two of them."""
    return len(rates) >= 2 and all(r.enough for r in rates)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None when empty.

    Examples
    --------
    >>> median([3.0, 1.0, 2.0]), median([4.0, 1.0, 2.0, 3.0]), median([])
    (2.0, 2.5, None)
    """
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
