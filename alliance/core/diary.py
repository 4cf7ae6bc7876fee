"""The DBT diary card (Linehan), defined as data, with its validation and its day rule.

The card follows the classic daily diary card of Dialectical Behavior Therapy (Linehan 1993;
CLINICAL.md section 7): the day's highest urges from 0 to 5 (suicide, self-harm, alcohol or
drugs, plus the targets the therapist sets for this client), whether each urge was acted on and
how many times, emotions from 0 to 5, medication taken as prescribed, the 0–7 skills code and
which skills were used by module, and the urge to quit therapy. The wording is ours, in the
voice of ``shared/context/therapist-letter.txt``; the skill names are the well-known names of
the DBT skills modules.

A diary day is a local date in the client's time zone: :func:`local_day`. A card may be filled
in for today and the :data:`BACKFILL_DAYS` days before it: :func:`day_problem`.

Plain Python, no Django: the web layer passes the posted strings to :func:`validate` and stores
the :class:`DiaryAnswers` it returns. The card's wording and the fixed messages are marked for
translation with ``gettext_noop``; the pages translate them when they show them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Final

from alliance.core.safety import gettext_noop as _
from alliance.core.wording import Wording

__all__ = [
    "ACTED_LABELS",
    "BACKFILL_DAYS",
    "COUNT_MAX",
    "EMOTIONS",
    "EMOTION_MAX",
    "MEDICATION",
    "MODULES",
    "NOTE_MAX",
    "QUIT",
    "REQUIRED_ON_SUBMIT",
    "SKILLS",
    "SKILLS_CODES",
    "SKILLS_CODE_MAX",
    "TARGET_NAME_MAX",
    "URGES",
    "URGE_MAX",
    "DiaryAnswers",
    "Module",
    "Question",
    "Skill",
    "TargetAnswer",
    "Urge",
    "clean_target_name",
    "day_label",
    "day_problem",
    "fill_window",
    "last_editable_day",
    "local_day",
    "parse_day",
    "target_field",
    "validate",
    "week_start",
]

URGE_MAX: Final = 5
EMOTION_MAX: Final = 5
SKILLS_CODE_MAX: Final = 7
COUNT_MAX: Final = 99
NOTE_MAX: Final = 4000
TARGET_NAME_MAX: Final = 60
BACKFILL_DAYS: Final = 7
"""Today and this many days before it can be filled in (or changed)."""


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    label: str  # what the client reads
    short: str  # the therapist's grid row
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Urge:
    """An urge rated 0–5, whether it was acted on, and (for most) how many times."""

    key: str
    label: str
    short: str
    acted_key: str
    count_key: str | None
    count_label: str = ""


URGES: Final[tuple[Urge, ...]] = (
    Urge("urge_suicide", _("To end your life"), _("Suicide"), "acted_suicide", None),
    Urge(
        "urge_self_harm",
        _("To hurt yourself"),
        _("Self-harm"),
        "acted_self_harm",
        "action_self_harm",
        _("How many times did you hurt yourself?"),
    ),
    Urge(
        "urge_substance",
        _("To use alcohol or drugs"),
        _("Alcohol or drugs"),
        "acted_substance",
        "action_substance",
        _("How many times did you use?"),
    ),
)
QUIT: Final = Question("urge_quit", _("To quit therapy"), _("Quit therapy"))

EMOTIONS: Final[tuple[Question, ...]] = (
    Question("anger", _("Anger"), _("Anger")),
    Question("fear", _("Fear"), _("Fear")),
    Question("joy", _("Joy"), _("Joy")),
    Question("sadness", _("Sadness"), _("Sadness")),
    Question("shame", _("Shame"), _("Shame")),
    Question(
        "emotional_misery",
        _("Emotional misery"),
        _("Emotional misery"),
        _("How much you hurt inside."),
    ),
    Question(
        "physical_misery",
        _("Physical misery"),
        _("Physical misery"),
        _("Pain, illness, exhaustion."),
    ),
)

ACTED_LABELS: Final[Mapping[str, str]] = MappingProxyType({"no": _("No"), "yes": _("Yes")})

MEDICATION: Final[Mapping[str, str]] = MappingProxyType(
    {"yes": _("Yes"), "no": _("No"), "na": _("I don't take any medication")}
)
"""Medication taken as prescribed: the stored code and the client's words."""

SKILLS_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0: _("I didn't think about them or use them"),
        1: _("I thought about them, didn't use them, and didn't want to"),
        2: _("I thought about them, didn't use them, but wanted to"),
        3: _("I tried, but couldn't use them"),
        4: _("I tried and could use them, but they didn't help"),
        5: _("I tried and could use them, and they helped"),
        6: _("I used them without having to try, but they didn't help"),
        7: _("I used them without having to try, and they helped"),
    }
)
"""The 0–7 skills code of the classic card, in our words."""


@dataclass(frozen=True, slots=True)
class Skill:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Module:
    key: str
    name: str
    skills: tuple[Skill, ...]


MODULES: Final[tuple[Module, ...]] = (
    Module(
        "mindfulness",
        _("Mindfulness"),
        (
            Skill("wise_mind", _("Wise mind")),
            Skill("observe", _("Observe")),
            Skill("describe", _("Describe")),
            Skill("participate", _("Participate")),
            Skill("nonjudgmental", _("Non-judgmental stance")),
            Skill("one_mindfully", _("One-mindfully")),
            Skill("effectively", _("Effectively")),
        ),
    ),
    Module(
        "distress_tolerance",
        _("Distress tolerance"),
        (
            Skill("stop", _("STOP")),
            Skill("tipp", _("TIPP")),
            Skill("accepts", _("Distract (ACCEPTS)")),
            Skill("self_soothe", _("Self-soothe")),
            Skill("improve", _("IMPROVE the moment")),
            Skill("pros_cons", _("Pros and cons")),
            Skill("radical_acceptance", _("Radical acceptance")),
            Skill("turning_the_mind", _("Turning the mind")),
            Skill("willingness", _("Willingness")),
        ),
    ),
    Module(
        "emotion_regulation",
        _("Emotion regulation"),
        (
            Skill("check_the_facts", _("Check the facts")),
            Skill("opposite_action", _("Opposite action")),
            Skill("problem_solving", _("Problem solving")),
            Skill("accumulate_positives", _("Accumulate positive emotions")),
            Skill("build_mastery", _("Build mastery")),
            Skill("cope_ahead", _("Cope ahead")),
            Skill("please", _("PLEASE (caring for your body)")),
        ),
    ),
    Module(
        "interpersonal_effectiveness",
        _("Interpersonal effectiveness"),
        (
            Skill("dear_man", _("DEAR MAN")),
            Skill("give", _("GIVE")),
            Skill("fast", _("FAST")),
        ),
    ),
)
SKILLS: Final[Mapping[str, Skill]] = MappingProxyType(
    {skill.key: skill for module in MODULES for skill in module.skills}
)

REQUIRED_ON_SUBMIT: Final[tuple[str, ...]] = ("urge_suicide", "urge_self_harm")
"""Asked every day, and the two the safety rules read: 'Done for today' needs them (0 is fine)."""

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class TargetAnswer:
    urge: int | None = None
    acted: bool | None = None
    count: int | None = None

    def is_blank(self) -> bool:
        return self.urge is None and self.acted is None and self.count is None


@dataclass(frozen=True)
class DiaryAnswers:
    """One day's answers. ``None`` (or an empty value) means not answered, never 0."""

    urge_suicide: int | None = None
    acted_suicide: bool | None = None
    urge_self_harm: int | None = None
    acted_self_harm: bool | None = None
    action_self_harm: int | None = None
    urge_substance: int | None = None
    acted_substance: bool | None = None
    action_substance: int | None = None
    urge_quit: int | None = None
    anger: int | None = None
    fear: int | None = None
    joy: int | None = None
    sadness: int | None = None
    shame: int | None = None
    emotional_misery: int | None = None
    physical_misery: int | None = None
    medication: str = ""
    skills_code: int | None = None
    skills: tuple[str, ...] = ()
    targets: Mapping[str, TargetAnswer] = field(default_factory=dict)
    note: str = ""

    def columns(self) -> dict[str, int | bool | str | None]:
        """The single-valued answers, by the name of their column."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in {"skills", "targets", "note"}
        }

    def safety_answers(self) -> dict[str, int]:
        """The numbers the safety rules read (``alliance.core.safety``, source ``diary``).

        Every answered number, with yes/no as 1/0, so a clinic's own rules can use any of them.
        ``action_self_harm`` counts a "yes, I acted on it" to the self-harm or the suicide urge
        as at least one self-harm action, even without a count: acting on a suicide urge is
        self-harm too, and the default rule for a self-harm action must see it.
        """
        out: dict[str, int] = {}
        for name, value in self.columns().items():
            if isinstance(value, bool):
                out[name] = int(value)
            elif isinstance(value, int):
                out[name] = value
        if self.acted_self_harm or self.acted_suicide:
            out["action_self_harm"] = max(out.get("action_self_harm", 0), 1)
        return out


def target_field(target_id: str, part: str) -> str:
    """The form field of a target's ``urge``, ``acted`` or ``count``."""
    return f"target-{target_id}-{part}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def _number(raw: object, low: int, high: int) -> int | None:
    """A whole number in [low, high]; ``None`` when blank. Raises ValueError otherwise."""
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        number = raw
    else:
        text = _text(raw)
        if text == "":
            return None
        if not re.fullmatch(r"[+-]?[0-9]{1,6}", text):
            raise ValueError
        number = int(text)
    if not low <= number <= high:
        raise ValueError
    return number


def _yes_no(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text == "":
        return None
    if text in {"yes", "1", "true"}:
        return True
    if text in {"no", "0", "false"}:
        return False
    raise ValueError


def _scale_error(high: int) -> str:
    return Wording(_("Please choose a number from 0 to %(high)d."), high=high)


COUNT_ERROR: Final = Wording(_("Please put a whole number from 0 to %(max)d."), max=COUNT_MAX)


def _acted_and_count(
    acted: bool | None, count: int | None, count_key: str, errors: dict[str, str]
) -> bool | None:
    """A count above 0 means the urge was acted on; a count that contradicts the answer is asked
    about rather than guessed."""
    if count is None:
        return acted
    if acted is False and count > 0:
        errors[count_key] = Wording(
            _("You answered “No” to acting on it, and counted %(count)d. Which one is right?"),
            count=count,
        )
    elif acted is True and count == 0:
        errors[count_key] = _(
            "You answered “Yes” to acting on it, and counted 0. Which one is right?"
        )
    elif acted is None:
        return count > 0
    return acted


def validate(
    raw: Mapping[str, object], *, target_ids: Collection[str] = (), submit: bool = False
) -> tuple[DiaryAnswers, dict[str, str]]:
    """Clean the posted answers; ``errors`` maps a field to a message for the client.

    Parameters
    ----------
    raw
        Field name to value: strings as posted (ints and bools are accepted too), ``skills`` a
        list of skill keys. Fields the card does not have are ignored.
    target_ids
        The client's targets (as strings). Answers for any other target are ignored.
    submit
        "Done for today": the :data:`REQUIRED_ON_SUBMIT` urges must be answered. A draft may be
        partial.

    Returns
    -------
    The cleaned answers (an answer with an error is left blank) and the errors.

    Examples
    --------
    >>> answers, errors = validate({"urge_self_harm": "5", "skills": ["tipp"]})
    >>> answers.urge_self_harm, answers.skills, errors
    (5, ('tipp',), {})
    >>> validate({"anger": "6"})[1]
    {'anger': 'Please choose a number from 0 to 5.'}
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def number(key: str, high: int, message: str | None = None) -> int | None:
        try:
            return _number(raw.get(key), 0, high)
        except ValueError:
            errors[key] = message or _scale_error(high)
            return None

    def yes_no(key: str) -> bool | None:
        try:
            return _yes_no(raw.get(key))
        except ValueError:
            errors[key] = _("Please choose yes or no.")
            return None

    for urge in URGES:
        values[urge.key] = number(urge.key, URGE_MAX)
        acted = yes_no(urge.acted_key)
        if urge.count_key is not None:
            count = number(urge.count_key, COUNT_MAX, COUNT_ERROR)
            values[urge.count_key] = count
            acted = _acted_and_count(acted, count, urge.count_key, errors)
        values[urge.acted_key] = acted
    values[QUIT.key] = number(QUIT.key, URGE_MAX)
    for emotion in EMOTIONS:
        values[emotion.key] = number(emotion.key, EMOTION_MAX)
    values["skills_code"] = number("skills_code", SKILLS_CODE_MAX)

    medication = _text(raw.get("medication")).lower()
    if medication and medication not in MEDICATION:
        errors["medication"] = _("Please choose yes, no, or that you don't take any medication.")
        medication = ""
    values["medication"] = medication

    skills = _skills(raw.get("skills"), errors)
    values["skills"] = skills

    targets: dict[str, TargetAnswer] = {}
    for target_id in target_ids:
        urge_key, acted_key, count_key = (
            target_field(target_id, part) for part in ("urge", "acted", "count")
        )
        urge_value = number(urge_key, URGE_MAX)
        acted = yes_no(acted_key)
        count = number(count_key, COUNT_MAX, COUNT_ERROR)
        acted = _acted_and_count(acted, count, count_key, errors)
        answer = TargetAnswer(urge=urge_value, acted=acted, count=count)
        if not answer.is_blank():
            targets[target_id] = answer
    values["targets"] = targets

    note = raw.get("note")
    note_text = "" if note is None else str(note).replace("\r\n", "\n").strip()
    if len(note_text) > NOTE_MAX:
        errors["note"] = Wording(
            _("Please keep the note under %(max)d characters (it has %(length)d)."),
            max=NOTE_MAX,
            length=len(note_text),
        )
        note_text = ""
    values["note"] = note_text

    if submit:
        for key in REQUIRED_ON_SUBMIT:
            if values[key] is None and key not in errors:
                errors[key] = _("Please choose a number, even if it's 0.")
    return DiaryAnswers(**values), errors  # type: ignore[arg-type]


def _skills(raw: object, errors: dict[str, str]) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        errors["skills"] = _("Please choose skills from the list.")
        return ()
    chosen: list[str] = []
    for item in items:
        key = _text(item)
        if key not in SKILLS:
            errors["skills"] = _("Please choose skills from the list.")
            return ()
        if key not in chosen:
            chosen.append(key)
    # Stored in the card's order, whatever order the browser sent them in.
    order = list(SKILLS)
    return tuple(sorted(chosen, key=order.index))


def clean_target_name(raw: object) -> str:
    """A target's name with spaces tidied. Raises ValueError with a message for the therapist."""
    name = " ".join(_text(raw).split())
    if not name:
        raise ValueError(_("Please give the target a name, for example “Bingeing”."))
    if len(name) > TARGET_NAME_MAX:
        raise ValueError(
            Wording(
                _("Please keep the name under %(max)d characters (it has %(length)d)."),
                max=TARGET_NAME_MAX,
                length=len(name),
            )
        )
    return name


# --- days ------------------------------------------------------------------------------------


def local_day(now: datetime, zone: tzinfo) -> date:
    """The client's date at the instant ``now``: their "today".

    ``now`` must be aware. Converting the instant to the zone handles the days with a daylight
    saving change (23 or 25 hours long) without any special case: 23:30 on the day of the
    change is still that day, 00:30 the next morning is the next.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("local_day needs an aware datetime (with a time zone)")
    return now.astimezone(zone).date()


def parse_day(text: object) -> date | None:
    """A date written as YYYY-MM-DD, or ``None`` for anything else."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_label(day: date) -> str:
    """E.g. "Sunday 8 March"."""
    return f"{day:%A} {day.day} {day:%B}"


def day_problem(day: date, today: date) -> str | None:
    """Why the card for ``day`` cannot be filled in today, in the client's words; else None."""
    if day > today:
        return (
            f"{day_label(day)} hasn't come yet. You can fill in today's card, or one of the "
            f"{BACKFILL_DAYS} days before it."
        )
    if day < today - timedelta(days=BACKFILL_DAYS):
        return (
            f"The card can be filled in for today and the {BACKFILL_DAYS} days before it, so "
            f"{day_label(day)} is too far back now. If something from that day matters to you, "
            "you could write about it in today's note, or bring it to your next session."
        )
    return None


def last_editable_day(day: date) -> date:
    """The last day on which the card for ``day`` can still be filled in or changed."""
    return day + timedelta(days=BACKFILL_DAYS)


def fill_window(today: date) -> Iterator[date]:
    """The days that can be filled in, today first."""
    for back in range(BACKFILL_DAYS + 1):
        yield today - timedelta(days=back)


def week_start(day: date) -> date:
    """The Monday of the week ``day`` is in (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())
