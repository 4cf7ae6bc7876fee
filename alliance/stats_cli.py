"""``alliance stats``: change statistics over a CSV of scores, for researchers and audits.

::

    alliance stats change   SCORES.csv [--instrument phq9 | --sd SD --reliability R] ...
    alliance stats sudden   SCORES.csv [--direction gains|losses] [--score-type symptom|alliance]
    alliance stats ruptures SCORES.csv [--method retrospective|realtime]

Input
-----
A CSV file with a header row (``-`` reads standard input), in one of two layouts, detected from
the header or given with ``--format``:

* **long**: exactly the columns ``id``, ``session`` and ``score`` (any order, any case), one row
  per measurement. Sessions are whole numbers from 0; rows may come in any order.
* **wide**: the first column is the id, every other column a session in order, one row per
  person. When every session header ends in a whole number ("1", "s1", "week 3") and those
  numbers increase from left to right, they are the session numbers; otherwise the columns are
  numbered 1, 2, 3, … . Output names sessions by their header.

An empty cell or ``NA`` is a missing score. Anything else that is not a finite number is an
error, reported with its line and column; the exit status is then 2 and nothing is written.

Output is CSV on standard output, or in ``--output FILE``; numbers are rounded to 4 decimals;
``true``/``false`` for yes/no columns. The statistics are in ``docs/statistics.md``.

This module is the command line only (options, reading and writing CSV, messages); every
statistic comes from the pure core (``alliance.core.change``, ``alliance.core.retrospective``,
``alliance.core.signals``), the same functions the app uses. No Django.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
import re
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from _csv import Reader

from alliance.cli_language import cli_gettext as _
from alliance.core.change import (
    CRITICAL_T_05,
    DEFAULT_Z,
    classify_change,
    clinical_cutoff_c,
    reliable_change_index,
    reliable_change_threshold,
    sudden_change,
)
from alliance.core.definitions import builtin
from alliance.core.instruments import DefinitionError
from alliance.core.outcomes import OutcomeDefinition, load_outcome_json, score_range
from alliance.core.retrospective import retrospective_ruptures
from alliance.core.signals import CheckinPoint, SignalKind, SignalSettings, detect
from alliance.core.spreadsheet import csv_safe

__all__ = ["main"]

_MISSING: Final = frozenset({"", "NA"})
_TRAILING_NUMBER: Final = re.compile(r".*?([0-9]+)\s*")
_WHOLE: Final = re.compile(r"[+-]?[0-9]+")


class InputError(Exception):
    """A problem with the input file or the options; the message says where and what."""


# --- Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One score in the file, with where it came from."""

    session: int
    label: str
    score: float
    line: int
    column: int


@dataclass
class Person:
    """One person's scored sessions, in session order."""

    id: str
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """The parsed file: people in file order and the session labels in session order."""

    people: list[Person]
    labels: dict[int, str]
    layout: str


def read_scores(text: str, *, layout: str | None = None, name: str = "input") -> Table:
    """Parse a wide or long CSV of scores (layouts in this module's docstring).

    Raises
    ------
    InputError
        With the line and column of the first problem.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark, as spreadsheet programs write
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(
            _("%(file)s: the file is empty; expected a header row") % {"file": name}
        ) from None
    except csv.Error as error:
        raise InputError(
            _("%(file)s: line %(line)s: %(problem)s") % {"file": name, "line": 1, "problem": error}
        ) from None
    header = [cell.strip() for cell in header]
    is_long = [cell.lower() for cell in header] in _LONG_ORDERS
    if layout is None:
        layout = "long" if is_long else "wide"
    if layout == "long" and not is_long:
        raise InputError(
            _(
                "%(file)s: line 1: a long file needs exactly the columns id, session and score, "
                "got %(columns)s"
            )
            % {"file": name, "columns": ", ".join(header) or _("nothing")}
        )
    rows = _rows(reader, len(header), name)
    if layout == "long":
        return _read_long(header, rows, name)
    return _read_wide(header, rows, name)


_LONG_ORDERS: Final = [
    ["id", "session", "score"],
    ["id", "score", "session"],
    ["session", "id", "score"],
    ["session", "score", "id"],
    ["score", "id", "session"],
    ["score", "session", "id"],
]


def _rows(reader: Reader, width: int, name: str) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines, such as a trailing one
            if len(row) != width:
                raise InputError(
                    _(
                        "%(file)s: line %(line)s: expected %(width)s columns like the header, "
                        "got %(got)s"
                    )
                    % {"file": name, "line": line, "width": width, "got": len(row)}
                )
            rows.append((line, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise InputError(
            _("%(file)s: line %(line)s: %(problem)s")
            % {"file": name, "line": reader.line_num, "problem": error}
        ) from None
    return rows


def _read_wide(header: list[str], rows: list[tuple[int, list[str]]], name: str) -> Table:
    if len(header) < 2:
        raise InputError(
            _("%(file)s: line 1: a wide file needs an id column and at least one session column")
            % {"file": name}
        )
    seen: dict[str, int] = {}
    for column, cell in enumerate(header[1:], start=2):
        if not cell:
            raise InputError(
                _("%(file)s: line 1, column %(column)s: the session column has no name")
                % {"file": name, "column": column}
            )
        if cell in seen:
            raise InputError(
                _(
                    "%(file)s: line 1, column %(column)s: %(name)s repeats the name of column "
                    "%(other)s"
                )
                % {"file": name, "column": column, "name": repr(cell), "other": seen[cell]}
            )
        seen[cell] = column
    sessions = _wide_sessions(header[1:])
    labels = dict(zip(sessions, header[1:], strict=True))
    people: list[Person] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        person_id = row[0]
        if not person_id:
            raise InputError(
                _("%(file)s: line %(line)s, column 1: the id is empty")
                % {"file": name, "line": line}
            )
        if person_id in first_line:
            raise InputError(
                _("%(file)s: line %(line)s, column 1: id %(id)s is already on line %(first)s")
                % {
                    "file": name,
                    "line": line,
                    "id": repr(person_id),
                    "first": first_line[person_id],
                }
            )
        first_line[person_id] = line
        person = Person(person_id)
        for column, (session, cell) in enumerate(zip(sessions, row[1:], strict=True), start=2):
            value = _score(cell, name, line, column, header[column - 1])
            if value is not None:
                person.points.append(Point(session, labels[session], value, line, column))
        people.append(person)
    return Table(people, labels, "wide")


def _wide_sessions(names: Sequence[str]) -> list[int]:
    numbers: list[int] = []
    for cell in names:
        match = _TRAILING_NUMBER.fullmatch(cell)
        if match is None:
            break
        numbers.append(int(match.group(1)))
    if len(numbers) == len(names) and all(a < b for a, b in itertools.pairwise(numbers)):
        return numbers
    return list(range(1, len(names) + 1))


def _read_long(header: list[str], rows: list[tuple[int, list[str]]], name: str) -> Table:
    lowered = [cell.lower() for cell in header]
    id_col, session_col, score_col = (lowered.index(key) for key in ("id", "session", "score"))
    people: dict[str, Person] = {}
    where: dict[tuple[str, int], int] = {}
    labels: dict[int, str] = {}
    for line, row in rows:
        person_id = row[id_col]
        if not person_id:
            raise InputError(
                _("%(file)s: line %(line)s, column %(column)s (id): the id is empty")
                % {"file": name, "line": line, "column": id_col + 1}
            )
        cell = row[session_col]
        if not _WHOLE.fullmatch(cell) or int(cell) < 0:
            raise InputError(
                _(
                    "%(file)s: line %(line)s, column %(column)s (session): expected a whole number "
                    "from 0, got %(got)s"
                )
                % {"file": name, "line": line, "column": session_col + 1, "got": repr(cell)}
            )
        session = int(cell)
        if (person_id, session) in where:
            raise InputError(
                _(
                    "%(file)s: line %(line)s: session %(session)s of id %(id)s is already on "
                    "line %(first)s"
                )
                % {
                    "file": name,
                    "line": line,
                    "session": session,
                    "id": repr(person_id),
                    "first": where[person_id, session],
                }
            )
        where[person_id, session] = line
        labels[session] = str(session)
        person = people.setdefault(person_id, Person(person_id))
        value = _score(row[score_col], name, line, score_col + 1, "score")
        if value is not None:
            person.points.append(Point(session, str(session), value, line, score_col + 1))
    for person in people.values():
        person.points.sort(key=lambda point: point.session)
    return Table(list(people.values()), dict(sorted(labels.items())), "long")


def _score(cell: str, name: str, line: int, column: int, column_name: str) -> float | None:
    if cell in _MISSING:
        return None
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or cell.lower() in {"nan", "inf", "-inf", "infinity"}:
        raise InputError(
            _(
                "%(file)s: line %(line)s, column %(column)s (%(name)s): expected a number, an "
                "empty cell or NA, got %(got)s"
            )
            % {"file": name, "line": line, "column": column, "name": column_name, "got": repr(cell)}
        )
    return value


# --- Options -------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(_("must be greater than 0, got %(got)s") % {"got": text})
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a number, got %(got)s") % {"got": repr(text)}
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(
            _("expected a finite number, got %(got)s") % {"got": repr(text)}
        )
    return value


def _reliability(text: str) -> float:
    value = _finite(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            _("must be between 0 and 1 (exclusive), got %(got)s") % {"got": text}
        )
    return value


def _fraction(text: str) -> float:
    value = _finite(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            _("must be at least 0 and below 1, got %(got)s") % {"got": text}
        )
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not _WHOLE.fullmatch(text.strip()) or int(text) < minimum:
            raise argparse.ArgumentTypeError(
                _("expected a whole number from %(minimum)s, got %(got)s")
                % {"minimum": minimum, "got": text}
            )
        return int(text)

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance stats",
        description=_("Change statistics over a CSV of scores (see docs/statistics.md)."),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("file", help=_("CSV file, wide or long; - for standard input"))
        sub.add_argument("--format", choices=("wide", "long"), help=_("default: from the header"))
        sub.add_argument(
            "--output", metavar="FILE", help=_("write here instead of standard output")
        )

    def measure(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument(
            "--instrument",
            choices=("phq9", "gad7"),
            help=_("take SD, reliability, cut-off and direction from a built-in definition"),
        )
        group.add_argument(
            "--definition", metavar="FILE", help=_("the same from an outcome definition file")
        )
        sub.add_argument("--sd", type=_positive, help=_("SD for the reliable change index"))
        sub.add_argument("--reliability", type=_reliability, help=_("reliability r_xx, 0 to 1"))
        sub.add_argument("--z", type=_positive, default=DEFAULT_Z, help=_("default 1.96"))

    change = commands.add_parser(
        "change", help=_("reliable and clinically significant change, first vs last score")
    )
    common(change)
    measure(change)
    change.add_argument(
        "--cutoff", type=_finite, help=_("cut-off c between clinical and functional")
    )
    for option in ("--clinical-mean", "--clinical-sd", "--functional-mean", "--functional-sd"):
        change.add_argument(option, type=_positive if option.endswith("sd") else _finite)
    change.add_argument(
        "--higher-is-better", action="store_true", help=_("default: lower is better (symptoms)")
    )
    change.add_argument("--baseline-col", metavar="SESSION", help=_("default: first score"))
    change.add_argument("--latest-col", metavar="SESSION", help=_("default: last score"))

    sudden = commands.add_parser("sudden", help=_("sudden gains or losses (Tang & DeRubeis 1999)"))
    common(sudden)
    measure(sudden)
    sudden.add_argument("--direction", choices=("gains", "losses"), default="gains")
    sudden.add_argument(
        "--score-type",
        choices=("symptom", "alliance"),
        help=_(
            "symptom: higher is worse; alliance: lower is worse (default: symptom, or the "
            "instrument's direction)"
        ),
    )
    sudden.add_argument(
        "--cutoff", type=_positive, help=_("criterion 1 (default: the reliable change value)")
    )
    sudden.add_argument("--fraction", type=_fraction, default=0.25, help=_("criterion 2"))
    sudden.add_argument(
        "--critical-t",
        type=_positive,
        help=_("criterion 3 (default by df: 2.776, 3.182, 4.303 for df 4, 3, 2)"),
    )
    sudden.add_argument(
        "--all-pairs",
        action="store_true",
        help=_("one row per pair of sessions, not only gains"),
    )

    ruptures = commands.add_parser(
        "ruptures", help=_("rupture-repair sequences in alliance series (1 SD and 2 SD)")
    )
    common(ruptures)
    ruptures.add_argument(
        "--method",
        choices=("retrospective", "realtime"),
        default="retrospective",
        help=_("mean and SD of the whole series, or of earlier sessions only as the app does"),
    )
    ruptures.add_argument(
        "--reference-sd",
        type=_positive,
        help=_("between-person SD (default: SD of everyone's first score in the file)"),
    )
    ruptures.add_argument("--scale-min", type=_finite, default=1.0, help=_("default 1"))
    ruptures.add_argument("--scale-max", type=_finite, default=7.0, help=_("default 7"))
    ruptures.add_argument("--min-sessions", type=_count(3), default=5, help=_("default 5"))
    ruptures.add_argument("--repair-window", type=_count(1), default=6, help=_("default 6"))
    return parser


# --- Entry point ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``alliance stats``; returns the exit status (0, or 2 for bad input or options)."""
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_:
        # argparse has printed the usage and the problem; --help exits with 0.
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        text = _read_input(args.file)
        table = read_scores(text, layout=args.format, name=args.file)
        commands: dict[str, Callable[[argparse.Namespace, Table], list[list[str]]]] = {
            "change": _change,
            "sudden": _sudden,
            "ruptures": _ruptures,
        }
        rows = commands[args.command](args, table)
    except InputError as error:
        print(
            _("alliance stats %(command)s: error: %(problem)s")
            % {"command": args.command, "problem": error},
            file=sys.stderr,
        )
        return 2
    buffer = io.StringIO()
    # Ids come from the input file: neutralised like every CSV Alliance writes.
    csv.writer(buffer, lineterminator="\n").writerows([csv_safe(c) for c in row] for row in rows)
    # Written only now, when everything has been computed, so an error leaves no partial file.
    if args.output:
        Path(args.output).write_text(buffer.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _read_input(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(_("%(file)s: no such file") % {"file": file}) from None
    except UnicodeDecodeError as error:
        raise InputError(
            _("%(file)s: not UTF-8 text (byte %(byte)s)") % {"file": file, "byte": error.start}
        ) from None
    except OSError as error:
        raise InputError(
            _("%(file)s: %(problem)s") % {"file": file, "problem": error.strerror}
        ) from None


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _flag(value: bool) -> str:
    return "true" if value else "false"


# --- change --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Measure:
    sd: float | None
    reliability: float | None
    cutoff: float | None
    higher_is_better: bool | None
    definition: OutcomeDefinition | None


def _measure(args: argparse.Namespace) -> _Measure:
    definition: OutcomeDefinition | None = None
    if args.instrument:
        definition = builtin()[args.instrument]
    elif args.definition:
        try:
            definition = load_outcome_json(Path(args.definition).read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(
                _("--definition %(file)s: %(problem)s")
                % {"file": args.definition, "problem": error.strerror}
            ) from None
        except DefinitionError as error:
            raise InputError(
                _("--definition %(file)s: %(problem)s")
                % {"file": args.definition, "problem": error}
            ) from None
    return _Measure(
        sd=args.sd if args.sd is not None else (definition.sd if definition else None),
        reliability=(
            args.reliability
            if args.reliability is not None
            else (definition.reliability if definition else None)
        ),
        cutoff=definition.cutoff if definition else None,
        higher_is_better=definition.higher_is_better if definition else None,
        definition=definition,
    )


def _change(args: argparse.Namespace, table: Table) -> list[list[str]]:
    measure = _measure(args)
    if measure.sd is None or measure.reliability is None:
        raise InputError(_("give --sd and --reliability, or --instrument / --definition"))
    norms = [args.clinical_mean, args.clinical_sd, args.functional_mean, args.functional_sd]
    if any(value is not None for value in norms) and any(value is None for value in norms):
        raise InputError(
            _("--clinical-mean, --clinical-sd, --functional-mean and --functional-sd go together")
        )
    if args.cutoff is not None and norms[0] is not None:
        raise InputError(_("give --cutoff or the clinical and functional norms, not both"))
    cutoff = measure.cutoff
    if args.cutoff is not None:
        cutoff = args.cutoff
    elif norms[0] is not None:
        cutoff = clinical_cutoff_c(
            clinical_mean=args.clinical_mean,
            clinical_sd=args.clinical_sd,
            functional_mean=args.functional_mean,
            functional_sd=args.functional_sd,
        )
    higher = bool(args.higher_is_better or measure.higher_is_better)
    baseline_session = _session_option(args.baseline_col, "--baseline-col", table)
    latest_session = _session_option(args.latest_col, "--latest-col", table)
    if measure.definition is not None:
        _check_range(table, measure.definition)

    header = [
        "id",
        "baseline_session",
        "baseline",
        "latest_session",
        "latest",
        "change",
        "rci",
        "reliable",
        "category",
        "note",
    ]
    rows = [header]
    for person in table.people:
        first = _pick(person, baseline_session, first=True)
        last = _pick(person, latest_session, first=False)
        note = ""
        if first is None and baseline_session is not None:
            note = "no score at the baseline session"
        elif last is None and latest_session is not None:
            note = "no score at the latest session"
        elif first is None or last is None or first.session >= last.session:
            note = "fewer than two scored sessions"
        if note or first is None or last is None:
            rows.append(
                [
                    person.id,
                    first.label if first else "",
                    _fmt(first.score) if first else "",
                    last.label if last else "",
                    _fmt(last.score) if last else "",
                    *([""] * 4),
                    note,
                ]
            )
            continue
        rci = reliable_change_index(
            first.score, last.score, sd=measure.sd, reliability=measure.reliability
        )
        category = classify_change(
            first.score,
            last.score,
            sd=measure.sd,
            reliability=measure.reliability,
            cutoff=cutoff,
            higher_is_better=higher,
            z=args.z,
        )
        rows.append(
            [
                person.id,
                first.label,
                _fmt(first.score),
                last.label,
                _fmt(last.score),
                _fmt(last.score - first.score),
                _fmt(rci),
                _flag(abs(rci) > args.z),
                category.value,
                "",
            ]
        )
    return rows


def _session_option(value: str | None, option: str, table: Table) -> int | None:
    if value is None:
        return None
    for session, label in table.labels.items():
        if label == value.strip():
            return session
    shown = ", ".join(table.labels.values())
    raise InputError(
        _("%(option)s: no session %(session)s in the file (sessions: %(sessions)s)")
        % {"option": option, "session": repr(value), "sessions": shown}
    )


def _pick(person: Person, session: int | None, *, first: bool) -> Point | None:
    if session is not None:
        return next((point for point in person.points if point.session == session), None)
    if not person.points:
        return None
    return person.points[0] if first else person.points[-1]


def _check_range(table: Table, definition: OutcomeDefinition) -> None:
    low, high = score_range(definition)
    for person in table.people:
        for point in person.points:
            if not low <= point.score <= high:
                raise InputError(
                    _(
                        "line %(line)s, column %(column)s: %(score)s is outside the %(title)s "
                        "range (%(low)s to %(high)s)"
                    )
                    % {
                        "line": point.line,
                        "column": point.column,
                        "score": _fmt(point.score),
                        "title": definition.instrument.title,
                        "low": _fmt(low),
                        "high": _fmt(high),
                    }
                )


# --- sudden --------------------------------------------------------------------------------------


def _sudden(args: argparse.Namespace, table: Table) -> list[list[str]]:
    measure = _measure(args)
    cutoff = args.cutoff
    if cutoff is None:
        if measure.sd is None or measure.reliability is None:
            raise InputError(
                _(
                    "criterion 1 needs --cutoff, or --sd and --reliability (or --instrument / "
                    "--definition) for the reliable change value"
                )
            )
        cutoff = reliable_change_threshold(sd=measure.sd, reliability=measure.reliability, z=args.z)
    score_type = args.score_type
    if score_type is None:
        score_type = "alliance" if measure.higher_is_better else "symptom"
    if measure.definition is not None:
        _check_range(table, measure.definition)
    # On a symptom score a gain is a decrease; on an alliance score, an increase.
    increase = (args.direction == "gains") != (score_type == "symptom")
    kind = "gain" if args.direction == "gains" else "loss"

    header = [
        "id",
        "kind",
        "session_before",
        "session_after",
        "score_before",
        "score_after",
        "change",
        "crit1_cutoff",
        "crit1",
        "crit2_threshold",
        "crit2",
        "pre_sessions",
        "post_sessions",
        "pre_mean",
        "post_mean",
        "pre_sd",
        "post_sd",
        "pooled_sd",
        "df",
        "critical_t",
        "crit3_difference",
        "crit3_threshold",
        "crit3",
        "sudden",
    ]
    critical_t: Mapping[int, float] = CRITICAL_T_05
    if args.critical_t is not None:
        critical_t = MappingProxyType(dict.fromkeys(CRITICAL_T_05, args.critical_t))
    rows = [header]
    for person in table.people:
        by_session = {point.session: point for point in person.points}
        for before in person.points:
            after = by_session.get(before.session + 1)
            if after is None:
                continue
            pre = [
                by_session[s]
                for s in range(before.session - 2, before.session + 1)
                if s in by_session
            ]
            post = [
                by_session[s] for s in range(after.session, after.session + 3) if s in by_session
            ]
            test = sudden_change(
                [point.score for point in pre],
                [point.score for point in post],
                increase=increase,
                cutoff=cutoff,
                fraction=args.fraction,
                critical_t=critical_t,
            )
            if not (test.sudden or args.all_pairs):
                continue
            shift = test.shift
            crit3_cells = ["", "", "", "", "", "", "", "", "", "false"]
            if shift is not None:
                crit3_cells = [
                    _fmt(shift.pre_mean),
                    _fmt(shift.post_mean),
                    _fmt(shift.pre_sd),
                    _fmt(shift.post_sd),
                    _fmt(shift.pooled_sd),
                    str(shift.df),
                    _fmt(shift.critical_t),
                    _fmt(shift.difference),
                    _fmt(shift.threshold),
                    _flag(shift.passed),
                ]
            rows.append(
                [
                    person.id,
                    kind,
                    before.label,
                    after.label,
                    _fmt(before.score),
                    _fmt(after.score),
                    _fmt(test.size),
                    _fmt(cutoff),
                    _flag(test.crit1),
                    _fmt(test.crit2_threshold),
                    _flag(test.crit2),
                    " ".join(point.label for point in pre),
                    " ".join(point.label for point in post),
                    *crit3_cells,
                    _flag(test.sudden),
                ]
            )
    return rows


# --- ruptures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Episode:
    threshold: int
    first: Point
    last: Point
    lowest: Point
    mean: float
    sd_within: float
    sd: float
    repaired: Point | None
    status: str
    history: int


def _ruptures(args: argparse.Namespace, table: Table) -> list[list[str]]:
    low, high = args.scale_min, args.scale_max
    if not low < high:
        raise InputError(
            _("--scale-min (%(low)s) must be below --scale-max (%(high)s)")
            % {"low": _fmt(low), "high": _fmt(high)}
        )
    for person in table.people:
        for point in person.points:
            if not low <= point.score <= high:
                raise InputError(
                    _(
                        "line %(line)s, column %(column)s: %(score)s is outside the scale "
                        "(%(low)s to %(high)s; set --scale-min and --scale-max)"
                    )
                    % {
                        "line": point.line,
                        "column": point.column,
                        "score": _fmt(point.score),
                        "low": _fmt(low),
                        "high": _fmt(high),
                    }
                )
    reference = args.reference_sd
    if reference is None:
        firsts = [person.points[0].score for person in table.people if person.points]
        # The between-person SD of first scores, as alliance.core.signals.
        # reference_sd_from_series estimates it for the check-in.
        if len(firsts) < 2 or statistics.stdev(firsts) == 0:
            raise InputError(
                _(
                    "cannot estimate the between-person SD from fewer than two people with "
                    "different first scores; give --reference-sd"
                )
            )
        reference = statistics.stdev(firsts)
    find = _retrospective if args.method == "retrospective" else _realtime
    header = [
        "id",
        "threshold",
        "method",
        "first_session",
        "last_session",
        "lowest_session",
        "lowest_score",
        "mean",
        "sd_within",
        "reference_sd",
        "sd_used",
        "depth_sd",
        "repair_line",
        "repaired_session",
        "status",
        "sessions_in_mean",
    ]
    rows = [header]
    for person in table.people:
        episodes = find(person, reference, args)
        episodes.sort(key=lambda episode: (episode.threshold, episode.first.session))
        for episode in episodes:
            rows.append(
                [
                    person.id,
                    f"{episode.threshold}sd",
                    args.method,
                    episode.first.label,
                    episode.last.label,
                    episode.lowest.label,
                    _fmt(episode.lowest.score),
                    _fmt(episode.mean),
                    _fmt(episode.sd_within),
                    _fmt(reference),
                    _fmt(episode.sd),
                    _fmt((episode.mean - episode.lowest.score) / episode.sd),
                    _fmt(episode.mean - episode.sd),
                    episode.repaired.label if episode.repaired else "",
                    episode.status,
                    str(episode.history),
                ]
            )
    return rows


def _retrospective(person: Person, reference: float, args: argparse.Namespace) -> list[_Episode]:
    points = person.points
    found = retrospective_ruptures(
        [(point.session, point.score) for point in points],
        reference_sd=reference,
        min_sessions=args.min_sessions,
        repair_window=args.repair_window,
    )
    return [
        _Episode(
            threshold=episode.threshold,
            first=points[episode.first],
            last=points[episode.last],
            lowest=points[episode.lowest],
            mean=episode.mean,
            sd_within=episode.sd_within,
            sd=episode.sd,
            repaired=None if episode.repaired is None else points[episode.repaired],
            status=episode.status,
            history=episode.history,
        )
        for episode in found
    ]


def _realtime(person: Person, reference: float, args: argparse.Namespace) -> list[_Episode]:
    low, high = args.scale_min, args.scale_max
    # alliance.core.signals works on the check-in's 1-7 scale; a linear map to it and back
    # leaves every rupture-repair decision unchanged when the reference SD is mapped too.
    factor = 6.0 / (high - low)
    offset = 1 if any(point.session == 0 for point in person.points) else 0
    by_index = {point.session + offset: point for point in person.points}
    checkins = [
        CheckinPoint(key=index, index=index, alliance=1.0 + factor * (point.score - low))
        for index, point in by_index.items()
    ]
    settings = SignalSettings(
        reference_sd=reference * factor,
        dip_min_history=args.min_sessions - 1,
        repair_window=args.repair_window,
    )
    episodes: list[_Episode] = []
    for signal in detect(checkins, settings):
        if signal.kind not in (SignalKind.RUPTURE_REPAIR_1SD, SignalKind.RUPTURE_REPAIR_2SD):
            continue
        detail = signal.detail
        point = by_index[signal.index]
        repaired_index = detail["repaired_index"]
        repaired = None if repaired_index is None else by_index[int(_number(repaired_index))]
        mean = low + (_number(detail["mean"]) - 1.0) / factor
        strict = signal.kind is SignalKind.RUPTURE_REPAIR_2SD
        for k in (1, 2) if strict else (1,):
            episodes.append(
                _Episode(
                    threshold=k,
                    first=point,
                    last=point,
                    lowest=point,
                    mean=mean,
                    sd_within=_number(detail["sd_within"]) / factor,
                    sd=_number(detail["sd"]) / factor,
                    repaired=repaired,
                    status=str(detail["repair_status"]),
                    history=int(_number(detail["history_n"])),
                )
            )
    return episodes


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number in the signal's detail, got {value!r}")
    return float(value)


if __name__ == "__main__":
    raise SystemExit(main())
