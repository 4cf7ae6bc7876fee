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
from django.utils.translation import gettext_noop, ngettext, pgettext_lazy

from alliance.core.definitions import builtin

# The built-in questionnaires by what they ask about; any other keeps its definition's title.
_PLAIN_NAMES = {
    "phq9": gettext_noop("PHQ-9 depression questionnaire"),
    "gad7": gettext_noop("GAD-7 anxiety questionnaire"),
}

# Words that go into a sentence: lazy, with a context, as one English word may need two French.
_TENSION = {
    1: pgettext_lazy("how much tension", "a little"),
    2: pgettext_lazy("how much tension", "some"),
    3: pgettext_lazy("how much tension", "quite a bit of"),
    4: pgettext_lazy("how much tension", "a lot of"),
}
_RESOLVED = {
    0: pgettext_lazy("how resolved", "not at all"),
    1: pgettext_lazy("how resolved", "a little"),
    2: pgettext_lazy("how resolved", "partly"),
    3: pgettext_lazy("how resolved", "mostly"),
    4: pgettext_lazy("how resolved", "completely"),
}


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


_NUMBER_WORDS = {
    1: pgettext_lazy("a count in words", "one"),
    2: pgettext_lazy("a count in words", "two"),
    3: pgettext_lazy("a count in words", "three"),
    4: pgettext_lazy("a count in words", "four"),
    5: pgettext_lazy("a count in words", "five"),
    6: pgettext_lazy("a count in words", "six"),
    7: pgettext_lazy("a count in words", "seven"),
    8: pgettext_lazy("a count in words", "eight"),
    9: pgettext_lazy("a count in words", "nine"),
    10: pgettext_lazy("a count in words", "ten"),
}


def _count(value: Any) -> str:
    """Small counts in words, as people say them ("two sessions"); larger ones in digits."""
    number = int(value)
    word = _NUMBER_WORDS.get(number)
    return str(word) if word is not None else str(number)


def _span(days: int) -> str:
    """A window in words: "six weeks" when it is whole weeks, else "45 days"."""
    if days % 7 == 0:
        weeks = days // 7
        return ngettext("%(n)s week", "%(n)s weeks", weeks) % {"n": _count(weeks)}
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": _count(days)}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dropout_plain(kind: str, detail: Mapping[str, Any]) -> str | None:
    """The dropout-risk rule's reasons (alliance.core.dropout), plain words first."""
    if kind == "dropout_risk":
        if detail.get("level") == "high":
            return _("Several signs together: this client may be thinking of leaving therapy.")
        return _("Some signs together: this client may be drifting away from therapy.")
    count = int(detail.get("count") or 0)
    values = {
        "n": _count(count),
        "weeks": _count(detail.get("weeks") or 0),
        "days": _span(int(detail.get("days") or 0)),
    }
    if kind == "dropout_missed":
        return _sentence(
            ngettext(
                "%(n)s session missed in the last %(weeks)s weeks.",
                "%(n)s sessions missed in the last %(weeks)s weeks.",
                count,
            )
            % values
        )
    if kind == "dropout_late_cancelled":
        return _sentence(
            ngettext(
                "%(n)s session cancelled at short notice in the last %(weeks)s weeks.",
                "%(n)s sessions cancelled at short notice in the last %(weeks)s weeks.",
                count,
            )
            % values
        )
    if kind == "dropout_low_alliance":
        return _(
            "The alliance has been low lately: %(mean)s on average over the last %(n)s check-ins."
        ) % {"mean": _n(detail["mean"]), "n": _count(detail["n"])}
    if kind == "dropout_falling_alliance":
        return _(
            "The alliance has been falling: from %(first)s to %(last)s over the last "
            "%(n)s check-ins."
        ) % {
            "first": _n(detail["first"]),
            "last": _n(detail["last"]),
            "n": _count(detail["n"]),
        }
    if kind == "dropout_unresolved_confrontation":
        return _sentence(
            ngettext(
                "%(n)s rupture of the confrontation kind still open from the last %(days)s.",
                "%(n)s ruptures of the confrontation kind still open from the last %(days)s.",
                count,
            )
            % values
        )
    if kind == "dropout_unresolved_rupture":
        return _sentence(
            ngettext(
                "%(n)s other rupture still open from the last %(days)s.",
                "%(n)s other ruptures still open from the last %(days)s.",
                count,
            )
            % values
        )
    if kind == "dropout_first_quarter":
        return _(
            "Early in therapy (week %(week)s), when most clients who leave do so: the signs "
            "above count %(factor)s times."
        ) % {"week": int(detail["week"]), "factor": f"{float(detail['factor']):g}"}
    return None


def _answer(label: str, value: Any) -> str:
    """One risk answer: the rule's label (translated when it is one of ours), then the answer.

    A label a clinic wrote for its own rule, or a questionnaire's own, has no translation and
    reads as it was written.
    """
    return _("%(label)s (answer: %(value)s)") % {
        "label": _(label) if label else label,
        "value": f"{float(value):g}",
    }


def _label_in_summary(summary: str, value: Any) -> str | None:
    """The label of a risk answer stored before its detail kept it: the summary is
    ``"<label> (answer: <value>)"`` (``alliance.core.safety.RiskFinding.summary``)."""
    suffix = f" (answer: {float(value):g})"
    return summary.removesuffix(suffix) if summary.endswith(suffix) else None


def _risk_plain(detail: Mapping[str, Any], summary: str) -> str | None:
    """A risk alert's signal: a questionnaire's risk answers, or one risk answer on a diary card.

    A questionnaire's risk alert stored before its detail kept the answers has only the
    response's id: its summary (English) stays its plain words.
    """
    if "answers" in detail:  # alliance.outcomes.services.risk_alert_raise
        name = questionnaire_name(
            str(detail.get("instrument_id", "")), str(detail.get("instrument_title", ""))
        )
        answers = "; ".join(_answer(str(a["label"]), a["value"]) for a in detail["answers"])
        return _("Risk answer on the %(questionnaire)s: %(answers)s.") % {
            "questionnaire": name,
            "answers": answers,
        }
    if "field" in detail:  # alliance.diary.services: one signal per risk answer on the card
        label = detail.get("label") or _label_in_summary(summary, detail["value"])
        if not label:
            return None
        words = _answer(str(label), detail["value"])
        if detail.get("acted_suicide"):
            words += "; " + _("they acted on the urge to end their life")
        return words + "."
    return None


def _plain(kind: str, detail: Mapping[str, Any], summary: str = "") -> str | None:
    if kind.startswith("dropout_"):
        return _dropout_plain(kind, detail)
    if kind == "risk":
        return _risk_plain(detail, summary)
    if kind == "client_reported":
        tension = _TENSION.get(detail.get("tension") or 0)
        if tension is None:
            return None
        words = _("The client said there was %(tension)s tension with you in this session") % {
            "tension": str(tension)
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
            words += "; " + _("it feels %(resolved)s resolved") % {
                "resolved": str(_RESOLVED[resolved])
            }
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
    if kind == "discrepancy":
        sessions = [int(n) for n in detail["sessions"]]
        client = sum(float(v) for v in detail["client"]) / len(sessions)
        therapist = sum(float(v) for v in detail["therapist"]) / len(sessions)
        return _(
            "Your ratings of sessions %(sessions)s were warmer than your client's, by more than "
            "a reliable difference each time (you %(yours)s, your client %(theirs)s on average). "
            "Worth asking how those sessions felt for them."
        ) % {
            "sessions": ", ".join(str(n) for n in sessions),
            "yours": _n(therapist),
            "theirs": _n(client),
        }
    return None


def signal_lines(signals: list[dict[str, Any]]) -> list[SignalLine]:
    """Each signal of an alert, the most urgent first: plain words, then the statistics."""
    lines = []
    for signal in sorted(signals, key=lambda s: -int(s.get("severity", 0))):
        summary = str(signal.get("summary", ""))
        try:
            plain = _plain(str(signal.get("kind", "")), signal.get("detail") or {}, summary)
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
