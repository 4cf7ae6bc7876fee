"""What an alert's signals say, in plain words first and with the statistics behind them.

Each stored signal keeps the summary the detector wrote (the numbers and the rule, e.g. "RCI
-2.01, reliable at 1.96"). Staff read what happened first ("Alliance fell from 6.0 to 4.9, a
reliable drop"); the summary stays one click away, behind a ``<details>`` element. The words are
made here, from each signal's ``detail``, so alerts stored before this module existed read the
same way; a signal without the numbers needed keeps its summary as its plain words.

Questionnaires are named by their title, never by their key (``phq9``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.core.definitions import builtin

# The built-in questionnaires by what they ask about; any other keeps its definition's title.
_PLAIN_NAMES = {
    "phq9": "PHQ-9 depression questionnaire",
    "gad7": "GAD-7 anxiety questionnaire",
}

_TENSION = {1: "a little", 2: "some", 3: "quite a bit of", 4: "a lot of"}
_RESOLVED = {0: "not at all", 1: "a little", 2: "partly", 3: "mostly", 4: "completely"}


@dataclass(frozen=True)
class SignalLine:
    plain: str
    statistics: str  # "" when the plain words already say everything


def questionnaire_name(instrument_id: str, title: str = "") -> str:
    """``instrument_id``'s name for staff: the built-ins by what they ask about, else a title."""
    if instrument_id in _PLAIN_NAMES:
        return _(_PLAIN_NAMES[instrument_id])
    if title:
        return title
    known = builtin().get(instrument_id)
    return known.instrument.title if known is not None else _("questionnaire")


def _n(value: Any) -> str:
    return f"{float(value):.1f}"


def _plain(kind: str, detail: Mapping[str, Any]) -> str | None:
    if kind == "client_reported":
        tension = _TENSION.get(detail.get("tension") or 0)
        if tension is None:
            return None
        words = _("The client said there was %(tension)s tension with you in this session") % {
            "tension": tension
        }
        talked = detail.get("talked")
        if talked is not None:
            words += "; " + (
                _("you talked about it")
                if talked == 2
                else _("you talked about it a little")
                if talked == 1
                else _("you did not talk about it")
            )
        resolved = detail.get("resolved")
        if resolved is not None and resolved in _RESOLVED:
            words += "; " + _("it feels %(resolved)s resolved") % {"resolved": _RESOLVED[resolved]}
        return words + "."
    if kind == "reliable_drop":
        return _("Alliance fell from %(before)s to %(after)s, a reliable drop.") % {
            "before": _n(detail["baseline"]),
            "after": _n(detail["score"]),
        }
    if kind in ("rupture_repair_1sd", "rupture_repair_2sd"):
        words = _("Alliance dipped to %(score)s, well below this client's usual %(mean)s") % {
            "score": _n(detail["score"]),
            "mean": _n(detail["mean"]),
        }
        status = detail.get("repair_status")
        if status == "repaired":
            words += _("; it came back by session %(n)s.") % {"n": detail.get("repaired_index")}
        elif status == "not_repaired":
            words += _("; it has not come back.")
        else:
            words += _("; not back yet.")
        return words
    if kind == "sudden_loss":
        return _("Alliance fell suddenly from %(before)s to %(after)s and stayed low.") % {
            "before": _n(detail["score_before"]),
            "after": _n(detail["score_after"]),
        }
    if kind == "weak_early":
        count = int(detail["n"])
        return ngettext(
            "A weak start: alliance %(mean)s at the first check-in.",
            "A weak start: alliance %(mean)s on average over the first %(count)d check-ins.",
            count,
        ) % {"mean": _n(detail["mean"]), "count": count}
    if kind == "not_on_track":
        name = questionnaire_name(
            str(detail.get("instrument_id", "")), str(detail.get("instrument_title", ""))
        )
        if detail.get("rule") == "reliable_deterioration":
            return _("%(name)s: reliably worse than at intake (score %(score)s).") % {
                "name": name,
                "score": f"{float(detail['score']):g}",
            }
        return _("%(name)s: not improving as expected (score %(score)s).") % {
            "name": name,
            "score": f"{float(detail['score']):g}",
        }
    return None


def signal_lines(signals: list[dict[str, Any]]) -> list[SignalLine]:
    """Each signal of an alert, the most urgent first: plain words, then the statistics."""
    lines = []
    for signal in sorted(signals, key=lambda s: -int(s.get("severity", 0))):
        summary = str(signal.get("summary", ""))
        try:
            plain = _plain(str(signal.get("kind", "")), signal.get("detail") or {})
        except (KeyError, TypeError, ValueError):
            plain = None  # an older signal without these numbers: its summary says it
        if plain is None:
            lines.append(SignalLine(plain=summary, statistics=""))
        else:
            lines.append(SignalLine(plain=plain, statistics=summary))
    return lines


def headline(signals: list[dict[str, Any]], fallback: str) -> str:
    """One line for lists (client page, caseload): the plain words of every signal."""
    lines = signal_lines(signals)
    return " ".join(line.plain for line in lines) if lines else fallback
