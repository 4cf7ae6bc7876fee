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

from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext, pgettext_lazy

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


# --- the statistics behind the plain words -------------------------------------------------
# The detector's own summary (alliance.core.signals) is English; these say the same numbers and
# rule in the reader's language, from the signal's detail, in the same words in English. A
# signal whose detail lacks a number keeps its stored summary.

_TALKED = {
    0: pgettext_lazy("talked about it", "no"),
    1: pgettext_lazy("talked about it", "a little"),
    2: pgettext_lazy("talked about it", "yes"),
}

_DROPOUT_REASONS = {
    "missed": pgettext_lazy("dropout reason", "Missed"),
    "late_cancelled": pgettext_lazy("dropout reason", "Late cancelled"),
    "low_alliance": pgettext_lazy("dropout reason", "Low alliance"),
    "falling_alliance": pgettext_lazy("dropout reason", "Falling alliance"),
    "unresolved_confrontation": pgettext_lazy("dropout reason", "Unresolved confrontation"),
    "unresolved_rupture": pgettext_lazy("dropout reason", "Unresolved rupture"),
    "first_quarter": pgettext_lazy("dropout reason", "First quarter"),
}


# The same reasons inside the score's sum ("missed 1 + late cancelled 2").
_DROPOUT_PARTS = {
    "missed": pgettext_lazy("dropout reason, in a sum", "missed"),
    "late_cancelled": pgettext_lazy("dropout reason, in a sum", "late cancelled"),
    "low_alliance": pgettext_lazy("dropout reason, in a sum", "low alliance"),
    "falling_alliance": pgettext_lazy("dropout reason, in a sum", "falling alliance"),
    "unresolved_confrontation": pgettext_lazy(
        "dropout reason, in a sum", "unresolved confrontation"
    ),
    "unresolved_rupture": pgettext_lazy("dropout reason, in a sum", "unresolved rupture"),
    "first_quarter": pgettext_lazy("dropout reason, in a sum", "first quarter"),
}


# The rule's numbers by name, in the order the rule lists them in its summary ("count 2,
# weeks 8"); PostgreSQL's JSON keeps a detail's keys in an order of its own.
_DROPOUT_NUMBERS = {
    "count": pgettext_lazy("a dropout rule's number", "count"),
    "weeks": pgettext_lazy("a dropout rule's number", "weeks"),
    "hours": pgettext_lazy("a dropout rule's number", "hours"),
    "days": pgettext_lazy("a dropout rule's number", "days"),
    "mean": pgettext_lazy("a dropout rule's number", "mean"),
    "slope": pgettext_lazy("a dropout rule's number", "slope"),
    "n": pgettext_lazy("a dropout rule's number", "n"),
    "first": pgettext_lazy("a dropout rule's number", "first"),
    "last": pgettext_lazy("a dropout rule's number", "last"),
    "threshold": pgettext_lazy("a dropout rule's number", "threshold"),
    "week": pgettext_lazy("a dropout rule's number", "week"),
    "course_weeks": pgettext_lazy("a dropout rule's number", "course_weeks"),
    "factor": pgettext_lazy("a dropout rule's number", "factor"),
    "before": pgettext_lazy("a dropout rule's number", "before"),
}
_NUMBER_ORDER = {name: place for place, name in enumerate(_DROPOUT_NUMBERS)}


def _num(value: Any, digits: int) -> str:
    """A number rounded as the detector rounds it, written with the reader's decimal mark
    (4.0, 4,0) and a true minus sign."""
    text = f"{float(value):.{digits}f}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
    return "\u2212" + text[1:] if text.startswith("-") else text


def _g(value: Any) -> str:
    """A score or a point count as the rule writes it (``3.75``, ``2``), with the reader's
    decimal mark."""
    return f"{float(value):g}".replace(".", str(get_format("DECIMAL_SEPARATOR")))


def _raw(value: Any) -> str:
    """A number as the rule stored it (``-0.533``, ``24.0``), with the reader's decimal mark."""
    return str(value).replace(".", str(get_format("DECIMAL_SEPARATOR")))


def _numbers(values: list[str]) -> str:
    # "2.00, 2.67" in English; in French, where the comma is the decimal mark, "2,00; 2,67".
    return pgettext("between numbers in a list", ", ").join(values)


def _statistics(kind: str, detail: Mapping[str, Any]) -> str | None:
    if kind == "client_reported":
        talked, resolved = detail.get("talked"), detail.get("resolved")
        return _(
            "Client reported %(tension)s tension; talked about it: %(talked)s; %(resolved)s."
        ) % {
            "tension": _TENSION[int(detail["tension"])],
            "talked": _("not answered") if talked is None else _TALKED[int(talked)],
            "resolved": _("resolution not answered")
            if resolved is None
            else _("feels %(how)s resolved") % {"how": _RESOLVED[int(resolved)]},
        }
    if kind == "reliable_drop":
        score, baseline = float(detail["score"]), float(detail["baseline"])
        return _(
            "Alliance %(score)s is %(gap)s below the recent baseline of %(baseline)s (RCI "
            "%(rci)s, reliable at %(z)s)."
        ) % {
            "score": _num(score, 1),
            "gap": _num(baseline - score, 1),
            "baseline": _num(baseline, 1),
            "rci": _num(detail["rci"], 2),
            "z": _num(detail["rci_z"], 2),
        }
    if kind in ("rupture_repair_1sd", "rupture_repair_2sd"):
        status = detail["repair_status"]
        if status == "repaired":
            outcome = _("back within 1 SD at session %(n)s") % {"n": detail["repaired_index"]}
        elif status == "not_repaired":
            outcome = _("not back within 1 SD by session %(n)s") % {"n": detail["repair_by_index"]}
        else:
            outcome = _("not back within 1 SD yet")
        count = int(detail["history_n"])
        return ngettext(
            "Alliance %(score)s is %(depth)s SD below this client's mean of %(mean)s (SD %(sd)s, "
            "from %(n)d earlier check-in); %(outcome)s.",
            "Alliance %(score)s is %(depth)s SD below this client's mean of %(mean)s (SD %(sd)s, "
            "from %(n)d earlier check-ins); %(outcome)s.",
            count,
        ) % {
            "score": _num(detail["score"], 1),
            "depth": _num(detail["depth_sd"], 1),
            "mean": _num(detail["mean"], 1),
            "sd": _num(detail["sd"], 2),
            "n": count,
            "outcome": outcome,
        }
    if kind == "sudden_loss":
        before, drop = float(detail["score_before"]), float(detail["drop"])
        pre, post = str(detail["pre_sessions"]), str(detail["post_sessions"])
        return _(
            "Alliance fell from %(before)s at session %(first)s to %(after)s at session "
            "%(second)s (%(drop)s points, %(percent)s %% of the earlier score) and stayed low: "
            "mean %(post_mean)s over sessions %(post)s against %(pre_mean)s over sessions "
            "%(pre)s."
        ) % {
            "before": _num(before, 1),
            "first": pre.split(", ")[-1],
            "after": _num(detail["score_after"], 1),
            "second": post.split(", ")[0],
            "drop": _num(drop, 1),
            "percent": _num(100.0 * drop / before, 0),
            "post_mean": _num(detail["post_mean"], 1),
            "post": post,
            "pre_mean": _num(detail["pre_mean"], 1),
            "pre": pre,
        }
    if kind == "weak_early":
        count = int(detail["n"])
        return ngettext(
            "Early alliance is low: mean %(mean)s over the first check-in, below %(threshold)s.",
            "Early alliance is low: mean %(mean)s over the first %(n)d check-ins, below "
            "%(threshold)s.",
            count,
        ) % {"mean": _num(detail["mean"], 2), "n": count, "threshold": _num(detail["threshold"], 1)}
    if kind == "discrepancy":
        sessions = [int(n) for n in detail["sessions"]]
        gaps = [
            float(t) - float(c) for t, c in zip(detail["therapist"], detail["client"], strict=True)
        ]
        return _(
            "Client's rating below the therapist's by more than %(threshold)s at sessions "
            "%(sessions)s (gaps %(gaps)s)."
        ) % {
            "threshold": _num(detail["threshold"], 2),
            "sessions": ", ".join(str(n) for n in sessions),
            "gaps": _numbers([_num(g, 2) for g in gaps]),
        }
    if kind == "risk":
        return ""  # the plain words name each answer and its value: nothing more to say
    if kind == "dropout_risk":
        parts = " + ".join(
            f"{_DROPOUT_PARTS[str(reason)]} {_g(points)}" for reason, points in detail["parts"]
        )
        return _(
            "Dropout-risk score %(score)s (%(parts)s); alert at %(alert)s, high at %(high)s. A "
            "rule of ours, not validated on real data."
        ) % {
            "score": _g(detail["score"]),
            "parts": parts,
            "alert": _g(detail["alert_at"]),
            "high": _g(detail["high_at"]),
        }
    reason = kind.removeprefix("dropout_")
    if reason in _DROPOUT_REASONS:
        names = sorted(
            (name for name in detail if name != "points"),
            key=lambda name: _NUMBER_ORDER.get(name, len(_NUMBER_ORDER)),
        )
        numbers = ", ".join(f"{_DROPOUT_NUMBERS.get(n, n)} {_raw(detail[n])}" for n in names)
        points = float(detail["points"])
        # English says "points" whatever the number (as the rule's summary does); French says
        # "point" up to 1.
        return ngettext(
            "%(reason)s: %(points)s points (%(numbers)s).",
            "%(reason)s: %(points)s points (%(numbers)s).",
            2 if points > 1 else 1,
        ) % {"reason": _DROPOUT_REASONS[reason], "points": _g(points), "numbers": numbers}
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
            continue
        try:
            statistics = _statistics(str(signal.get("kind", "")), signal.get("detail") or {})
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            statistics = None  # stored before its detail held every number
        lines.append(
            SignalLine(plain=plain, statistics=summary if statistics is None else statistics)
        )
    return lines


def headline(signals: list[dict[str, Any]], fallback: str) -> str:
    """One line for lists (client page, caseload): the plain words of every signal."""
    lines = signal_lines(signals)
    return " ".join(line.plain for line in lines) if lines else fallback
