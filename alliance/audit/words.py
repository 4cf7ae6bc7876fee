"""The clinic admin's audit log in words: what happened, and which record, never a raw code or id.

A row stores fixed codes (``alert`` / ``transition`` / ``repair_recorded``); the admin reads
"Recorded a repair". A record is a link where the admin may open it (the clinic's people, the
safety settings, the audit log itself); a clinical record, which the admin never opens, is a
short label ("Check-in"), with whose record it is in its own column. The CSV export keeps the
codes and ids as well, for whoever checks the log against the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction, AuditEvent, RecordType


def _phrases() -> dict[tuple[str, str, str], str]:
    """(record type, action, detail) -> what happened; detail "" is the phrase for any detail."""
    a, r = AuditAction, RecordType
    return {
        (r.ALERT, a.CREATE, ""): _("Raised an alert"),
        (r.ALERT, a.VIEW, ""): _("Opened an alert"),
        (r.ALERT, a.UPDATE, "signal_added"): _("Added a signal to an alert"),
        (r.ALERT, a.TRANSITION, "acknowledged"): _("Acknowledged an alert"),
        (r.ALERT, a.TRANSITION, "repair_recorded"): _("Recorded a repair"),
        (r.ALERT, a.TRANSITION, "resolved"): _("Resolved an alert (the client's check-in said so)"),
        (r.ALERT, a.TRANSITION, "closed"): _("Closed an alert"),
        (r.ALERT, a.TRANSITION, ""): _("Changed an alert's status"),
        (r.REPAIR_RECORD, a.CREATE, ""): _("Wrote a repair record"),
        (r.REPAIR_RECORD, a.CREATE, "amendment"): _("Amended a repair record"),
        (r.CHECKIN, a.CREATE, ""): _("Sent a check-in"),
        (r.CHECKIN, a.VIEW, ""): _("Read a check-in"),
        (r.CHECKIN, a.UPDATE, "read"): _("Read a check-in"),
        (r.CHECKIN, a.LIST, ""): _("Saw check-ins in a chart"),
        (r.ALERT, a.LIST, ""): _("Saw alerts in a list"),
        (r.SESSION_PREP, a.VIEW, ""): _("Opened a session-prep summary"),
        (r.SESSION_PREP, a.VIEW, "with_notes"): _(
            "Opened a session-prep summary, free-text notes included"
        ),
        (r.SESSION_PREP, a.EXPORT, "pdf"): _("Downloaded a session-prep summary (PDF)"),
        (r.SESSION_PREP, a.EXPORT, "pdf_with_notes"): _(
            "Downloaded a session-prep summary (PDF), free-text notes included"
        ),
        (r.CARE_EPISODE, a.VIEW, ""): _("Opened a client's record"),
        (r.CARE_EPISODE, a.LIST, ""): _("Saw a client in a list"),
        (r.CARE_EPISODE, a.CREATE, ""): _("Started a course of therapy"),
        (r.CARE_EPISODE, a.TRANSITION, "ended"): _("Ended a course of therapy"),
        (r.PERSON, a.VIEW, ""): _("Opened an account"),
        (r.PERSON, a.LIST, ""): _("Saw a person in a list"),
        (r.PERSON, a.CREATE, ""): _("Created an account"),
        (r.PERSON, a.UPDATE, ""): _("Updated an account"),
        (r.PERSON, a.UPDATE, "password_changed"): _("Changed their password"),
        (r.PERSON, a.UPDATE, "password_set"): _("Set their password"),
        (r.PERSON, a.UPDATE, "email_changed"): _("Changed their email address"),
        (r.PERSON, a.UPDATE, "language_changed"): _("Changed the language of their pages"),
        (r.PERSON, a.UPDATE, "two_factor_reset"): _("Reset two-factor sign-in"),
        (r.PERSON, a.UPDATE, "deactivated"): _("Deactivated an account"),
        (r.PERSON, a.UPDATE, "reactivated"): _("Reactivated an account"),
        (r.PERSON, a.ANONYMISE, ""): _("Anonymised a former client's record"),
        (r.PERSON, a.LEGAL_HOLD, ""): _("Placed a legal hold"),
        (r.PERSON, a.LEGAL_HOLD_CLEARED, ""): _("Cleared a legal hold"),
        (r.SESSION, a.VIEW, ""): _("Opened a session"),
        (r.SESSION, a.CREATE, ""): _("Scheduled a session"),
        (r.SESSION, a.TRANSITION, "attended"): _("Marked a session attended"),
        (r.SESSION, a.TRANSITION, "missed"): _("Marked a session missed"),
        (r.SESSION, a.TRANSITION, "cancelled_client"): _(
            "Marked a session cancelled by the client"
        ),
        (r.SESSION, a.TRANSITION, "cancelled_therapist"): _(
            "Marked a session cancelled by the therapist"
        ),
        (r.SESSION, a.TRANSITION, "scheduled"): _("Marked a session scheduled again"),
        (r.SESSION, a.TRANSITION, ""): _("Changed a session's status"),
        (r.INVITE, a.CREATE, ""): _("Sent an invitation"),
        (r.INVITE, a.TRANSITION, "accepted"): _("Accepted an invitation"),
        (r.AUDIT_LOG, a.VIEW, ""): _("Reviewed the audit log"),
        (r.AUDIT_LOG, a.EXPORT, ""): _("Downloaded the audit log"),
        (r.DIARY_CARD, a.VIEW, ""): _("Opened a diary card"),
        (r.DIARY_CARD, a.LIST, ""): _("Saw diary cards in a chart"),
        (r.DIARY_CARD, a.CREATE, "draft"): _("Started a diary card (draft)"),
        (r.DIARY_CARD, a.CREATE, "submitted"): _("Sent a diary card"),
        (r.DIARY_CARD, a.UPDATE, "submitted"): _("Sent a diary card"),
        (r.DIARY_CARD, a.UPDATE, "edited"): _("Sent changes to a diary card"),
        (r.DIARY_TARGET, a.VIEW, ""): _("Opened a diary card target"),
        (r.REACH_OUT, a.CREATE, ""): _("Received a reach-out request"),
        (r.REACH_OUT, a.VIEW, ""): _("Opened a reach-out request"),
        (r.REACH_OUT, a.LIST, ""): _("Saw a reach-out request in a list"),
        (r.REACH_OUT, a.TRANSITION, "replied"): _("Answered a reach-out request"),
        (r.REACH_OUT, a.TRANSITION, "declined"): _("Declined a reach-out request kindly"),
        (r.REACH_OUT, a.TRANSITION, "invited"): _("Invited someone who reached out as a client"),
        (r.REACH_OUT, a.DELETE, "retention"): _(
            "Deleted a reach-out request at the end of its retention period"
        ),
        (r.REACH_OUT_PAGE, a.CREATE, ""): _("Created a reach-out page"),
        (r.REACH_OUT_PAGE, a.UPDATE, ""): _("Changed a reach-out page"),
        (r.DIARY_TARGET, a.CREATE, ""): _("Added a diary card target"),
        (r.DIARY_TARGET, a.UPDATE, "started"): _("Started tracking a diary card target"),
        (r.DIARY_TARGET, a.UPDATE, "stopped"): _("Stopped tracking a diary card target"),
        (r.OUTCOME_RESPONSE, a.CREATE, ""): _("Answered a questionnaire"),
        (r.OUTCOME_RESPONSE, a.VIEW, ""): _("Opened questionnaire answers"),
        (r.OUTCOME_RESPONSE, a.LIST, ""): _("Saw questionnaire answers in a list"),
        (r.OUTCOME_SCHEDULE, a.UPDATE, ""): _("Changed a questionnaire schedule"),
        (r.OUTCOME_SCHEDULE, a.UPDATE, "off"): _("Stopped a questionnaire schedule"),
        (r.INSTRUMENT, a.CREATE, ""): _("Imported a questionnaire"),
        (r.CLINIC_SAFETY, a.UPDATE, ""): _("Changed the safety settings"),
        (r.PERSON, a.EXPORT, "client_export"): _("Downloaded their own records"),
        (r.PERSON, a.EXPORT, "fhir"): _("Exported a client's answers as FHIR"),
        (r.PERSON, a.EXPORT, "research"): _("Included in a research export (pseudonymous)"),
        (r.PERSON, a.EXPORT, ""): _("Exported a record"),
        (r.RESEARCH_EXPORT, a.EXPORT, "requested"): _("Asked for a research export"),
        (r.RESEARCH_EXPORT, a.EXPORT, "downloaded"): _("Downloaded a research export"),
        (r.SAFETY_PLAN, a.VIEW, ""): _("Opened a safety plan"),
        (r.SAFETY_PLAN, a.CREATE, ""): _("Wrote a safety plan"),
        (r.SAFETY_PLAN, a.UPDATE, ""): _("Changed a safety plan"),
        (r.SAFETY_PLAN, a.TRANSITION, "reviewed"): _("Went through a safety plan together"),
        (r.THERAPIST_RATING, a.CREATE, ""): _("Rated a session (the therapist's view)"),
        (r.SUPERVISION, a.LIST, ""): _("Saw a client's care counted in supervision figures"),
        (r.SUPERVISION, a.VIEW, ""): _("Opened supervision figures about a therapist"),
        (r.SUPERVISION, a.UPDATE, "assigned"): _("Assigned a supervisor to a therapist"),
        (r.SUPERVISION, a.UPDATE, "unassigned"): _("Ended a supervisor's assignment"),
        (r.SUPERVISION, a.UPDATE, "names_shown"): _("Let supervisors see client names"),
        (r.SUPERVISION, a.UPDATE, "names_hidden"): _("Hid client names from supervisors"),
    }


def _label(choices: type[AuditAction] | type[RecordType], code: str) -> str:
    return str(choices(code).label) if code in choices.values else code.replace("_", " ")


def describe_for_staff(event: AuditEvent) -> str:
    """What happened, in words: "Recorded a repair", "Read a check-in".

    A code this table does not know yet (a new kind of record) still reads as words, from the
    log's own labels: "Changed status: alert (signal added)".
    """
    phrases = _phrases()
    key = (event.record_type, event.action)
    found = phrases.get((*key, event.detail)) or phrases.get((*key, ""))
    if found is not None:
        return found
    words = _("%(action)s: %(record)s") % {
        "action": _label(AuditAction, event.action),
        "record": _label(RecordType, event.record_type).lower(),
    }
    return f"{words} ({event.detail.replace('_', ' ')})" if event.detail else words


@dataclass(frozen=True)
class RecordRef:
    label: str
    url: str = ""


def record_for_admin(event: AuditEvent) -> RecordRef:
    """Which record, as the clinic admin may see it: a link where they can open it."""
    label = _label(RecordType, event.record_type)
    if event.record_type in {RecordType.PERSON, RecordType.INVITE}:
        return RecordRef(label, reverse("clinic_people"))
    if event.record_type == RecordType.CLINIC_SAFETY:
        return RecordRef(label, reverse("clinic_safety"))
    if event.record_type == RecordType.AUDIT_LOG:
        return RecordRef(label, reverse("audit_log"))
    if event.record_type == RecordType.RESEARCH_EXPORT:
        return RecordRef(label, reverse("research_exports"))
    return RecordRef(label)


def page_words(route: str) -> str:
    """The page a row came from, from its route name: "client_detail" -> "Client detail"."""
    return route.replace("_", " ").capitalize()
