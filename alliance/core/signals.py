"""Rupture signals over one care episode's series of session check-ins.

After each session the client answers a short check-in: three alliance items (1–7, averaged
into one composite score) and three rupture questions (was there tension with the therapist,
did you talk about it, how resolved does it feel now). This module turns the series of
check-ins of one care episode into *signals* for the therapist, each backed by a published
criterion or by a rule of ours that says so:

========================  ==================================================================
kind                      rule (details and sources in the private function that applies it)
========================  ==================================================================
``client_reported``       the client said there was tension (our rule, CLINICAL.md §3)
``reliable_drop``         alliance reliably below the recent baseline (Jacobson & Truax 1991)
``rupture_repair_1sd``    alliance at least 1 SD below the client's own mean (Stiles et al.
                          2004; Strauss et al. 2006; Gumz et al. 2012)
``rupture_repair_2sd``    the same, at least 2 SD below
``sudden_loss``           a large, lasting drop between two check-ins (Tang & DeRubeis 1999,
                          as implemented for sudden losses in the R package *suddengains*,
                          Wiedemann et al. 2020)
``weak_early``            the first check-ins average below the scale midpoint (our rule)
========================  ==================================================================

Real-time semantics
-------------------
A signal at session *i* uses only check-ins up to and including *i*, so what the therapist saw
after session *i* is never contradicted by later data. The one exception is the sudden loss,
which by definition needs the sessions after the drop: it is keyed on the session where the
loss happened and reported once enough later sessions exist (its detail says which were used).
Calling :func:`detect` again after a new check-in therefore returns a superset of the earlier
signals, identified by ``(key, kind)``; the caller upserts alerts on that identity. A later call
may add to a rupture-repair signal's detail (the session at which the alliance recovered), never
remove the signal.

Nothing here imports Django: the functions take and return plain data.

Sources checked for this module
-------------------------------
* Gumz, Brähler, Geyer & Erices (2012), *BMC Med Res Methodol* 12:10 (open access), read through
  excerpts of the article: Stiles et al. called their rupture-repair criterion ad hoc and
  preliminary; the authors propose reporting both the stricter (2 SD) and the less strict
  (1 SD) threshold, and combining intra- and interindividual variability by taking the
  stricter of the two so that small fluctuations in stable courses are not over-rated; the
  simple V shape was the most frequent pattern, a decline over more than one session with a
  sudden repair the second, and the longest downward trend lasted six sessions.
* *suddengains* source (``check_interval`` and ``identify_sg``/``identify_sl``): criterion 1
  compares x_n − x_{n+1} with a cut-off; criterion 2 compares it with a fraction of x_n;
  criterion 3 compares the mean of sessions n−2…n with the mean of n+1…n+3 against a
  two-tailed critical t (df = n_pre + n_post − 2) times the pooled SD weighted by n − 1, needs
  at least two values on each side, and with α = .05 uses 2.776, 3.182 and 4.303 for df 4, 3
  and 2.

Not checked against the originals (taken from CLINICAL.md or the task brief): Stiles et al.
(2004) and Strauss et al. (2006) themselves — which of them used 1 SD and which 2 SD, whether
their mean and SD came from the whole course (a retrospective analysis) and how each defined the
repair; Tang & DeRubeis (1999) beyond the R package; the Jacobson & Truax (1991) formula; the
dropout findings of Barnicot et al. (2011) and Arntz et al. (2022).
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from itertools import accumulate, compress, islice, repeat
from operator import attrgetter, mul, sub, truediv
from types import MappingProxyType
from typing import Any, Final, NoReturn, cast

from alliance.core.change import CRITICAL_T_05, sudden_change

__all__ = [
    "DEFAULT_SETTINGS",
    "CheckinPoint",
    "Severity",
    "Signal",
    "SignalKind",
    "SignalSettings",
    "detect",
    "detect_for_latest",
    "reference_sd_from_series",
]

ALLIANCE_MIN: Final = 1.0
ALLIANCE_MAX: Final = 7.0

# A proper minus sign reads better than a hyphen in sentences shown to therapists.
_MINUS: Final = "\u2212"


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckinPoint:
    """One session's check-in, as the signal rules see it.

    Attributes
    ----------
    key : Hashable
        The session's identifier; opaque to this module and copied into the signals.
    index : int
        Session number within the care episode, starting at 1. Gaps mean sessions without a
        check-in.
    alliance : float or None
        Composite alliance score, the mean of three items scored 1–7; ``None`` if not scored.
    tension : int or None
        Client-reported tension with the therapist: 0 none, 1 a little, 2 some, 3 quite a bit,
        4 a lot.
    resolved : int or None
        How resolved the tension feels now: 0 not at all, 1 a little, 2 partly, 3 mostly,
        4 completely. Asked only when ``tension`` is at least 1.
    talked : int or None
        Whether client and therapist talked about it: 0 no, 1 a little, 2 yes.
    """

    key: Hashable
    index: int
    alliance: float | None
    tension: int | None = None
    resolved: int | None = None
    talked: int | None = None


class SignalKind(StrEnum):
    """What a signal says happened; the values are stored by the caller."""

    CLIENT_REPORTED = "client_reported"
    RELIABLE_DROP = "reliable_drop"
    RUPTURE_REPAIR_1SD = "rupture_repair_1sd"
    RUPTURE_REPAIR_2SD = "rupture_repair_2sd"
    SUDDEN_LOSS = "sudden_loss"
    WEAK_EARLY = "weak_early"


class Severity(IntEnum):
    """How urgently a signal asks for the therapist's attention."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        """Lower-case name for display: ``"low"``, ``"medium"`` or ``"high"``."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Signal:
    """A signal for the therapist about one session.

    Attributes
    ----------
    kind : SignalKind
        Which rule produced it.
    key, index : Hashable, int
        The session the signal belongs to (copied from its :class:`CheckinPoint`).
    severity : Severity
        Rule-specific; see each rule.
    summary : str
        One calm, factual sentence for the therapist.
    detail : Mapping
        The numbers behind the signal, for charts and the audit trail. A plain ``dict`` of
        JSON-serialisable values, fresh for each signal; treat it as read-only.

    Notes
    -----
    ``(key, kind)`` identifies a signal across calls; ``detail`` and ``summary`` of a
    rupture-repair signal may gain the repair session in a later call. ``detail`` is left out of
    the hash so that signals can be put in sets.
    """

    kind: SignalKind
    key: Hashable
    index: int
    severity: Severity
    summary: str
    detail: Mapping[str, float | int | str | None] = field(hash=False)


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

# The critical t for df 2, 3 and 4: by default CRITICAL_T_05 of alliance.core.change.
_ALPHA_T_DFS: Final = (2, 3, 4)


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Every threshold of the signal rules, with its source.

    A clinic may override any of them from a JSON file (see :meth:`from_mapping`). Values are
    validated on construction; a bad value raises ``ValueError`` naming the setting.

    Attributes
    ----------
    tension_min : int, default 1
        Client-reported rule fires at or above this tension (1–4). Our rule: any tension at all
        is worth a look, since clients report ruptures less often than therapists and observers
        do (Eubanks, Muran & Safran 2018, as cited in CLINICAL.md §1, *to verify*).
    tension_high : int, default 3
        Client-reported severity is HIGH at or above this tension ("quite a bit"). Our rule;
        at least ``tension_min``.
    baseline_window : int, default 5
        Reliable drop: the baseline is the mean of up to this many previous scored check-ins.
    baseline_min : int, default 3
        Reliable drop: at least this many previous scored check-ins are needed (at most
        ``baseline_window``).
    reference_sd : float, default 1.0
        Between-person SD of the alliance score. An assumed default for a 1–7 composite; a clinic
        should estimate its own with :func:`reference_sd_from_series`. Used for S_diff and as the
        between-person floor of the rupture-repair SD (Gumz et al. 2012).
    reliability : float, default 0.85
        Reliability of the alliance score for S_diff, strictly between 0 and 1. Assumed: our
        items have no published reliability.
    rci_z : float, default 1.96
        Reliable change at two-tailed p < .05 (Jacobson & Truax 1991).
    dip_min_history : int, default 4
        Rupture-repair: the client's own mean and SD need at least this many previous scored
        check-ins (at least 2, since an SD needs two values).
    repair_window : int, default 6
        Rupture-repair: a return within this many sessions after the dip counts as repair.
        Gumz et al. (2012) saw declines of up to six sessions.
    sudden_cutoff : float or None, default None
        Sudden loss criterion 1; ``None`` means the reliable change threshold
        ``rci_z * S_diff`` (as suggested by suddengains' ``define_crit1_cutoff``).
    sudden_fraction : float, default 0.25
        Sudden loss criterion 2: the drop is at least this fraction of the score before it
        (Tang & DeRubeis 1999). 0 switches the criterion off; must be below 1.
    sudden_alpha_t : Mapping[int, float], default {2: 4.303, 3: 3.182, 4: 2.776}
        Sudden loss criterion 3: critical two-tailed t at alpha .05 for df 2, 3 and 4, the only
        degrees of freedom that up to three sessions on each side can give.
    early_sessions : int, default 3
        Weak early alliance: check-ins of sessions 1 to this number count as early.
    early_threshold : float, default 4.0
        Weak early alliance fires when the running mean of early scores is below this (1–7).
        Our documented choice, the midpoint of the 1–7 scale, not a validated cut-off.
    """

    tension_min: int = 1
    tension_high: int = 3
    baseline_window: int = 5
    baseline_min: int = 3
    reference_sd: float = 1.0
    reliability: float = 0.85
    rci_z: float = 1.96
    dip_min_history: int = 4
    repair_window: int = 6
    sudden_cutoff: float | None = None
    sudden_fraction: float = 0.25
    sudden_alpha_t: Mapping[int, float] = field(default_factory=lambda: CRITICAL_T_05, hash=False)
    early_sessions: int = 3
    early_threshold: float = 4.0

    def __post_init__(self) -> None:
        _check_int("tension_min", self.tension_min, 1, 4)
        _check_int("tension_high", self.tension_high, 1, 4)
        if self.tension_high < self.tension_min:
            raise ValueError(
                f"tension_high: must be at least tension_min ({self.tension_min}), "
                f"got {self.tension_high}"
            )
        _check_int("baseline_window", self.baseline_window, 1, None)
        _check_int("baseline_min", self.baseline_min, 1, None)
        if self.baseline_min > self.baseline_window:
            raise ValueError(
                f"baseline_min: must not exceed baseline_window ({self.baseline_window}), "
                f"got {self.baseline_min}"
            )
        self._set_float("reference_sd", _positive("reference_sd", self.reference_sd))
        reliability = _number("reliability", self.reliability)
        if not 0.0 < reliability < 1.0:
            raise ValueError(
                f"reliability: must be between 0 and 1 (exclusive), got {self.reliability!r}"
            )
        self._set_float("reliability", reliability)
        self._set_float("rci_z", _positive("rci_z", self.rci_z))
        _check_int("dip_min_history", self.dip_min_history, 2, None)
        _check_int("repair_window", self.repair_window, 1, None)
        if self.sudden_cutoff is not None:
            self._set_float("sudden_cutoff", _positive("sudden_cutoff", self.sudden_cutoff))
        fraction = _number("sudden_fraction", self.sudden_fraction)
        if not 0.0 <= fraction < 1.0:
            raise ValueError(
                f"sudden_fraction: must be at least 0 and below 1, got {self.sudden_fraction!r}"
            )
        self._set_float("sudden_fraction", fraction)
        object.__setattr__(self, "sudden_alpha_t", _alpha_t(self.sudden_alpha_t))
        _check_int("early_sessions", self.early_sessions, 1, None)
        threshold = _number("early_threshold", self.early_threshold)
        if not ALLIANCE_MIN <= threshold <= ALLIANCE_MAX:
            raise ValueError(
                f"early_threshold: must be between 1 and 7, got {self.early_threshold!r}"
            )
        self._set_float("early_threshold", threshold)

    def _set_float(self, name: str, value: float) -> None:
        # JSON gives 1 for 1.0; store floats so that settings compare and print consistently.
        object.__setattr__(self, name, value)

    @property
    def s_diff(self) -> float:
        """Standard error of the difference between two scores (Jacobson & Truax 1991).

        ``S_diff = reference_sd · √2 · √(1 − reliability)``; with the defaults
        1.0 · 1.4142 · 0.3873 = 0.5477.
        """
        return _s_diff(self.reference_sd, self.reliability)

    @property
    def sudden_threshold(self) -> float:
        """Sudden loss criterion 1 in score points: ``sudden_cutoff`` or ``rci_z · S_diff``.

        With the defaults 1.96 · 0.5477 = 1.0735.
        """
        if self.sudden_cutoff is not None:
            return self.sudden_cutoff
        return self.rci_z * self.s_diff

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SignalSettings:
        """Build settings from a clinic's overrides, e.g. parsed JSON.

        Parameters
        ----------
        data : Mapping[str, object]
            Setting names to values; missing names keep their defaults. ``sudden_alpha_t`` may
            use string keys (``{"2": 4.303, ...}``) since JSON keys are strings.

        Returns
        -------
        SignalSettings

        Raises
        ------
        ValueError
            For a non-mapping, an unknown setting name, a value of the wrong type or out of
            range, e.g. ``"reliability: must be between 0 and 1 (exclusive), got 1.2"``.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"settings must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(name) for name in data if name not in known)
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            raise ValueError(f"unknown setting(s): {names}; known: {', '.join(sorted(known))}")
        values = dict(data)
        if "sudden_alpha_t" in values:
            values["sudden_alpha_t"] = _alpha_t_from_json(values["sudden_alpha_t"])
        # Types are checked by __post_init__, which names the offending setting.
        return cast(Any, cls)(**values)  # type: ignore[no-any-return]


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    # bool is an int subclass, but `true` in a settings file is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    if high is None:
        if value < low:
            raise ValueError(f"{name}: must be at least {low}, got {value}")
    elif not low <= value <= high:
        raise ValueError(f"{name}: must be between {low} and {high}, got {value}")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


def _positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= 0.0:
        raise ValueError(f"{name}: must be greater than 0, got {value!r}")
    return number


def _alpha_t_from_json(value: object) -> object:
    if not isinstance(value, Mapping):
        return value  # _alpha_t reports the type error
    converted: dict[object, object] = {}
    for df, t in value.items():
        if isinstance(df, str) and df.strip().isdigit():
            converted[int(df)] = t
        else:
            converted[df] = t
    return converted


def _alpha_t(value: object) -> Mapping[int, float]:
    if not isinstance(value, Mapping):
        raise ValueError(f"sudden_alpha_t: must be a mapping, got {type(value).__name__}")
    keys = set(value)
    if keys != set(_ALPHA_T_DFS):
        shown = ", ".join(repr(k) for k in sorted(keys, key=repr))
        raise ValueError(
            f"sudden_alpha_t: must give the critical t for df 2, 3 and 4 exactly, "
            f"got keys [{shown}]"
        )
    table: dict[int, float] = {}
    for df in _ALPHA_T_DFS:
        table[df] = _positive(f"sudden_alpha_t[{df}]", value[df])
    return MappingProxyType(table)


DEFAULT_SETTINGS: Final = SignalSettings()


def _s_diff(reference_sd: float, reliability: float) -> float:
    # Kept local rather than shared with the change-statistics module so that the two can
    # evolve (and be tested) independently; it is one line of Jacobson & Truax.
    return reference_sd * math.sqrt(2.0) * math.sqrt(1.0 - reliability)


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def detect(
    points: Sequence[CheckinPoint], settings: SignalSettings = DEFAULT_SETTINGS
) -> list[Signal]:
    """Every signal over one care episode's check-ins.

    Parameters
    ----------
    points : Sequence[CheckinPoint]
        The episode's check-ins sorted by session index, without duplicates. Points with
        ``alliance=None`` take part only in the client-reported rule.
    settings : SignalSettings
        Thresholds; the defaults are documented on :class:`SignalSettings`.

    Returns
    -------
    list[Signal]
        Sorted by session index, then by kind in the order of :class:`SignalKind`.

    Raises
    ------
    ValueError
        If indices are not positive integers, not strictly increasing (unsorted or duplicate),
        alliance is outside 1–7 (or NaN), tension or resolved outside 0–4, talked outside 0–2,
        or ``resolved`` is given without tension.

    Notes
    -----
    Deterministic and prefix-monotone: for any ``k``, the ``(key, kind)`` pairs of
    ``detect(points[:k])`` are among those of ``detect(points[:k + 1])``, and every signal
    other than a rupture-repair one is returned unchanged. The rules are:

    * client-reported — :func:`_client_reported`
    * reliable drop — :func:`_reliable_drops`
    * rupture-repair, 1 SD and 2 SD — :func:`_rupture_repairs`
    * sudden loss — :func:`_sudden_losses`
    * weak early alliance — :func:`_weak_early`

    Cost is linear in the number of points (see ``benchmarks/signals_core.py``); most of it is
    validation and building the signals, since the per-session tests run in C over running sums.

    Examples
    --------
    >>> scores = [6.0, 6.0, 5.5, 6.5, 6.0, 4.9]
    >>> pts = [CheckinPoint(key=i, index=i, alliance=a) for i, a in enumerate(scores, 1)]
    >>> [s.kind.value for s in detect(pts)]
    ['reliable_drop', 'rupture_repair_1sd']
    """
    return _detect(points, settings)


def _detect(
    points: Sequence[CheckinPoint], settings: SignalSettings, *, reported_from: int = 0
) -> list[Signal]:
    """``detect``, with the client-reported rule applied from position ``reported_from`` on.

    That rule looks at one check-in at a time, so its signals at earlier positions cannot
    depend on later points: ``detect_for_latest`` skips them (they were found when those
    check-ins came in), which over a long tense history was most of its cost.
    """
    series = _scan(points)
    found: list[Signal] = []
    _client_reported(series, settings, found, start=reported_from)
    _reliable_drops(series, settings, found)
    _rupture_repairs(series, settings, found)
    _sudden_losses(series, settings, found)
    _weak_early(series, settings, found)
    # The rules run in SignalKind order and each appends in session order, so a stable sort on
    # the session index alone orders by session, then kind.
    found.sort(key=_BY_INDEX)
    return found


def detect_for_latest(
    points: Sequence[CheckinPoint], settings: SignalSettings = DEFAULT_SETTINGS
) -> list[Signal]:
    """The signals that the last check-in newly makes possible.

    Those keyed on the last point, plus sudden losses at earlier sessions that the last point
    confirms (their ``detail["confirmed_index"]`` is the last index). Used after each new
    check-in; the union over all prefixes equals :func:`detect` on the whole series.

    Notes
    -----
    A rupture-repair signal of an earlier session whose repair the last point shows is *not*
    returned: the signal itself is not new. Call :func:`detect` to refresh the ``repaired_index``
    of open alerts. The whole series is re-validated and re-scanned (linear cost).
    """
    if not points:
        return detect(points, settings)
    found = _detect(points, settings, reported_from=len(points) - 1)
    last = points[-1].index
    return [
        signal
        for signal in found
        if signal.index == last
        or (signal.kind is SignalKind.SUDDEN_LOSS and signal.detail["confirmed_index"] == last)
    ]


def reference_sd_from_series(series: Sequence[Sequence[float | None]]) -> float | None:
    """Estimate the between-person SD of the alliance score from a clinic's own data.

    The SD (n − 1 denominator) of each client's first scored value: a between-person spread at
    a comparable point in treatment, as Jacobson & Truax (1991) take the SD of a pre-treatment
    sample. Later scores are left out because a client's own series is correlated over time.

    Parameters
    ----------
    series : Sequence[Sequence[float or None]]
        One sequence of alliance scores per client, in session order; ``None`` means not scored.

    Returns
    -------
    float or None
        The SD, or ``None`` when fewer than two clients have a scored value, or when all first
        values are equal (a zero SD cannot serve as a reference).

    Raises
    ------
    ValueError
        If a first scored value is outside 1–7 (or NaN).

    Examples
    --------
    >>> round(reference_sd_from_series([[5.0, 6.0], [None, 7.0], [6.0]]), 4)
    1.0
    """
    firsts: list[float] = []
    for number, values in enumerate(series):
        for value in values:
            if value is None:
                continue
            if not ALLIANCE_MIN <= value <= ALLIANCE_MAX:
                raise ValueError(
                    f"series[{number}]: alliance must be between 1 and 7, got {value!r}"
                )
            firsts.append(float(value))
            break
    if len(firsts) < 2:
        return None
    sd = statistics.stdev(firsts)
    return sd if sd > 0.0 else None


# ---------------------------------------------------------------------------------------------
# Validation and extraction
# ---------------------------------------------------------------------------------------------

_TENSION_VALUES: Final = frozenset({0, 1, 2, 3, 4})
_TALKED_VALUES: Final = frozenset({0, 1, 2})


@dataclass(slots=True)
class _Series:
    """What the rules need from one validated series, extracted once.

    ``scores``, ``indices`` and ``positions`` describe the scored check-ins: the alliance value,
    the session index and the position in ``points``. ``prefix[j]`` is the sum of the first *j*
    scores (``prefix[0] == 0``), so the mean of any run of earlier scores costs two look-ups.
    ``tense`` holds the positions of check-ins with any tension.
    """

    points: Sequence[CheckinPoint]
    scores: list[float]
    indices: list[int]
    positions: list[int]
    tense: list[int]
    prefix: list[float]


def _scan(points: Sequence[CheckinPoint]) -> _Series:
    """Validate the series and pull out what the rules need, in one pass."""
    scores: list[float] = []
    indices: list[int] = []
    positions: list[int] = []
    tense: list[int] = []
    # Bound methods: this loop runs once per point of every client on each recomputation.
    add_score, add_index, add_position = scores.append, indices.append, positions.append
    previous = 0
    for position, point in enumerate(points):
        index = point.index
        if type(index) is not int or index <= previous:
            _bad_index(position, index, previous)
        previous = index
        alliance = point.alliance
        if alliance is not None:
            # Written so that NaN fails too.
            if not ALLIANCE_MIN <= alliance <= ALLIANCE_MAX:
                raise ValueError(
                    f"points[{position}] (index {index}): alliance must be between 1 and 7, "
                    f"got {alliance!r}"
                )
            add_score(alliance)
            add_index(index)
            add_position(position)
        tension = point.tension
        if tension is not None:
            if tension not in _TENSION_VALUES:
                raise ValueError(
                    f"points[{position}] (index {index}): tension must be an integer from 0 "
                    f"to 4, got {tension!r}"
                )
            if tension:
                tense.append(position)
        if point.resolved is not None:
            _check_resolved(position, point)
        talked = point.talked
        if talked is not None and talked not in _TALKED_VALUES:
            raise ValueError(
                f"points[{position}] (index {index}): talked must be 0, 1 or 2, got {talked!r}"
            )
    # Running sums in C: the rules below test every session against means of earlier scores.
    prefix = list(accumulate(scores, initial=0.0))
    return _Series(points, scores, indices, positions, tense, prefix)


def _bad_index(position: int, index: object, previous: int) -> NoReturn:
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise ValueError(f"points[{position}]: index must be a positive integer, got {index!r}")
    if index == previous:
        raise ValueError(f"points[{position}]: duplicate index {index}")
    raise ValueError(
        f"points must be sorted by index: points[{position}] has index {index} "
        f"after index {previous}"
    )


def _check_resolved(position: int, point: CheckinPoint) -> None:
    resolved = point.resolved
    if resolved not in _TENSION_VALUES:
        raise ValueError(
            f"points[{position}] (index {point.index}): resolved must be an integer from 0 to 4, "
            f"got {resolved!r}"
        )
    if not point.tension:
        # The check-in asks how resolved it feels only after some tension was reported; a value
        # here means the caller mixed up answers.
        raise ValueError(
            f"points[{position}] (index {point.index}): resolved is only asked when tension "
            f"is at least 1, got resolved={resolved} with tension={point.tension}"
        )


_BY_INDEX: Final = attrgetter("index")


def _signed(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return _MINUS + text[1:] if text.startswith("-") else text


def _sessions(indices: Sequence[int]) -> str:
    return ", ".join(str(index) for index in indices)


# Relative slack for the C-level pre-filters below: they may let through a session that the
# exact test then rejects, never the other way round, so rounding cannot hide a signal.
_SLACK: Final = 1e-9


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

# The answer options of the check-in (alliance.core.checkin), lower-cased to fit a sentence;
# repeated here so that the signal rules do not depend on the form's module.
_TENSION_WORDS: Final = {1: "a little", 2: "some", 3: "quite a bit of", 4: "a lot of"}
_RESOLVED_WORDS: Final = {0: "not at all", 1: "a little", 2: "partly", 3: "mostly", 4: "completely"}
_TALKED_WORDS: Final = {0: "no", 1: "a little", 2: "yes"}


def _client_reported(
    series: _Series, settings: SignalSettings, found: list[Signal], *, start: int = 0
) -> None:
    """Client-reported tension (rule a).

    Fires at a check-in whose tension is at least ``tension_min`` (default 1: any tension).
    Severity:

    * HIGH if tension ≥ ``tension_high`` (default 3), or the tension feels at most a little
      resolved (``resolved ≤ 1``) and was not talked about (``talked == 0``);
    * LOW if it was talked about (``talked == 2``) and feels mostly or completely resolved
      (``resolved ≥ 3``);
    * MEDIUM otherwise, including when those answers are missing.

    Source: our rule. Post-session rupture questions follow the designs of Safran and Muran's
    group (CLINICAL.md §3, *to verify*); an unaddressed, unresolved rupture ranks higher because
    unrepaired ruptures predicted worse outcome (McLaughlin et al. 2014) and unsuccessful
    resolution predicted dropout (Eubanks et al. 2019), both as cited in CLINICAL.md. Sessions
    without an alliance score still count.
    """
    points = series.points
    minimum, high = settings.tension_min, settings.tension_high
    # ``tense`` is in position order: the positions before ``start`` are skipped at once.
    for position in series.tense[bisect_left(series.tense, start) :]:
        point = points[position]
        tension = cast(int, point.tension)
        if tension < minimum:
            continue
        resolved, talked = point.resolved, point.talked
        if tension >= high or (resolved is not None and resolved <= 1 and talked == 0):
            severity = Severity.HIGH
        elif talked == 2 and resolved is not None and resolved >= 3:
            severity = Severity.LOW
        else:
            severity = Severity.MEDIUM
        talked_text = "not answered" if talked is None else _TALKED_WORDS[talked]
        resolved_text = (
            "resolution not answered"
            if resolved is None
            else f"feels {_RESOLVED_WORDS[resolved]} resolved"
        )
        found.append(
            Signal(
                kind=SignalKind.CLIENT_REPORTED,
                key=point.key,
                index=point.index,
                severity=severity,
                summary=(
                    f"Client reported {_TENSION_WORDS[tension]} tension; "
                    f"talked about it: {talked_text}; {resolved_text}."
                ),
                detail={"tension": tension, "resolved": resolved, "talked": talked},
            )
        )


def _reliable_drops(series: _Series, settings: SignalSettings, found: list[Signal]) -> None:
    """Reliable drop below the recent baseline (rule b; Jacobson & Truax 1991).

    .. math::

        b_i = \\frac{1}{m}\\sum_{j=i-m}^{i-1} x_j, \\qquad
        RCI_i = \\frac{x_i - b_i}{S_{diff}}, \\qquad
        S_{diff} = SD_{ref}\\,\\sqrt{2}\\,\\sqrt{1 - r_{xx}}

    where the baseline :math:`b_i` is the mean of the up to ``baseline_window`` (5) previous
    scored check-ins, needing at least ``baseline_min`` (3). Fires when
    :math:`RCI_i \\le -z` with ``rci_z`` = 1.96; severity MEDIUM, HIGH when
    :math:`RCI_i \\le -2z` (−3.92).

    The Jacobson & Truax index compares two single scores; comparing one score with the mean of
    several earlier ones is an approximation: the baseline mean is less noisy than one score,
    so S_diff overstates the error and the rule is, if anything, conservative. Sessions without
    a score are skipped: the baseline is made of the previous *scored* check-ins however far
    apart their session numbers are.

    Worked example (defaults): baseline (6 + 6 + 5.5 + 6.5 + 6) / 5 = 6.0,
    S_diff = 1.0 · √2 · √0.15 = 0.5477; x = 4.9 gives RCI = −2.008 (fires), x = 4.95 gives
    −1.917 (does not).
    """
    scores, prefix = series.scores, series.prefix
    window, needed, z = settings.baseline_window, settings.baseline_min, settings.rci_z
    s_diff = settings.s_diff
    count = len(scores)
    # Sessions with fewer than `window` previous scores: a handful, tested one by one.
    candidates = list(range(needed, min(window, count)))
    if count > window:
        # Full windows, filtered in C: x_j − b_j ≤ −z·S_diff (slightly loosened, see _SLACK).
        # With window sums w_j = prefix[j] − prefix[j − window]: x_j·window − w_j ≤ limit.
        limit = -z * s_diff * window * (1.0 - _SLACK)
        excess = map(
            sub,
            map(mul, scores[window:], repeat(float(window))),
            map(sub, prefix[window:count], prefix[: count - window]),
        )
        candidates.extend(compress(range(window, count), map(limit.__ge__, excess)))
    for j in candidates:
        used = j if j < window else window
        baseline = (prefix[j] - prefix[j - used]) / used
        score = scores[j]
        rci = (score - baseline) / s_diff
        if rci <= -z:
            _emit_drop(series, j, used, baseline, rci, s_diff, z, found)


def _emit_drop(
    series: _Series,
    j: int,
    used: int,
    baseline: float,
    rci: float,
    s_diff: float,
    z: float,
    found: list[Signal],
) -> None:
    score = series.scores[j]
    point = series.points[series.positions[j]]
    found.append(
        Signal(
            kind=SignalKind.RELIABLE_DROP,
            key=point.key,
            index=point.index,
            severity=Severity.HIGH if rci <= -2.0 * z else Severity.MEDIUM,
            summary=(
                f"Alliance {score:.1f} is {baseline - score:.1f} below the recent baseline of "
                f"{baseline:.1f} (RCI {_signed(rci, 2)}, reliable at {z:.2f})."
            ),
            detail={
                "score": score,
                "baseline": baseline,
                "baseline_n": used,
                "baseline_first_index": series.indices[j - used],
                "baseline_last_index": series.indices[j - 1],
                "s_diff": s_diff,
                "rci": rci,
                "rci_z": z,
            },
        )
    )


def _rupture_repairs(series: _Series, settings: SignalSettings, found: list[Signal]) -> None:
    """Rupture-repair dips of 1 and 2 SD below the client's own mean (rule c).

    Criterion (Stiles et al. 2004; Strauss et al. 2006; reviewed by Gumz et al. 2012): a
    session whose alliance score falls at least *k* SD below the client's own mean,

    .. math::

        x_i \\le \\bar{x}_{<i} - k\\,s_i, \\qquad
        s_i = \\max\\left(\\mathrm{SD}(x_{<i}),\\ SD_{ref}\\right), \\qquad k \\in \\{1, 2\\}

    where :math:`\\bar{x}_{<i}` and :math:`\\mathrm{SD}(x_{<i})` (n − 1 denominator) are taken
    over *all previous* scored check-ins, needing at least ``dip_min_history`` (4). Gumz et al.
    propose reporting both thresholds and using the stricter of the within-person and the
    between-person variability so that tiny wobbles in very stable series are not flagged; the
    between-person SD is ``reference_sd``. Stiles called his criterion preliminary, hence the
    settings. Only the strictest kind that fires is emitted (2 SD implies 1 SD): severity
    MEDIUM for 1 SD, HIGH for 2 SD.

    Real time: the published analyses took mean and SD over the whole course after the fact;
    we use only earlier check-ins, so a dip is flagged when it happens and never revised. A
    dip's own score joins the mean and SD of later sessions, so the sessions of a multi-session
    decline each fire only while they stay below the updated threshold.

    Repair: ``detail["repaired_index"]`` is the session index of the first later scored
    check-in within ``repair_window`` (6) sessions (session numbers, so missed sessions count)
    whose score is back to at least :math:`\\bar{x}_{<i} - 1\\,s_i`; ``None`` while not known
    from the points given. ``detail["repair_status"]`` is ``"repaired"``, ``"open"`` (the
    window has not yet passed) or ``"not_repaired"`` (the last point given is at or beyond the
    window's last session). Both may change in a later call; the signal's ``(key, kind)`` does
    not.

    Worked example (defaults): previous scores 6, 6, 6, 6 have mean 6.0 and SD 0, so the SD
    used is the reference 1.0; x = 5.0 is a 1 SD dip (depth 1.0), x = 4.0 a 2 SD dip.
    """
    scores, prefix = series.scores, series.prefix
    needed, reference = settings.dip_min_history, settings.reference_sd
    count = len(scores)
    if count <= needed:
        return
    # The SD used is at least `reference`, so a dip needs mean − x ≥ reference: filtered in C,
    # leaving the SD (and its square root) to the few sessions that pass.
    gaps = map(sub, map(truediv, prefix[needed:count], range(needed, count)), scores[needed:count])
    candidates = list(
        compress(range(needed, count), map((reference * (1.0 - _SLACK)).__le__, gaps))
    )
    if not candidates:
        return
    squares = list(accumulate(map(mul, scores, scores), initial=0.0))
    for j in candidates:
        total = prefix[j]
        mean = total / j
        gap = mean - scores[j]
        within_var = (squares[j] - total * total / j) / (j - 1)
        # Rounding can leave a tiny negative variance for a constant series.
        within_sd = math.sqrt(within_var) if within_var > 0.0 else 0.0
        sd = within_sd if within_sd > reference else reference
        if gap >= sd:
            _emit_dip(series, j, mean, sd, within_sd, settings.repair_window, found)


def _emit_dip(
    series: _Series,
    j: int,
    mean: float,
    sd: float,
    within_sd: float,
    window: int,
    found: list[Signal],
) -> None:
    scores, indices = series.scores, series.indices
    score = scores[j]
    depth = (mean - score) / sd
    strict = mean - score >= 2.0 * sd
    back_to = mean - sd
    repair_by = indices[j] + window
    repaired: int | None = None
    for later in range(j + 1, len(scores)):
        if indices[later] > repair_by:
            break
        if scores[later] >= back_to:
            repaired = indices[later]
            break
    if repaired is not None:
        status = "repaired"
        outcome = f"back within 1 SD at session {repaired}"
    elif series.points[-1].index >= repair_by:
        status = "not_repaired"
        outcome = f"not back within 1 SD by session {repair_by}"
    else:
        status = "open"
        outcome = "not back within 1 SD yet"
    point = series.points[series.positions[j]]
    found.append(
        Signal(
            kind=SignalKind.RUPTURE_REPAIR_2SD if strict else SignalKind.RUPTURE_REPAIR_1SD,
            key=point.key,
            index=point.index,
            severity=Severity.HIGH if strict else Severity.MEDIUM,
            summary=(
                f"Alliance {score:.1f} is {depth:.1f} SD below this client's mean of {mean:.1f} "
                f"(SD {sd:.2f}, from {j} earlier check-ins); {outcome}."
            ),
            detail={
                "score": score,
                "mean": mean,
                "sd": sd,
                "sd_within": within_sd,
                "history_n": j,
                "depth_sd": depth,
                "repair_threshold": back_to,
                "repair_by_index": repair_by,
                "repaired_index": repaired,
                "repair_status": status,
            },
        )
    )


def _sudden_losses(series: _Series, settings: SignalSettings, found: list[Signal]) -> None:
    """Sudden losses of alliance (rule d; Tang & DeRubeis 1999 criteria, as in suddengains).

    For consecutive scored check-ins *n* and *n+1* (consecutive in the series of scored
    check-ins) with drop :math:`d = x_n - x_{n+1}`:

    1. :math:`d \\ge c`, the cut-off ``sudden_cutoff`` (default the reliable change threshold
       :math:`z\\,S_{diff}` = 1.0735);
    2. :math:`d \\ge f\\,x_n` with ``sudden_fraction`` *f* = 0.25;
    3. :math:`\\bar{x}_{pre} - \\bar{x}_{post} > t_{crit}(n_1 + n_2 - 2)\\;s_p`, with
       :math:`s_p = \\sqrt{((n_1 - 1)s_1^2 + (n_2 - 1)s_2^2) / (n_1 + n_2 - 2)}`, where *pre*
       holds the scored check-ins of sessions :math:`i_n - 2 \\ldots i_n` and *post* those of
       :math:`i_{n+1} \\ldots i_{n+1} + 2` (session numbers *i*), and :math:`t_{crit}` comes
       from ``sudden_alpha_t`` (4.303, 3.182, 2.776 for df 2, 3, 4).

    For an alliance score a loss is a decrease. Severity HIGH.

    Missing sessions (CLINICAL.md §4, following suddengains and Lutz et al. 2013): a session
    inside a window without a score lowers :math:`n_1` or :math:`n_2` and so the df, which
    raises the critical t; at least two scored sessions are needed on each side. Unlike
    suddengains, which tests only sessions n and n+1 that both have data, a drop across
    sessions without a check-in is still tested, since in routine care check-ins are often
    skipped; ``detail["sessions_between"]`` says how many sessions lay between the two.

    Real time: the loss is keyed on session n+1, where it happened, and evaluated as soon as the
    post window holds two scored check-ins, then once more if a third arrives within it; it is
    reported at the first evaluation that meets all three criteria and never revised after.
    ``detail["confirmed_index"]`` is the last session used, and ``pre_sessions`` and
    ``post_sessions`` list the sessions used. Because a later evaluation can only add a loss,
    the set of losses only grows as check-ins arrive.

    Worked example (defaults): scores 6.0, 6.0, 6.0, 4.0, 4.0 at sessions 1–5. Between 3 and 4,
    d = 2.0 ≥ 1.0735 and ≥ 0.25 · 6 = 1.5; pre 6, 6, 6 and post 4, 4 have means 6.0 and 4.0,
    pooled SD 0, df 3, so 2.0 > 3.182 · 0 and the loss is confirmed at session 5.
    """
    scores, indices = series.scores, series.indices
    cutoff, fraction = settings.sudden_threshold, settings.sudden_fraction
    count = len(scores)
    # Criterion 1 rules out nearly every pair; filtered in C before any window is built.
    drops = map(sub, scores, islice(scores, 1, None))
    for n in compress(range(count - 1), map((cutoff * (1.0 - _SLACK)).__le__, drops)):
        before = scores[n]
        drop = before - scores[n + 1]
        if drop < cutoff or drop < fraction * before:
            continue
        anchor = indices[n]
        pre = [n]
        for back in (n - 1, n - 2):
            if back >= 0 and indices[back] >= anchor - 2:
                pre.append(back)
        if len(pre) < 2:
            continue
        pre.reverse()
        post_last = indices[n + 1] + 2
        post = [n + 1]
        for ahead in (n + 2, n + 3):
            if ahead < count and indices[ahead] <= post_last:
                post.append(ahead)
        for size in (2, 3):
            if len(post) < size:
                break
            signal = _sudden_loss(series, pre, post[:size], drop, cutoff, settings)
            if signal is not None:
                found.append(signal)
                break


def _sudden_loss(
    series: _Series,
    pre: Sequence[int],
    post: Sequence[int],
    drop: float,
    cutoff: float,
    settings: SignalSettings,
) -> Signal | None:
    scores, indices = series.scores, series.indices
    test = sudden_change(
        [scores[p] for p in pre],
        [scores[p] for p in post],
        increase=False,
        cutoff=cutoff,
        fraction=settings.sudden_fraction,
        critical_t=settings.sudden_alpha_t,
    )
    shift = test.shift
    if not test.sudden or shift is None:
        return None
    n = pre[-1]
    before, after = scores[n], scores[n + 1]
    point = series.points[series.positions[n + 1]]
    pre_indices = [indices[p] for p in pre]
    post_indices = [indices[p] for p in post]
    return Signal(
        kind=SignalKind.SUDDEN_LOSS,
        key=point.key,
        index=point.index,
        severity=Severity.HIGH,
        summary=(
            f"Alliance fell from {before:.1f} at session {indices[n]} to {after:.1f} at session "
            f"{indices[n + 1]} ({drop:.1f} points, {100.0 * drop / before:.0f} % of the earlier "
            f"score) and stayed low: mean {shift.post_mean:.1f} over sessions "
            f"{_sessions(post_indices)} against {shift.pre_mean:.1f} over sessions "
            f"{_sessions(pre_indices)}."
        ),
        detail={
            "score_before": before,
            "score_after": after,
            "drop": drop,
            "cutoff": cutoff,
            "fraction": settings.sudden_fraction,
            "sessions_between": indices[n + 1] - indices[n] - 1,
            "pre_sessions": _sessions(pre_indices),
            "post_sessions": _sessions(post_indices),
            "pre_mean": shift.pre_mean,
            "post_mean": shift.post_mean,
            "pre_sd": shift.pre_sd,
            "post_sd": shift.post_sd,
            "pooled_sd": shift.pooled_sd,
            "df": shift.df,
            "t_crit": shift.critical_t,
            "confirmed_index": post_indices[-1],
        },
    )


def _weak_early(series: _Series, settings: SignalSettings, found: list[Signal]) -> None:
    """Weak early alliance (rule e).

    Among the scored check-ins of sessions 1 to ``early_sessions`` (3), fires at the first one
    where the running mean of early scores is below ``early_threshold`` (4.0); at most once per
    series. Severity MEDIUM.

    Why: the therapeutic relationship predicts dropout (Barnicot et al. 2011, narrative review)
    and most dropout from BPD treatment happens early (Arntz et al. 2022), so a weak start is
    worth raising before the client is gone. The threshold is our documented choice, the
    midpoint of the 1–7 scale ("neither agree nor disagree"), not a validated cut-off; a clinic
    can change it.

    Worked example (defaults): sessions 1–3 score 4.5, 3.0, 4.0: running means 4.5, 3.75
    (fires at session 2), and no second signal at session 3.
    """
    scores, indices, prefix = series.scores, series.indices, series.prefix
    last_early, threshold = settings.early_sessions, settings.early_threshold
    for j in range(len(scores)):
        if indices[j] > last_early:
            return
        mean = prefix[j + 1] / (j + 1)
        if mean < threshold:
            point = series.points[series.positions[j]]
            found.append(
                Signal(
                    kind=SignalKind.WEAK_EARLY,
                    key=point.key,
                    index=point.index,
                    severity=Severity.MEDIUM,
                    summary=(
                        # Two decimals, so that a mean of 3.99 does not read as the 4.0 it
                        # is compared with.
                        f"Early alliance is low: mean {mean:.2f} over the first "
                        f"{f'{j + 1} check-ins' if j else 'check-in'}, below {threshold:.1f}."
                    ),
                    detail={
                        "mean": mean,
                        "n": j + 1,
                        "threshold": threshold,
                        "early_sessions": last_early,
                    },
                )
            )
            return
