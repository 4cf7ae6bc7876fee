"""The card's questions, laid out for the template with each answer and error in place.

The card is built from :mod:`alliance.core.diary` (and the client's targets) rather than a
Django form: its fields depend on the targets, and a draft must come back exactly as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext, pgettext

from alliance.core import diary as card_def

URGE_SCALE = [str(n) for n in range(card_def.URGE_MAX + 1)]


def posted_answers(data: QueryDict) -> dict[str, object]:
    """The card's answers from a POST: one value per field, and the list of skills."""
    answers: dict[str, object] = {
        key: data.get(key)
        for key in data
        if key not in {"csrfmiddlewaretoken", "form_token", "action", "day", "skills"}
    }
    answers["skills"] = data.getlist("skills")
    return answers


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value)


def _urge(
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    key: str,
    label: str,
    acted_key: str,
    count_key: str | None,
    count_label: str,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "required": key in card_def.REQUIRED_ON_SUBMIT,
        "value": _text(values, key),
        "error": errors.get(key, ""),
        "acted_key": acted_key,
        "acted": _text(values, acted_key).lower(),
        "acted_error": errors.get(acted_key, ""),
        "count_key": count_key or "",
        "count": _text(values, count_key) if count_key else "",
        "count_error": errors.get(count_key, "") if count_key else "",
        "count_label": count_label,
    }


def card_questions(
    values: Mapping[str, Any], errors: Mapping[str, str], targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every question of the card with its current answer and any error."""
    urges = [
        _urge(
            values,
            errors,
            key=u.key,
            label=gettext(u.label),
            acted_key=u.acted_key,
            count_key=u.count_key,
            count_label=gettext(u.count_label) if u.count_label else "",
        )
        for u in card_def.URGES
    ]
    urges += [
        _urge(
            values,
            errors,
            key=t["urge"],
            label=t["target"].name,
            acted_key=t["acted"],
            count_key=t["count"],
            count_label=gettext("How many times?"),
        )
        for t in targets
    ]
    chosen = set(values.get("skills") or [])
    return {
        "urges": urges,
        "quit": {
            "key": card_def.QUIT.key,
            "label": gettext(card_def.QUIT.label),
            "value": _text(values, card_def.QUIT.key),
            "error": errors.get(card_def.QUIT.key, ""),
        },
        "emotions": [
            {
                "key": e.key,
                "label": gettext(e.label),
                "hint": gettext(e.hint) if e.hint else "",
                "value": _text(values, e.key),
                "error": errors.get(e.key, ""),
            }
            for e in card_def.EMOTIONS
        ],
        "medication": {
            "value": _text(values, "medication").lower(),
            "error": errors.get("medication", ""),
            "options": [(code, gettext(label)) for code, label in card_def.MEDICATION.items()],
        },
        "skills_code": {
            "value": _text(values, "skills_code"),
            "error": errors.get("skills_code", ""),
            "options": [(str(n), gettext(label)) for n, label in card_def.SKILLS_CODES.items()],
        },
        "modules": [
            {
                "key": m.key,
                "name": gettext(m.name),
                "skills": [
                    {"key": s.key, "name": gettext(s.name), "checked": s.key in chosen}
                    for s in m.skills
                ],
            }
            for m in card_def.MODULES
        ],
        "skills_error": errors.get("skills", ""),
        "note": {"value": _text(values, "note"), "error": errors.get("note", "")},
        "scale": URGE_SCALE,
        "count_max": card_def.COUNT_MAX,
        "note_max": card_def.NOTE_MAX,
    }


def error_list(errors: Mapping[str, str], questions: Mapping[str, Any]) -> list[dict[str, str]]:
    """The error summary: each error with the question it belongs to, in the card's order."""
    labels: dict[str, tuple[str, str]] = {}
    for u in questions["urges"]:
        labels[u["key"]] = (u["key"], u["label"])
        labels[u["acted_key"]] = (
            u["key"],
            gettext("%(urge)s: did you act on it?") % {"urge": u["label"]},
        )
        if u["count_key"]:
            labels[u["count_key"]] = (
                u["key"],
                gettext("%(urge)s: how many times") % {"urge": u["label"]},
            )
    labels[card_def.QUIT.key] = (card_def.QUIT.key, card_def.QUIT.label)
    for e in questions["emotions"]:
        labels[e["key"]] = (e["key"], e["label"])
    labels["medication"] = ("medication", gettext("Medication"))
    labels["skills_code"] = ("skills_code", pgettext("diary card question", "Skills"))
    labels["skills"] = ("skills", gettext("Which skills"))
    labels["note"] = ("note", gettext("Note"))
    out = []
    for key, (anchor, label) in labels.items():
        if key in errors:
            out.append({"anchor": anchor, "label": label, "message": errors[key]})
    return out
