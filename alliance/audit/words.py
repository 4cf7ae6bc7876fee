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
from django.utils.translation import pgettext_lazy

from alliance.audit.models import AuditAction, AuditEvent, RecordType


def _phrases() -> dict[tuple[str, str, str], str]:
    """(record type, action, detail) -> what happened; detail "" is the phrase for any detail."""
    a, r = AuditAction, RecordType
    return {
        (r.ALERT, a.CREATE, ""): _("Raised an alert"),
        (r.ALERT, a.VIEW, ""): _("Opened an alert"),
        (r.ALERT, a.UPDATE, "signal_added"): _("Added a signal to an alert"),
        (r.ALERT, a.UPDATE, "client_followup"): _(
            "Noted the client's answer about an alert (not resolved yet, or partly)"
        ),
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


# The page an audit row came from, by its route name, in the reader's language. The English
# is the route's own words ("client_detail": "Client detail"), as before; a route not listed
# here (a new page, the API's) still reads as its words.
PAGES = {
    "absence_cancel": pgettext_lazy("a page, in the audit log", "Absence cancel"),
    "absence_detail": pgettext_lazy("a page, in the audit log", "Absence detail"),
    "absences": pgettext_lazy("a page, in the audit log", "Absences"),
    "access_log": pgettext_lazy("a page, in the audit log", "Access log"),
    "account": pgettext_lazy("a page, in the audit log", "Account"),
    "account_language": pgettext_lazy("a page, in the audit log", "Account language"),
    "alert_acknowledge": pgettext_lazy("a page, in the audit log", "Alert acknowledge"),
    "alert_close": pgettext_lazy("a page, in the audit log", "Alert close"),
    "alert_detail": pgettext_lazy("a page, in the audit log", "Alert detail"),
    "alert_followup": pgettext_lazy("a page, in the audit log", "Alert followup"),
    "alert_repair": pgettext_lazy("a page, in the audit log", "Alert repair"),
    "api_token_revoke": pgettext_lazy("a page, in the audit log", "Api token revoke"),
    "api_tokens": pgettext_lazy("a page, in the audit log", "Api tokens"),
    "audit_export": pgettext_lazy("a page, in the audit log", "Audit export"),
    "audit_log": pgettext_lazy("a page, in the audit log", "Audit log"),
    "caseload": pgettext_lazy("a page, in the audit log", "Caseload"),
    "checkin": pgettext_lazy("a page, in the audit log", "Checkin"),
    "checkin_thanks": pgettext_lazy("a page, in the audit log", "Checkin thanks"),
    "client_add": pgettext_lazy("a page, in the audit log", "Client add"),
    "client_detail": pgettext_lazy("a page, in the audit log", "Client detail"),
    "client_export": pgettext_lazy("a page, in the audit log", "Client export"),
    "client_fhir": pgettext_lazy("a page, in the audit log", "Client fhir"),
    "client_home": pgettext_lazy("a page, in the audit log", "Client home"),
    "clinic_analysis": pgettext_lazy("a page, in the audit log", "Clinic analysis"),
    "clinic_messages": pgettext_lazy("a page, in the audit log", "Clinic messages"),
    "clinic_people": pgettext_lazy("a page, in the audit log", "Clinic people"),
    "clinic_safety": pgettext_lazy("a page, in the audit log", "Clinic safety"),
    "clinic_settings": pgettext_lazy("a page, in the audit log", "Clinic settings"),
    "cover_summary": pgettext_lazy("a page, in the audit log", "Cover summary"),
    "crisis_help": pgettext_lazy("a page, in the audit log", "Crisis help"),
    "diary": pgettext_lazy("a page, in the audit log", "Diary"),
    "diary_done": pgettext_lazy("a page, in the audit log", "Diary done"),
    "diary_draft": pgettext_lazy("a page, in the audit log", "Diary draft"),
    "diary_targets": pgettext_lazy("a page, in the audit log", "Diary targets"),
    "diary_week": pgettext_lazy("a page, in the audit log", "Diary week"),
    "email_change": pgettext_lazy("a page, in the audit log", "Email change"),
    "email_change_confirm": pgettext_lazy("a page, in the audit log", "Email change confirm"),
    "episode_end": pgettext_lazy("a page, in the audit log", "Episode end"),
    "favicon": pgettext_lazy("a page, in the audit log", "Favicon"),
    "healthz": pgettext_lazy("a page, in the audit log", "Healthz"),
    "home": pgettext_lazy("a page, in the audit log", "Home"),
    "invitation_resend": pgettext_lazy("a page, in the audit log", "Invitation resend"),
    "invitation_withdraw": pgettext_lazy("a page, in the audit log", "Invitation withdraw"),
    "invite_accept": pgettext_lazy("a page, in the audit log", "Invite accept"),
    "invite_resend": pgettext_lazy("a page, in the audit log", "Invite resend"),
    "invite_revoke": pgettext_lazy("a page, in the audit log", "Invite revoke"),
    "legal_hold": pgettext_lazy("a page, in the audit log", "Legal hold"),
    "login": pgettext_lazy("a page, in the audit log", "Login"),
    "logout": pgettext_lazy("a page, in the audit log", "Logout"),
    "manifest": pgettext_lazy("a page, in the audit log", "Manifest"),
    "message_resend": pgettext_lazy("a page, in the audit log", "Message resend"),
    "message_settings": pgettext_lazy("a page, in the audit log", "Message settings"),
    "my_safety_plan": pgettext_lazy("a page, in the audit log", "My safety plan"),
    "my_safety_plan_edit": pgettext_lazy("a page, in the audit log", "My safety plan edit"),
    "offline": pgettext_lazy("a page, in the audit log", "Offline"),
    "outcome_schedule": pgettext_lazy("a page, in the audit log", "Outcome schedule"),
    "password_change": pgettext_lazy("a page, in the audit log", "Password change"),
    "password_reset": pgettext_lazy("a page, in the audit log", "Password reset"),
    "password_reset_complete": pgettext_lazy("a page, in the audit log", "Password reset complete"),
    "password_reset_confirm": pgettext_lazy("a page, in the audit log", "Password reset confirm"),
    "password_reset_done": pgettext_lazy("a page, in the audit log", "Password reset done"),
    "person_deactivate": pgettext_lazy("a page, in the audit log", "Person deactivate"),
    "person_reactivate": pgettext_lazy("a page, in the audit log", "Person reactivate"),
    "person_two_factor_reset": pgettext_lazy("a page, in the audit log", "Person two factor reset"),
    "profile": pgettext_lazy("a page, in the audit log", "Profile"),
    "questionnaire": pgettext_lazy("a page, in the audit log", "Questionnaire"),
    "questionnaire_done": pgettext_lazy("a page, in the audit log", "Questionnaire done"),
    "reach_out_decline": pgettext_lazy("a page, in the audit log", "Reach out decline"),
    "reach_out_detail": pgettext_lazy("a page, in the audit log", "Reach out detail"),
    "reach_out_form": pgettext_lazy("a page, in the audit log", "Reach out form"),
    "reach_out_invite": pgettext_lazy("a page, in the audit log", "Reach out invite"),
    "reach_out_list": pgettext_lazy("a page, in the audit log", "Reach out list"),
    "reach_out_page": pgettext_lazy("a page, in the audit log", "Reach out page"),
    "reach_out_reply": pgettext_lazy("a page, in the audit log", "Reach out reply"),
    "reach_out_thanks": pgettext_lazy("a page, in the audit log", "Reach out thanks"),
    "reauth": pgettext_lazy("a page, in the audit log", "Reauth"),
    "recovery_codes": pgettext_lazy("a page, in the audit log", "Recovery codes"),
    "recovery_codes_regenerate": pgettext_lazy(
        "a page, in the audit log", "Recovery codes regenerate"
    ),
    "reminders_pause": pgettext_lazy("a page, in the audit log", "Reminders pause"),
    "research_export_download": pgettext_lazy(
        "a page, in the audit log", "Research export download"
    ),
    "research_exports": pgettext_lazy("a page, in the audit log", "Research exports"),
    "response_detail": pgettext_lazy("a page, in the audit log", "Response detail"),
    "rupture_urges": pgettext_lazy("a page, in the audit log", "Rupture urges"),
    "safety_plan": pgettext_lazy("a page, in the audit log", "Safety plan"),
    "safety_plan_edit": pgettext_lazy("a page, in the audit log", "Safety plan edit"),
    "safety_plan_review": pgettext_lazy("a page, in the audit log", "Safety plan review"),
    "safety_plan_worker": pgettext_lazy("a page, in the audit log", "Safety plan worker"),
    "service_worker": pgettext_lazy("a page, in the audit log", "Service worker"),
    "session_edit": pgettext_lazy("a page, in the audit log", "Session edit"),
    "session_prep": pgettext_lazy("a page, in the audit log", "Session prep"),
    "session_prep_pdf": pgettext_lazy("a page, in the audit log", "Session prep pdf"),
    "session_rating": pgettext_lazy("a page, in the audit log", "Session rating"),
    "session_schedule": pgettext_lazy("a page, in the audit log", "Session schedule"),
    "session_status": pgettext_lazy("a page, in the audit log", "Session status"),
    "set_language": pgettext_lazy("a page, in the audit log", "Set language"),
    "supervision": pgettext_lazy("a page, in the audit log", "Supervision"),
    "supervision_names": pgettext_lazy("a page, in the audit log", "Supervision names"),
    "supervision_therapist": pgettext_lazy("a page, in the audit log", "Supervision therapist"),
    "supervisor_assign": pgettext_lazy("a page, in the audit log", "Supervisor assign"),
    "supervisor_unassign": pgettext_lazy("a page, in the audit log", "Supervisor unassign"),
    "timeline": pgettext_lazy("a page, in the audit log", "Timeline"),
    "two_factor_reset": pgettext_lazy("a page, in the audit log", "Two factor reset"),
    "two_factor_setup": pgettext_lazy("a page, in the audit log", "Two factor setup"),
    "two_factor_verify": pgettext_lazy("a page, in the audit log", "Two factor verify"),
}


def page_words(route: str) -> str:
    """The page a row came from, from its route name: "client_detail" -> "Client detail"."""
    found = PAGES.get(route)
    return str(found) if found is not None else route.replace("_", " ").capitalize()
