"""Rupture types, markers and resolution strategies the therapist records.

The two families and their markers follow the Rupture Resolution Rating System (3RS; Eubanks,
Muran & Safran 2015 coding manual) as summarised in CLINICAL.md section 3; the lists there are
marked "to verify" against the manual, and so are these. The labels are our own short wording.
"""

from __future__ import annotations

RUPTURE_TYPES: tuple[tuple[str, str], ...] = (
    ("withdrawal", "Withdrawal"),
    ("confrontation", "Confrontation"),
    ("both", "Both"),
    ("unclear", "Unclear"),
)

WITHDRAWAL_MARKERS: tuple[tuple[str, str], ...] = (
    ("denial", "Denial"),
    ("minimal_response", "Minimal response"),
    ("abstract_communication", "Abstract communication"),
    ("avoidant_storytelling", "Avoidant storytelling or shifting topic"),
    ("deferential", "Deferential and appeasing"),
    ("content_affect_split", "Content/affect split"),
    ("self_criticism", "Self-criticism or hopelessness"),
)

CONFRONTATION_MARKERS: tuple[tuple[str, str], ...] = (
    ("complaint_therapist", "Complaints or concerns about the therapist"),
    ("complaint_activities", "Complaints about the activities of therapy"),
    ("complaint_parameters", "Complaints about the parameters (time, fees, frequency)"),
    ("complaint_progress", "Complaints about progress"),
    ("rejecting_intervention", "Rejecting an intervention"),
    ("defending_self", "Defending oneself against the therapist"),
    ("control_pressure", "Efforts to control or pressure the therapist"),
)

MARKERS: tuple[tuple[str, str], ...] = WITHDRAWAL_MARKERS + CONFRONTATION_MARKERS

RESOLUTION_STRATEGIES: tuple[tuple[str, str], ...] = (
    ("clarify", "Clarify a misunderstanding"),
    ("change_tasks_goals", "Change tasks or goals"),
    ("illustrate_rationale", "Illustrate a task or give a rationale"),
    ("invite_discussion", "Invite discussion of thoughts and feelings about therapist or therapy"),
    ("acknowledge_contribution", "Acknowledge own contribution"),
    ("disclose_experience", "Disclose own experience of the interaction"),
    ("link_patterns", "Link the rupture to wider interpersonal patterns"),
    ("validate_defense", "Validate the client's defensive stance"),
    ("redirect", "Redirect or refocus"),
)


def labels(codes: list[str], table: tuple[tuple[str, str], ...]) -> list[str]:
    """Labels for codes, in the table's order; unknown codes raise ValueError."""
    known = dict(table)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValueError(f"unknown code(s): {', '.join(sorted(unknown))}")
    return [label for code, label in table if code in codes]
