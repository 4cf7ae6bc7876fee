"""Our original post-session check-in, defined as data.

The client answers it after every attended session, in under a minute. Three items follow
Bordin's (1979) three parts of the working alliance: the bond, agreement on the tasks of therapy
and agreement on its goals. The next ones ask about a rupture the way the post-session questions
of Safran and Muran's group do (CLINICAL.md section 3): was there tension, did you talk about it,
how resolved does it feel. The wording is ours, written in the voice of
``shared/context/therapist-letter.txt``: plain, warm, and clear that hard answers are welcome.

Other code depends on the item keys: ``bond``, ``tasks``, ``goals``, ``tension``, ``talked``,
``resolved``, ``followup_resolved`` and ``comment``. Raise ``version`` whenever wording, options
or scoring change, so that stored answers stay tied to the questions the client actually saw.
Version 2: the follow-up question is about one named moment ("that moment"), not "last time".

The wording is marked for translation without importing Django (``gettext_noop``): the pages
translate it when they show it. A translation is not new wording, so it never raises ``version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from alliance.core.instruments import Instrument, load_instrument
from alliance.core.safety import gettext_noop as _

__all__ = [
    "ALLIANCE_MAX",
    "ALLIANCE_MIN",
    "CHECKIN",
    "CHECKIN_DEFINITION",
    "TENSION_LABELS",
    "WHO_READS",
]

_SEVEN_POINT: Final = [
    {"value": 1, "label": _("Not at all")},
    {"value": 2, "label": _("Hardly")},
    {"value": 3, "label": _("A little")},
    {"value": 4, "label": _("Somewhat")},
    {"value": 5, "label": _("Quite a bit")},
    {"value": 6, "label": _("Very much")},
    {"value": 7, "label": _("Completely")},
]

CHECKIN_DEFINITION: Final[dict[str, object]] = {
    "id": "alliance-checkin",
    "version": 2,
    "title": _("After today's session"),
    "description": _(
        "A few quick questions about how today's session felt for you. There are no right or "
        "wrong answers. Honest ones help most, including the hard ones."
    ),
    "licence": (
        "Original items © the Alliance contributors, free to use under the project's licence"
    ),
    "attribution": (
        "Original items by the Alliance contributors. The bond, tasks and goals questions follow "
        "the three parts of the working alliance described by Bordin (1979). The questions about "
        "tension and repair are inspired by the post-session rupture questions of Safran and "
        "Muran's research group, in different wording."
    ),
    "items": [
        {
            "key": "bond",
            "kind": "choice",
            "text": _(
                "How much did you feel understood, cared for and safe with your therapist today?"
            ),
            "options": _SEVEN_POINT,
            "required": True,
        },
        {
            "key": "tasks",
            "kind": "choice",
            "text": _(
                "How much did what you and your therapist did today, and the way you worked on "
                "it together, feel right for you?"
            ),
            "options": _SEVEN_POINT,
            "required": True,
        },
        {
            "key": "goals",
            "kind": "choice",
            "text": _("How much was today's session about what matters to you?"),
            "options": _SEVEN_POINT,
            "required": True,
        },
        {
            "key": "tension",
            "kind": "choice",
            "text": _(
                "Was there a moment today when you felt tension or a misunderstanding with your "
                "therapist, or felt hurt or unheard?"
            ),
            "help": _(
                "Moments like this can happen in any close relationship, this one included. "
                "Telling your therapist is welcome, and it can help you both."
            ),
            "options": [
                {"value": 0, "label": _("No, not today")},
                {"value": 1, "label": _("A little")},
                {"value": 2, "label": _("Some")},
                {"value": 3, "label": _("Quite a bit")},
                {"value": 4, "label": _("A lot")},
            ],
            "required": True,
        },
        {
            "key": "talked",
            "kind": "choice",
            "text": _("Did you and your therapist talk about it together?"),
            "options": [
                {"value": 0, "label": _("No")},
                {"value": 1, "label": _("A little")},
                {"value": 2, "label": _("Yes")},
            ],
            # Optional: someone who has just said they felt hurt is never pushed for more.
            "required": False,
            "show_if": {"item": "tension", "min": 1},
        },
        {
            "key": "resolved",
            "kind": "choice",
            "text": _("How resolved does it feel now?"),
            "options": [
                {"value": 0, "label": _("Not at all")},
                {"value": 1, "label": _("A little")},
                {"value": 2, "label": _("Partly")},
                {"value": 3, "label": _("Mostly")},
                {"value": 4, "label": _("Completely")},
            ],
            "required": False,
            "show_if": {"item": "tension", "min": 1},
        },
        {
            "key": "followup_resolved",
            "kind": "choice",
            # The page names the moment asked about (its session date and the client's own
            # words, alliance.checkins.services.followup_alert_for), one at a time.
            "text": _(
                "You told us about a difficult moment with your therapist. "
                "How does that moment feel now?"
            ),
            "options": [
                {"value": 0, "label": _("Not resolved yet")},
                {"value": 1, "label": _("Partly")},
                {"value": 2, "label": _("Resolved for me")},
            ],
            # Required when shown: this answer is what closes, or keeps open, the repair loop.
            "required": True,
            "show_if": {"context": "has_open_rupture"},
        },
        {
            "key": "comment",
            "kind": "text",
            "text": _("Is there anything you'd like your therapist to know?"),
            "help": _("Only if you want to. A few words is plenty."),
            "required": False,
            "max_length": 2000,
        },
    ],
    "scoring": {
        "composite": {
            "name": "alliance",
            "items": ["bond", "tasks", "goals"],
            "method": "mean",
            "min_answered": 3,
        },
        "subscales": [
            {"name": "bond", "items": ["bond"], "method": "mean", "min_answered": 1},
            {"name": "tasks", "items": ["tasks"], "method": "mean", "min_answered": 1},
            {"name": "goals", "items": ["goals"], "method": "mean", "min_answered": 1},
        ],
    },
    "reliability": {
        "value": 0.85,
        "source": (
            "ASSUMED default, not a published figure: these original items have no published "
            "reliability. Replace it with your clinic's own estimate "
            "(alliance.core.change.cronbach_alpha over your check-in data)."
        ),
    },
    "norms": {
        "sd": 1.0,
        "source": (
            "ASSUMED default, not a published figure: there are no published norms for these "
            "original items. Replace it with the standard deviation of the alliance score in "
            "your clinic's own check-in data."
        ),
    },
}

CHECKIN: Final[Instrument] = load_instrument(CHECKIN_DEFINITION)

# The composite is the mean of three 1-7 items, so it cannot leave this range.
ALLIANCE_MIN: Final = 1.0
ALLIANCE_MAX: Final = 7.0

TENSION_LABELS: Final[Mapping[int, str]] = MappingProxyType(
    {option.value: option.label for option in CHECKIN.item("tension").options}
)

# The page follows this with the crisis lines of the clinic's region (core.safety.CRISIS_LINES):
# no number is written here, so none can be the wrong country's.
WHO_READS: Final = _(
    "Only your therapist reads your answers, and their clinical supervisor if your clinic uses "
    "supervision. No one watches this app around the clock, so if you're in crisis, please "
    "reach out to one of these:"
)
