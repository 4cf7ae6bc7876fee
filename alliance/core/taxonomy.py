"""Rupture types, markers and resolution strategies the therapist records.

The two families and their markers follow the Rupture Resolution Rating System (3RS; Eubanks,
Muran & Safran 2015 coding manual) as summarised in CLINICAL.md section 3; the lists there are
marked "to verify" against the manual, and so are these. The labels are our own short wording,
marked for translation without Django (``gettext_noop``); the pages translate them when they
show them (``ruptures.models``, ``ruptures.forms``).
"""

from __future__ import annotations

from alliance.core.safety import gettext_noop as _

# The families' names, for the markers' groups on the repair form.
WITHDRAWAL = _("Withdrawal")
CONFRONTATION = _("Confrontation")

RUPTURE_TYPES: tuple[tuple[str, str], ...] = (
    ("withdrawal", _("Withdrawal")),
    ("confrontation", _("Confrontation")),
    ("both", _("Both")),
    ("unclear", _("Unclear")),
)

WITHDRAWAL_MARKERS: tuple[tuple[str, str], ...] = (
    ("denial", _("Denial")),
    ("minimal_response", _("Minimal response")),
    ("abstract_communication", _("Abstract communication")),
    ("avoidant_storytelling", _("Avoidant storytelling or shifting topic")),
    ("deferential", _("Deferential and appeasing")),
    ("content_affect_split", _("Content/affect split")),
    ("self_criticism", _("Self-criticism or hopelessness")),
)

CONFRONTATION_MARKERS: tuple[tuple[str, str], ...] = (
    ("complaint_therapist", _("Complaints or concerns about the therapist")),
    ("complaint_activities", _("Complaints about the activities of therapy")),
    ("complaint_parameters", _("Complaints about the parameters (time, fees, frequency)")),
    ("complaint_progress", _("Complaints about progress")),
    ("rejecting_intervention", _("Rejecting an intervention")),
    ("defending_self", _("Defending oneself against the therapist")),
    ("control_pressure", _("Efforts to control or pressure the therapist")),
)

MARKERS: tuple[tuple[str, str], ...] = WITHDRAWAL_MARKERS + CONFRONTATION_MARKERS

RESOLUTION_STRATEGIES: tuple[tuple[str, str], ...] = (
    ("clarify", _("Clarify a misunderstanding")),
    ("change_tasks_goals", _("Change tasks or goals")),
    ("illustrate_rationale", _("Illustrate a task or give a rationale")),
    (
        "invite_discussion",
        _("Invite discussion of thoughts and feelings about therapist or therapy"),
    ),
    ("acknowledge_contribution", _("Acknowledge own contribution")),
    ("disclose_experience", _("Disclose own experience of the interaction")),
    ("link_patterns", _("Link the rupture to wider interpersonal patterns")),
    ("validate_defense", _("Validate the client's defensive stance")),
    ("redirect", _("Redirect or refocus")),
)


def labels(codes: list[str], table: tuple[tuple[str, str], ...]) -> list[str]:
    """Labels for codes, in the table's order (in English: the msgids); unknown codes raise
    ValueError."""
    known = dict(table)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValueError(f"unknown code(s): {', '.join(sorted(unknown))}")
    return [label for code, label in table if code in codes]
