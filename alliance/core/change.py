"""Change statistics: reliable change, clinically significant change, sudden gains and losses,
and Cronbach's alpha.

Reliable and clinically significant change follow Jacobson, N. S. & Truax, P. (1991). Clinical
significance: a statistical approach to defining meaningful change in psychotherapy research.
*Journal of Consulting and Clinical Psychology*, 59(1), 12-19. Sudden gains and losses follow
Tang, T. Z. & DeRubeis, R. J. (1999), *Journal of Consulting and Clinical Psychology*, 67(6),
894-904, as implemented in the R package *suddengains* (Wiedemann et al. 2020). Cronbach's alpha
follows Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
*Psychometrika*, 16(3), 297-334.

Every function takes plain numbers and raises ValueError, with a message naming the argument, on
input that would make the result meaningless (an SD of zero, a reliability of one, NaN).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = [
    "CRITICAL_T_05",
    "DEFAULT_Z",
    "ChangeCategory",
    "MeanShift",
    "SuddenChange",
    "classify_change",
    "clinical_cutoff_c",
    "cronbach_alpha",
    "is_reliable",
    "mean",
    "reliable_change_index",
    "reliable_change_threshold",
    "s_diff",
    "sample_sd",
    "sudden_change",
]

# Two-tailed 5 % critical value of the standard normal distribution (Jacobson & Truax 1991).
DEFAULT_Z: Final = 1.96

# Two-tailed critical t at alpha .05 by degrees of freedom, for criterion 3 of a sudden gain or
# loss: with 3 + 3 sessions df = 4, and each missing session lowers df by one. The values of the
# R package suddengains (2.776, 3.182 and 4.303 for df 4, 3 and 2). The one copy: the app's
# sudden-loss signal (alliance.core.signals) and ``alliance stats sudden`` both use it.
CRITICAL_T_05: Final[Mapping[int, float]] = MappingProxyType({2: 4.303, 3: 3.182, 4: 2.776})


class ChangeCategory(StrEnum):
    """Jacobson & Truax (1991) categories of change for one person."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


def s_diff(sd: float, reliability: float) -> float:
    """Standard error of the difference between two scores.

    .. math:: S_{diff} = SD \\sqrt{2} \\sqrt{1 - r_{xx}} = SD \\sqrt{2 (1 - r_{xx})}

    Parameters
    ----------
    sd : float
        Standard deviation of the measure in a reference group (often the pre-treatment SD of
        a clinical sample). Must be greater than 0.
    reliability : float
        Reliability :math:`r_{xx}` of the measure (test-retest or internal consistency),
        strictly between 0 and 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``sd`` is not a finite number above 0, or ``reliability`` is not strictly between
        0 and 1 (at 1 every difference would be "reliable", at 0 none could be measured).

    References
    ----------
    Jacobson & Truax (1991), p. 14.

    Examples
    --------
    >>> round(s_diff(7.5, 0.84), 4)
    4.2426
    """
    _check_sd(sd, "sd")
    _check_reliability(reliability)
    # One square root of the product instead of the paper's two: the same value, one rounding.
    return sd * math.sqrt(2.0 * (1.0 - reliability))


def reliable_change_index(before: float, after: float, *, sd: float, reliability: float) -> float:
    """Reliable change index (RCI) from ``before`` to ``after``.

    .. math:: RC = \\frac{x_2 - x_1}{S_{diff}}

    Positive when the score went up, whatever direction counts as better for the measure.

    Parameters
    ----------
    before, after : float
        The two scores, :math:`x_1` and :math:`x_2`.
    sd, reliability : float
        As for :func:`s_diff`.

    References
    ----------
    Jacobson & Truax (1991), p. 14.

    Examples
    --------
    >>> reliable_change_index(10.0, 20.0, sd=5.0, reliability=0.5)
    2.0
    """
    _check_finite(before, "before")
    _check_finite(after, "after")
    return (after - before) / s_diff(sd, reliability)


def reliable_change_threshold(*, sd: float, reliability: float, z: float = DEFAULT_Z) -> float:
    """The smallest change in raw score points that counts as reliable.

    .. math:: z \\cdot S_{diff}

    A change must be strictly larger than this, as :func:`is_reliable` requires
    :math:`|RC| > z`.

    Examples
    --------
    >>> reliable_change_threshold(sd=5.0, reliability=0.5, z=2.0)
    10.0
    """
    _check_z(z)
    return z * s_diff(sd, reliability)


def is_reliable(rci: float, z: float = DEFAULT_Z) -> bool:
    """Whether a reliable change index shows reliable change: :math:`|RC| > z`.

    With the default :math:`z = 1.96` a change this large would arise from measurement error
    alone less than 5 % of the time (Jacobson & Truax 1991, p. 14). A value exactly at ``z`` is
    not reliable.
    """
    _check_finite(rci, "rci")
    _check_z(z)
    return abs(rci) > z


def clinical_cutoff_c(
    *, clinical_mean: float, clinical_sd: float, functional_mean: float, functional_sd: float
) -> float:
    """Cut-off *c* between the clinical and the functional population.

    .. math:: c = \\frac{s_0 M_1 + s_1 M_0}{s_0 + s_1}

    with :math:`M_1, s_1` the clinical mean and SD and :math:`M_0, s_0` the functional
    (non-clinical) mean and SD: the point equally far, in each group's own SDs, from both means.

    References
    ----------
    Jacobson & Truax (1991), p. 13, criterion c.

    Examples
    --------
    >>> clinical_cutoff_c(
    ...     clinical_mean=15.0, clinical_sd=5.0, functional_mean=5.0, functional_sd=3.0
    ... )
    8.75
    """
    _check_finite(clinical_mean, "clinical_mean")
    _check_finite(functional_mean, "functional_mean")
    _check_sd(clinical_sd, "clinical_sd")
    _check_sd(functional_sd, "functional_sd")
    return (functional_sd * clinical_mean + clinical_sd * functional_mean) / (
        functional_sd + clinical_sd
    )


def classify_change(
    before: float,
    after: float,
    *,
    sd: float,
    reliability: float,
    cutoff: float | None = None,
    higher_is_better: bool,
    z: float = DEFAULT_Z,
) -> ChangeCategory:
    """Classify one person's change from ``before`` to ``after`` (Jacobson & Truax 1991).

    Parameters
    ----------
    before, after : float
        The two scores.
    sd, reliability : float
        As for :func:`s_diff`.
    cutoff : float, optional
        The cut-off *c* from :func:`clinical_cutoff_c`. Without it nobody is "recovered".
    higher_is_better : bool
        True for an alliance score, False for a symptom score such as the PHQ-9.
    z : float
        Critical value for reliable change.

    Returns
    -------
    ChangeCategory
        * ``recovered``: reliable improvement, and the score crossed *c* from the clinical side
          to the functional side;
        * ``improved``: reliable improvement without that crossing (or no cut-off given);
        * ``deteriorated``: reliable worsening;
        * ``unchanged``: otherwise.

    Notes
    -----
    A score exactly at *c* counts as still on the clinical side: *c* is where the two
    populations are equally likely, so reaching it is not yet leaving the clinical range. A
    person who started on the functional side cannot cross *c* and so at best "improved".
    """
    rci = reliable_change_index(before, after, sd=sd, reliability=reliability)
    improvement = rci if higher_is_better else -rci
    if not is_reliable(improvement, z):
        return ChangeCategory.UNCHANGED
    if improvement < 0:
        return ChangeCategory.DETERIORATED
    if cutoff is None:
        return ChangeCategory.IMPROVED
    _check_finite(cutoff, "cutoff")

    def functional(score: float) -> bool:
        return score > cutoff if higher_is_better else score < cutoff

    if not functional(before) and functional(after):
        return ChangeCategory.RECOVERED
    return ChangeCategory.IMPROVED


# Named tuples rather than frozen dataclasses: the app's sudden-loss signal builds one for every
# candidate drop of every client on each recomputation, and they are several times cheaper.
class MeanShift(NamedTuple):
    """Criterion 3 of a sudden gain or loss: the windows before and after the change."""

    pre_mean: float
    post_mean: float
    pre_sd: float
    post_sd: float
    pooled_sd: float
    df: int
    critical_t: float
    difference: float
    """``post_mean - pre_mean`` in the direction looked for (positive when the mean moved so)."""

    @property
    def threshold(self) -> float:
        """The critical t times the pooled SD, which ``difference`` must exceed."""
        return self.critical_t * self.pooled_sd

    @property
    def passed(self) -> bool:
        return self.difference > self.threshold


class SuddenChange(NamedTuple):
    """The three criteria of a sudden gain or loss between sessions *n* and *n* + 1.

    ``size`` is the change from *n* to *n* + 1 in the direction looked for (positive when the
    score moved that way). ``shift`` is None when a window holds fewer than two scores;
    criterion 3 then fails.
    """

    size: float
    cutoff: float
    crit2_threshold: float
    shift: MeanShift | None

    @property
    def crit1(self) -> bool:
        return self.size >= self.cutoff

    @property
    def crit2(self) -> bool:
        return self.size >= self.crit2_threshold

    @property
    def crit3(self) -> bool:
        return self.shift is not None and self.shift.passed

    @property
    def sudden(self) -> bool:
        """All three criteria hold."""
        return self.crit1 and self.crit2 and self.crit3


def sudden_change(
    pre: Sequence[float],
    post: Sequence[float],
    *,
    increase: bool,
    cutoff: float,
    fraction: float = 0.25,
    critical_t: Mapping[int, float] = CRITICAL_T_05,
) -> SuddenChange:
    """Test a change between two sessions against the Tang & DeRubeis (1999) criteria.

    Parameters
    ----------
    pre : sequence of float
        The scores of sessions *n* − 2 … *n* that exist, in session order, ending with the score
        :math:`x_n` before the change.
    post : sequence of float
        The scores of sessions *n* + 1 … that the window holds (*n* + 1 … *n* + 3 in
        *suddengains*), in session order, starting with the score :math:`x_{n+1}` after it.
    increase : bool
        True to look for an increase (a gain on an alliance score, a loss on a symptom score),
        False for a decrease.
    cutoff : float
        Criterion 1, in score points (often the reliable change value :math:`z\\,S_{diff}`).
    fraction : float, default 0.25
        Criterion 2, a fraction of :math:`x_n`.
    critical_t : mapping of int to float, default :data:`CRITICAL_T_05`
        Criterion 3: the critical t by df (2, 3 and 4 for windows of two or three scores).

    Returns
    -------
    SuddenChange
        With :math:`d` = ``size`` the change toward the direction looked for:

        1. :math:`d \\ge` ``cutoff``;
        2. :math:`d \\ge f\\,x_n`;
        3. the difference of the window means, in the same direction, is larger than
           :math:`t_{crit}(n_1 + n_2 - 2)\\;s_p` with the pooled SD
           :math:`s_p = \\sqrt{((n_1 - 1)s_1^2 + (n_2 - 1)s_2^2) / (n_1 + n_2 - 2)}`; it needs
           at least two scores on each side.

    Raises
    ------
    ValueError
        An empty window, a value that is not a finite number, or a df that ``critical_t`` does
        not give (windows of more than three).

    Examples
    --------
    Sessions 19, 21, 20 then 10, 12, 11 on a symptom score (a gain is a decrease), cut-off 5:

    >>> result = sudden_change([19, 21, 20], [10, 12, 11], increase=False, cutoff=5)
    >>> result.size, result.shift.pooled_sd, result.shift.df, result.shift.critical_t
    (10, 1.0, 4, 2.776)
    >>> result.sudden
    True
    """
    if not pre or not post:
        raise ValueError("pre and post: each needs at least the score on its side of the change")
    if not (_all_finite(pre) and _all_finite(post) and _all_finite((cutoff, fraction))):
        # The slow check only to name the culprit: this runs on the app's hot path.
        for name, values in (("pre", pre), ("post", post)):
            for index, value in enumerate(values):
                _check_finite(value, f"{name}[{index}]")
        _check_finite(cutoff, "cutoff")
        _check_finite(fraction, "fraction")
    before, after = pre[-1], post[0]
    # The change toward the direction looked for; negating a difference is exact in floating
    # point, so a decrease is exactly before - after.
    size = after - before if increase else -(after - before)
    shift: MeanShift | None = None
    n1, n2 = len(pre), len(post)
    if n1 >= 2 and n2 >= 2:
        df = n1 + n2 - 2
        if df not in critical_t:
            raise ValueError(f"critical_t: no critical t for df {df} (windows of {n1} and {n2})")
        pre_mean = math.fsum(pre) / n1
        post_mean = math.fsum(post) / n2
        pre_var = _variance_about(pre, pre_mean)
        post_var = _variance_about(post, post_mean)
        shift = MeanShift(
            pre_mean=pre_mean,
            post_mean=post_mean,
            pre_sd=math.sqrt(pre_var),
            post_sd=math.sqrt(post_var),
            pooled_sd=math.sqrt(((n1 - 1) * pre_var + (n2 - 1) * post_var) / df),
            df=df,
            critical_t=critical_t[df],
            difference=post_mean - pre_mean if increase else -(post_mean - pre_mean),
        )
    return SuddenChange(size=size, cutoff=cutoff, crit2_threshold=fraction * before, shift=shift)


def cronbach_alpha(rows: Sequence[Sequence[float]]) -> float:
    """Cronbach's alpha, the internal consistency of a set of items.

    .. math:: \\alpha = \\frac{k}{k - 1}
              \\left(1 - \\frac{\\sum_{i=1}^{k} \\sigma^2_i}{\\sigma^2_X}\\right)

    with :math:`k` items, :math:`\\sigma^2_i` the sample variance (denominator :math:`n - 1`)
    of item :math:`i` and :math:`\\sigma^2_X` that of the respondents' totals. A clinic can
    compute it over its own check-ins and use it as the reliability for reliable change.

    Parameters
    ----------
    rows : sequence of sequences of float
        One row per respondent (or per completed check-in), one column per item, no missing
        values (drop incomplete rows first).

    Returns
    -------
    float
        At most 1; negative when items vary against each other.

    Raises
    ------
    ValueError
        Fewer than 2 rows or 2 items, rows of unequal length, a value that is not a finite
        number, or totals that do not vary (alpha is then undefined).

    References
    ----------
    Cronbach (1951).

    Examples
    --------
    >>> round(cronbach_alpha([[1, 2, 1], [2, 2, 3], [3, 4, 3], [4, 4, 5]]), 4)
    0.9333
    """
    if len(rows) < 2:
        raise ValueError(f"rows: need at least 2 rows (respondents), got {len(rows)}")
    k = len(rows[0])
    if k < 2:
        raise ValueError(f"rows: need at least 2 items (columns), got {k}")
    for index, row in enumerate(rows):
        if len(row) != k:
            raise ValueError(f"rows[{index}]: expected {k} items like rows[0], got {len(row)}")
        for column, value in enumerate(row):
            _check_finite(value, f"rows[{index}][{column}]")

    item_variances = [_sample_variance([row[column] for row in rows]) for column in range(k)]
    total_variance = _sample_variance([math.fsum(row) for row in rows])
    if total_variance == 0:
        raise ValueError("rows: the totals do not vary, so alpha is undefined")
    return (k / (k - 1)) * (1 - math.fsum(item_variances) / total_variance)


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; ValueError for no values or a value that is not finite."""
    if not values:
        raise ValueError("values: need at least 1 value for a mean")
    for index, value in enumerate(values):
        _check_finite(value, f"values[{index}]")
    return math.fsum(values) / len(values)


def sample_sd(values: Sequence[float]) -> float:
    """Sample standard deviation (denominator :math:`n - 1`); ValueError for fewer than 2."""
    if len(values) < 2:
        raise ValueError(f"values: need at least 2 values for a sample SD, got {len(values)}")
    for index, value in enumerate(values):
        _check_finite(value, f"values[{index}]")
    return math.sqrt(_sample_variance(values))


def _sample_variance(values: Sequence[float]) -> float:
    # Two passes over the data with compensated sums: exact enough for any clinic's data and
    # much faster than statistics.variance, which works in exact fractions.
    return _variance_about(values, math.fsum(values) / len(values))


def _variance_about(values: Sequence[float], centre: float) -> float:
    return math.fsum((value - centre) ** 2 for value in values) / (len(values) - 1)


def _all_finite(values: Sequence[float]) -> bool:
    try:
        return all(map(math.isfinite, values))
    except TypeError:  # not a number at all
        return False


def _check_finite(value: float, name: str) -> None:
    # numbers.Real admits NumPy scalars, which a researcher's data will often be.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")


def _check_sd(value: float, name: str) -> None:
    _check_finite(value, name)
    if value <= 0:
        raise ValueError(f"{name}: a standard deviation must be greater than 0, got {value!r}")


def _check_reliability(value: float) -> None:
    _check_finite(value, "reliability")
    if not 0 < value < 1:
        raise ValueError(f"reliability: must be strictly between 0 and 1, got {value!r}")


def _check_z(value: float) -> None:
    _check_finite(value, "z")
    if value <= 0:
        raise ValueError(f"z: must be greater than 0, got {value!r}")
