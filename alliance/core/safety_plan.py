"""The parts of a client's own safety plan, and which parts a new version changed.

A safety plan is written by the client and their therapist together, in the client's own
words, and kept where the client can reach it in a hard moment. Its shape follows the
published safety planning intervention (Stanley & Brown 2012, *Cognitive and Behavioral
Practice* 19(2), 256–264): warning signs, coping on one's own, people and places that distract,
people to ask for help, professionals and crisis lines, making the surroundings safer; and, as
many versions of it add, reasons for living. The titles and hints here are our own words,
addressed to the client in the first person; nothing is copied from a published form.

The plan supports the relationship and the therapist's judgement: it is not a risk assessment
and it scores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from alliance.core.safety import gettext_noop as _

__all__ = ["SECTIONS", "SECTION_KEYS", "SECTION_MAX", "Section", "changed_sections", "is_empty"]

SECTION_MAX: Final = 4000
"""Characters per part: a long list fits, a pasted document does not."""


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the plan: its key (a column), its title and a hint, both to the client."""

    key: str
    title: str
    hint: str


SECTIONS: Final[tuple[Section, ...]] = (
    Section(
        "warning_signs",
        _("How I know things are getting hard"),
        _("The thoughts, feelings, places or moments that tell me a crisis could be coming."),
    ),
    Section(
        "on_my_own",
        _("Things I can do on my own"),
        _(
            "Ways to get through a wave for a while without anyone else: skills, something to "
            "hold, music, a walk, a shower."
        ),
    ),
    Section(
        "people_places",
        _("People and places that help"),
        _(
            "Company or places that take my mind off things, where I don't have to explain how "
            "I feel."
        ),
    ),
    Section(
        "ask_for_help",
        _("People I can ask for help"),
        _("Who I can tell that I'm struggling, and how to reach them."),
    ),
    Section(
        "professionals",
        _("Professionals and crisis lines"),
        _(
            "My therapist, my clinic, a doctor, other services. The crisis lines for where I "
            "live are always shown with my plan."
        ),
    ),
    Section(
        "safer_surroundings",
        _("Making my surroundings safer"),
        _("What I can put away, give to someone to keep, or stay away from while things are hard."),
    ),
    Section(
        "reasons_for_living",
        _("My reasons for living"),
        _("People, animals, hopes, plans and small things that matter to me."),
    ),
)

SECTION_KEYS: Final[tuple[str, ...]] = tuple(section.key for section in SECTIONS)


def _text(values: Mapping[str, str], key: str) -> str:
    return (values.get(key) or "").strip()


def changed_sections(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The keys of the parts whose text differs, in plan order.

    Text is compared after trimming the ends, so a version saved with a stray space or a final
    line break changes nothing. A part missing from a mapping counts as blank.

    Examples
    --------
    >>> changed_sections({"warning_signs": "Not sleeping"}, {"warning_signs": "Not sleeping\\n"})
    []
    >>> changed_sections({}, {"reasons_for_living": "My sister"})
    ['reasons_for_living']
    """
    return [key for key in SECTION_KEYS if _text(before, key) != _text(after, key)]


def is_empty(values: Mapping[str, str]) -> bool:
    """True when every part is blank."""
    return not any(_text(values, key) for key in SECTION_KEYS)
