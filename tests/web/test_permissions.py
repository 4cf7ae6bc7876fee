"""Who may open which page: a matrix over every route, role and method.

Every URL in the URLconf has a row in ``MATRIX``, and a test fails when the two disagree, so a new
route cannot ship without its rule. The URLs are filled with the records of Teresa (``therapist``)
and her client Carla (``client_user``): for everyone else they are someone else's records, which
must answer 404 exactly like a record that does not exist (never 403, which would confirm it).

Each request is empty (no POST data): the matrix is about who gets in, not what a form does with
its input; that is in the per-view tests.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from alliance.checkins.services import checkin_submit
from alliance.messaging.models import MessageKind, MessageState, OutboxMessage
from alliance.messaging.reminders import pause_token
from alliance.messaging.services import message_queue
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import questionnaire_for
from alliance.outcomes.services import response_submit, schedule_set
from alliance.people.models import User
from alliance.people.services import client_add
from alliance.reachout.services import page_save, request_submit
from alliance.ruptures.models import Alert
from alliance.safetyplan.services import safety_plan_save
from tests.conftest import GOOD_ANSWERS

ROLES = ("anonymous", "client", "other_client", "therapist", "other_therapist", "stranger", "admin")
PERSONA = {
    "client": "client_user",
    "other_client": "other_client",
    "therapist": "therapist",
    "other_therapist": "other_therapist",
    "stranger": "stranger",
    "admin": "admin",
}


@dataclass(frozen=True)
class To:
    """A 302 to this route, its URL kwargs filled from the shared records."""

    route: str
    kwargs: dict[str, str] = field(default_factory=dict)
    fragment: str = ""
    """After ``#``, with ``{record}`` names filled from the shared records."""


LOGIN = "login?next"
"""A 302 to the login page with ``next`` set to the page asked for."""

NOT_ALLOWED = (405,) * 7

Expect = int | To | str


@dataclass(frozen=True)
class Rule:
    get: tuple[Expect, ...]
    post: tuple[Expect, ...]
    url: dict[str, str] = field(default_factory=dict)
    """URL kwarg -> name of the record (see ``records``) that fills it."""


CLIENT_PAGE = To("client_detail", {"client_id": "client"})
AT_OPEN_SESSION = To("client_detail", {"client_id": "client"}, "session-{open_session}")
ALERT_PAGE = To("alert_detail", {"alert_id": "alert"})
HOME = To("home")
LOGIN_PAGE = To("login")
CASELOAD = To("caseload")
ME = To("client_home")
PEOPLE = To("clinic_people")
ACCOUNT = To("account")
DIARY = To("diary")
MESSAGES = To("clinic_messages")
ABSENCE_PAGE = To("absence_detail", {"absence_id": "absence"})
STAFF_ONLY = (LOGIN, 404, 404, 200, 200, 200, 200)
SUPERVISION_ADMIN = To("clinic_people", fragment="supervision-h")
API_TOKENS = To("api_tokens")
NO_TOKEN = (401,) * 7

# fmt: off
MATRIX: dict[str, Rule] = {
    #         anonymous   client  other_client therapist  other_therapist stranger admin
    "home": Rule(
        get=(LOGIN_PAGE,  ME,     ME,     CASELOAD,    CASELOAD, CASELOAD, PEOPLE),
        post=NOT_ALLOWED,
    ),
    "healthz": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "favicon": Rule(
        get=(302,         302,    302,    302,         302,      302,      302),
        post=NOT_ALLOWED,
    ),
    "login": Rule(
        get=(200,         HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
        post=(200,        HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
    ),
    "logout": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE),
    ),
    # "Forgot your password?" is open to everyone; a made-up link answers with its own page.
    "password_reset": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(200,        200,    200,    200,         200,      200,      200),
    ),
    "password_reset_done": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "password_reset_confirm": Rule(
        url={"uidb64": "reset_uid", "token": "reset_token"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(200,        200,    200,    200,         200,      200,      200),
    ),
    "password_reset_complete": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "invite_accept": Rule(
        url={"token": "invite_token"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(200,        200,    200,    200,         200,      200,      200),
    ),
    "caseload": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=NOT_ALLOWED,
    ),
    "client_add": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=(LOGIN,      404,    404,    200,         200,      200,      404),
    ),
    "client_detail": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # An empty schedule or edit form answers 400 (no date); an empty status post goes back to
    # the session on the client page with a message.
    "session_schedule": Rule(
        url={"client_id": "client"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "session_edit": Rule(
        url={"session_id": "open_session"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "session_status": Rule(
        url={"session_id": "open_session"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    AT_OPEN_SESSION, 404,  404,      404),
    ),
    "invite_resend": Rule(
        url={"person_id": "invited"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    200,         404,      404,      200),
    ),
    # Invitations waiting, on the caseload: only the therapist who is waiting for them.
    "invitation_resend": Rule(
        url={"invite_id": "waiting_invite"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    200,         404,      404,      404),
    ),
    "invitation_withdraw": Rule(
        url={"invite_id": "waiting_invite"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    CASELOAD,    404,      404,      404),
    ),
    "invite_revoke": Rule(
        url={"person_id": "invited"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    To("client_detail", {"client_id": "invited"}),
              404,        404,    PEOPLE),
    ),
    "alert_detail": Rule(
        url={"alert_id": "alert"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "alert_acknowledge": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    ALERT_PAGE,  404,      404,      404),
    ),
    "alert_repair": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "alert_close": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "alert_followup": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "client_home": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "checkin": Rule(
        url={"session_id": "open_session"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=(LOGIN,      400,    404,    404,         404,      404,      404),
    ),
    "checkin_thanks": Rule(
        url={"session_id": "answered_session"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "clinic_settings": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      400),
    ),
    "clinic_people": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      200),
    ),
    "clinic_messages": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=NOT_ALLOWED,
    ),
    "message_resend": Rule(
        url={"message_id": "failed_message"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      MESSAGES),
    ),
    "message_settings": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      404),
        post=(LOGIN,      200,    200,    200,         200,      200,      404),
    ),
    "reminders_pause": Rule(
        url={"token": "pause_token"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(200,        200,    200,    200,         200,      200,      200),
    ),
    # Audit log and data rights
    "access_log": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "audit_log": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=NOT_ALLOWED,
    ),
    "audit_export": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=NOT_ALLOWED,
    ),
    "episode_end": Rule(
        url={"client_id": "client"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    CLIENT_PAGE, 404,      404,      PEOPLE),
    ),
    "legal_hold": Rule(
        url={"person_id": "client"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      PEOPLE),
    ),
    # A confirmation page first; an empty post (no ticked box) is refused.
    "person_deactivate": Rule(
        url={"person_id": "invited"},
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      400),
    ),
    "person_reactivate": Rule(
        url={"person_id": "invited"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      PEOPLE),
    ),
    "person_two_factor_reset": Rule(
        url={"person_id": "teresa"},
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      PEOPLE),
    ),
    # Account pages: every persona here has just logged in (and passed two-factor), so the
    # pages that ask to confirm it's you let them straight in. An empty form answers 400.
    "account": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    # The language form redirects to the account page, saying what was wrong with an empty one.
    "account_language": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN,      ACCOUNT, ACCOUNT, ACCOUNT,   ACCOUNT,  ACCOUNT,  ACCOUNT),
    ),
    # Django's language link, open to all: without a language it changes nothing.
    "set_language": Rule(
        get=(HOME,        HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
        post=(HOME,       HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
    ),
    "profile": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      200),
        post=(LOGIN,      400,    400,    400,         400,      400,      400),
    ),
    "reauth": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      200),
        post=(LOGIN,      400,    400,    400,         400,      400,      400),
    ),
    "password_change": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      200),
        post=(LOGIN,      400,    400,    400,         400,      400,      400),
    ),
    "email_change": Rule(
        get=(LOGIN,       200,    200,    200,         200,      200,      200),
        post=(LOGIN,      400,    400,    400,         400,      400,      400),
    ),
    # A made-up link answers 400 with its own page, for everyone signed in.
    "email_change_confirm": Rule(
        url={"token": "reset_token"},
        get=(LOGIN,       400,    400,    400,         400,      400,      400),
        post=(LOGIN,      400,    400,    400,         400,      400,      400),
    ),
    "two_factor_setup": Rule(
        get=(LOGIN,       404,    404,    ACCOUNT,     ACCOUNT,  ACCOUNT,  ACCOUNT),
        post=(LOGIN,      404,    404,    ACCOUNT,     ACCOUNT,  ACCOUNT,  ACCOUNT),
    ),
    "two_factor_verify": Rule(
        get=(LOGIN,       404,    404,    HOME,        HOME,     HOME,     HOME),
        post=(LOGIN,      404,    404,    HOME,        HOME,     HOME,     HOME),
    ),
    "recovery_codes": Rule(
        get=STAFF_ONLY,
        post=NOT_ALLOWED,
    ),
    "recovery_codes_regenerate": Rule(
        get=STAFF_ONLY,
        post=(LOGIN,      404,    404,    To("recovery_codes"), To("recovery_codes"),
              To("recovery_codes"), To("recovery_codes")),
    ),
    "two_factor_reset": Rule(
        get=STAFF_ONLY,
        post=(LOGIN,      404,    404,    To("two_factor_setup"), To("two_factor_setup"),
              To("two_factor_setup"), To("two_factor_setup")),
    ),
    # Outcome questionnaires and safety. An empty questionnaire post answers 400 (nothing
    # answered); an empty schedule post switches Carla's questionnaires off; an empty safety
    # post restores the defaults.
    "questionnaire": Rule(
        url={"episode_id": "episode", "instrument_id": "phq9", "occasion": "intake"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=(LOGIN,      400,    404,    404,         404,      404,      404),
    ),
    "questionnaire_done": Rule(
        url={"response_id": "response"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # --- on a phone (alliance/offline): the manifest, the worker, the retired plan worker and
    # the offline page hold no record and are the same for anyone (the page names the region's
    # crisis lines of the person's clinic).
    "manifest": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "service_worker": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "safety_plan_worker": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "offline": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "crisis_help": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "outcome_schedule": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=(LOGIN,      404,    404,    CLIENT_PAGE, 404,      404,      404),
    ),
    "response_detail": Rule(
        url={"response_id": "response"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # An empty post has no rows (no formset management form): 400, with what is missing.
    "clinic_safety": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      400),
    ),
    # Diary card. The client's pages address a day by ?day= (today without it), so they name
    # no record; an empty post has no form token and answers 400; the "done" page of a day with
    # no card sent goes back to the card.
    "diary": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=(LOGIN,      400,    400,    404,         404,      404,      404),
    ),
    "diary_draft": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN,      400,    400,    404,         404,      404,      404),
    ),
    "diary_done": Rule(
        get=(LOGIN,       DIARY,  DIARY,  404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "diary_week": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # Reaching out. The public page and its thanks are for anyone, signed in or not (an empty
    # post is refused: no stamp, no token); Teresa's request is hers, and the clinic admin's
    # intake list holds only the clinic page's (and those of therapists who left).
    "reach_out_form": Rule(
        url={"slug": "reach_out_slug"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(400,        400,    400,    400,         400,      400,      400),
    ),
    "reach_out_thanks": Rule(
        url={"slug": "reach_out_slug"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "reach_out_list": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "reach_out_page": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      200),
        post=(LOGIN,      404,    404,    400,         400,      400,      400),
    ),
    "reach_out_detail": Rule(
        url={"request_id": "reach_out"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "reach_out_reply": Rule(
        url={"request_id": "reach_out"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "reach_out_decline": Rule(
        url={"request_id": "reach_out"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "reach_out_invite": Rule(
        url={"request_id": "reach_out"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "diary_targets": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    # --- client timeline, session prep, ruptures and urges ---
    "timeline": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "session_prep": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "session_prep_pdf": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # The therapist's own caseload: every therapist has one (an empty one answers 200).
    "rupture_urges": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=NOT_ALLOWED,
    ),
    # --- planned absences ---
    # Teresa's absence (two months ahead) with Omar covering: Omar's access begins only on its
    # first day, so today he gets the 404 of a missing record. An empty absence post is 400.
    "absences": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=(LOGIN,      404,    404,    400,         400,      400,      404),
    ),
    "absence_detail": Rule(
        url={"absence_id": "absence"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "absence_cancel": Rule(
        url={"absence_id": "absence"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    ABSENCE_PAGE, 404,     404,      404),
    ),
    "cover_summary": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    # --- exports (the client's own, research, FHIR) ---
    "client_export": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=(LOGIN,      400,    400,    404,         404,      404,      404),
    ),
    "client_fhir": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "research_exports": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      To("research_exports")),
    ),
    "research_export_download": Rule(
        url={"export_id": "research_export"},
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=NOT_ALLOWED,
    ),
    # --- safety plan ---
    # The client's own plan names no record (each client sees theirs); an empty post has no
    # version and answers 400. An empty review post goes back to the plan with a message. The
    # service worker is a script with no record in it, for anyone.
    "my_safety_plan": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "my_safety_plan_edit": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=(LOGIN,      400,    400,    404,         404,      404,      404),
    ),
    "safety_plan": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "safety_plan_edit": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "safety_plan_review": Rule(
        url={"client_id": "client"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    To("safety_plan", {"client_id": "client"}),
              404,        404,    404),
    ),
    # --- Therapist ratings and supervision (the supervisor's own column is in
    # tests/web/test_permissions_supervisor.py). An empty rating post has no form token: 400.
    # The admin's supervision forms go back to the people page, with a message when empty.
    "session_rating": Rule(
        url={"session_id": "open_session"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "supervision": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "supervision_therapist": Rule(
        url={"therapist_id": "teresa"},
        get=(LOGIN,       404,    404,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "supervisor_assign": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      SUPERVISION_ADMIN),
    ),
    "supervisor_unassign": Rule(
        url={"assignment_id": "assignment"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      SUPERVISION_ADMIN),
    ),
    "supervision_names": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    404,         404,      404,      SUPERVISION_ADMIN),
    ),
    # --- alliance-outcome analysis ---
    "clinic_analysis": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=NOT_ALLOWED,
    ),
    # --- REST API (docs/api.md) ---
    # The token pages are staff only. The API itself opens only with a bearer token: a browser's
    # session cookie gets the 401 problem for everyone (the token matrix is in
    # tests/api/test_api_matrix.py); a method an address does not take is 405 before anything.
    "api_tokens": Rule(
        get=STAFF_ONLY,
        post=(LOGIN,      404,    404,    400,         400,      400,      400),
    ),
    "api_token_revoke": Rule(
        url={"token_id": "api_token"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    API_TOKENS,  404,      404,      404),
    ),
    "api:openapi-json": Rule(get=(200,) * 7, post=NOT_ALLOWED),
    "api:api-root": Rule(get=(404,) * 7, post=(404,) * 7),
    **{
        f"api:{name}": Rule(url=url, get=NO_TOKEN, post=NOT_ALLOWED)
        for name, url in (
            ("clients", {}),
            ("client", {"client_id": "client"}),
            ("episodes", {}),
            ("episode", {"episode_id": "episode"}),
            ("sessions", {}),
            ("session", {"session_id": "answered_session"}),
            ("checkins", {}),
            ("checkin", {"checkin_id": "checkin"}),
            ("scores", {}),
            ("score", {"score_id": "response"}),
            ("diary_cards", {}),
            ("diary_card", {"card_id": "diary_card"}),
            ("alerts", {}),
            ("alert", {"alert_id": "alert"}),
            ("absences", {}),
            ("absence", {"absence_id": "absence"}),
        )
    },
    **{
        f"api:alert_{action}": Rule(url={"alert_id": "alert"}, get=NOT_ALLOWED, post=NO_TOKEN)
        for action in ("acknowledge", "repair", "close")
    },
}
# fmt: on


def _route_names(patterns: list[Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += _route_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            names.append(f"{prefix}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def _row(route: str, method: str) -> tuple[Expect, ...]:
    rule = MATRIX[route]
    row = rule.get if method == "GET" else rule.post
    assert len(row) == len(ROLES), f"{route} {method}: one expectation per role"
    return row


def _supervision_records(therapist: User, supervisor: User, admin: User) -> dict[str, str]:
    """The supervisor (``supervisor``) assigned to Teresa by the clinic admin."""
    from alliance.supervision.services import supervisor_assign

    assignment, _ = supervisor_assign(admin=admin, supervisor=supervisor, therapist=therapist)
    return {"assignment": str(assignment.id)}


@pytest.fixture
def records(
    episode: Any,
    other_episode: Any,
    attend: Any,
    therapist: User,
    client_user: User,
    supervisor: User,
    admin: User,
) -> dict[str, str]:
    """Teresa's and Carla's records, by the names ``Rule.url`` and ``To.kwargs`` use."""
    answered = attend(episode, 1)
    checkin_submit(
        session=answered,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2"},  # any tension raises a client-reported alert
        form_token=uuid.uuid4(),
    )
    open_session = attend(episode, 2)
    for instrument_id in ("phq9", "gad7"):
        schedule_set(
            episode=episode,
            instrument_id=instrument_id,
            spec=ScheduleSpec(at_intake=True),
            actor=None,
        )
    answered_gad7 = response_submit(
        questionnaire=questionnaire_for(episode, "gad7", "intake", now=timezone.now()),  # type: ignore[arg-type]
        client=client_user,
        answers=dict.fromkeys((f"gad7_{n}" for n in range(1, 8)), "1"),
        form_token=uuid.uuid4(),
    ).response
    invited = client_add(
        therapist=therapist,
        full_name="Ivy Invited",
        email="ivy@example.org",
        timezone_name="America/Toronto",
    )
    failed, _ = message_queue(
        kind=MessageKind.CHECKIN_REMINDER,
        key="matrix",
        subject="You have a check-in waiting",
        body="link",
        recipient=client_user,
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(state=MessageState.FAILED)
    _safety_plan_records(episode, client_user)
    reach_out_page = page_save(
        actor=therapist, is_open=True, slug="teresa-tran", display_name="Teresa", welcome=""
    )
    reach_out, _ = request_submit(
        page=reach_out_page, form_token=uuid.uuid4(), name="Robin", email="robin@example.net"
    )
    return {
        "reach_out_slug": reach_out_page.slug,
        "reach_out": str(reach_out.id),
        **_absence_records(therapist, other_episode.therapist),
        **_api_records(therapist, episode),
        "pause_token": pause_token(client_user),
        "failed_message": str(failed.id),
        "client": str(client_user.id),
        "answered_session": str(answered.id),
        "open_session": str(open_session.id),
        "alert": str(Alert.objects.get(session=answered).id),
        "invited": str(invited.user.id),
        "teresa": str(therapist.id),
        "invite_token": invited.invite_token,
        "episode": str(episode.id),
        "phq9": "phq9",
        "intake": "intake",
        "response": str(answered_gad7.id),
        "waiting_invite": str(invited.user.invites.get().id),
        "reset_uid": "MTIz",
        "reset_token": "not-a-token",
        **_export_records(admin),
        **_supervision_records(therapist, supervisor, admin),
    }


def _export_records(admin: User) -> dict[str, str]:
    """A research export of Harbour Clinic, built and ready to download."""
    from alliance.exports.services import research_export_build, research_export_request

    export = research_export_request(admin=admin)
    research_export_build(export_id=export.id)
    return {"research_export": str(export.id)}


def _safety_plan_records(episode: Any, client_user: User) -> None:
    """Carla's safety plan, so that its pages have a plan to show and to review."""
    safety_plan_save(
        episode=episode, actor=client_user, texts={"warning_signs": "Not sleeping"}, base_version=0
    )


def _browser(request: pytest.FixtureRequest, role: str) -> Client:
    if role == "anonymous":
        return Client()
    browser = Client()
    browser.force_login(request.getfixturevalue(PERSONA[role]))
    return browser


def _url(route: str, records: dict[str, str]) -> str:
    return reverse(route, kwargs={k: records[v] for k, v in MATRIX[route].url.items()})


def test_matrix_has_a_rule_for_every_route_and_no_other() -> None:
    assert sorted(MATRIX) == sorted(_route_names(get_resolver().url_patterns))


def test_every_route_is_named_once() -> None:
    names = _route_names(get_resolver().url_patterns)
    assert len(names) == len(set(names))


def ask(browser: Client, url: str, method: str) -> Any:
    """One request whose writes are undone, so that every role meets the same records.

    The records are built once per route (they are the slow part) and each request runs in a
    savepoint rolled back after it: a POST by one role cannot change what the next one sees.
    The reach-out form's count per address is cleared too (it is in a cache, not the database).
    """
    caches[settings.REACH_OUT_CACHE_ALIAS].clear()
    with transaction.atomic():
        response = browser.get(url) if method == "GET" else browser.post(url, {})
        transaction.set_rollback(True)
    return response


def assert_answer(response: Any, url: str, expected: Expect, records: dict[str, str]) -> None:
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('login')}?next={quote(url, safe='/')}",
        )
    elif isinstance(expected, To):
        target = reverse(expected.route, kwargs={k: records[v] for k, v in expected.kwargs.items()})
        if expected.fragment:
            target += "#" + expected.fragment.format(**records)
        assert (response.status_code, response["Location"]) == (302, target)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("route", list(MATRIX))
def test_access(
    request: pytest.FixtureRequest,
    subtests: pytest.Subtests,
    records: dict[str, str],
    route: str,
) -> None:
    """Each role and method of the route's rule is its own subtest, reported on its own."""
    url = _url(route, records)
    for method in ("GET", "POST"):
        for role, expected in zip(ROLES, _row(route, method), strict=True):
            with subtests.test(role=role, method=method):
                assert_answer(ask(_browser(request, role), url, method), url, expected, records)


RECORD_ROUTES = [
    (route, method)
    for route, rule in MATRIX.items()
    # Token links are capabilities, not records: whoever holds the link may use it. A public
    # reach-out page is for anyone with its address.
    if rule.url
    and route not in {"invite_accept", "reminders_pause", "reach_out_form", "reach_out_thanks"}
    for method, row in (("GET", rule.get), ("POST", rule.post))
    if row != NOT_ALLOWED
]


def _page(response: Any) -> str:
    """The page without the per-request CSRF token, so two renders can be compared."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.parametrize(
    ("route", "method"), RECORD_ROUTES, ids=[f"{r}-{m}" for r, m in RECORD_ROUTES]
)
def test_someone_elses_record_looks_exactly_like_a_missing_one(
    login: Any, other_therapist: User, records: dict[str, str], route: str, method: str
) -> None:
    browser = login(other_therapist)
    missing = {name: str(uuid.uuid4()) for name in records}
    theirs = (
        browser.get(_url(route, records))
        if method == "GET"
        else browser.post(_url(route, records), {})
    )
    nobodys = (
        browser.get(_url(route, missing))
        if method == "GET"
        else browser.post(_url(route, missing), {})
    )
    assert (theirs.status_code, _page(theirs)) == (nobodys.status_code, _page(nobodys))


def test_login_redirect_keeps_the_query_string(client_user: User, records: dict[str, str]) -> None:
    url = reverse("client_detail", kwargs={"client_id": records["client"]}) + "?tab=sessions"
    response = Client().get(url)
    assert response["Location"] == f"{reverse('login')}?next={quote(url, safe='/')}"


def _absence_records(therapist: User, cover: User) -> dict[str, str]:
    """Teresa away for a week two months from now, Omar covering."""
    from alliance.absences.services import AbsenceInput, absence_create

    starts_on = timezone.localdate() + timedelta(days=60)
    absence = absence_create(
        therapist=therapist,
        data=AbsenceInput(
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=6),
            cover=cover,
            cover_contact="Front desk, ext. 2",
        ),
    )
    return {"absence": str(absence.id)}


def _api_records(therapist: User, episode: Any) -> dict[str, str]:
    """Teresa's API token, Carla's check-in (the one the records above answered) and a diary
    card Carla sent."""
    from alliance.apitokens.services import token_create
    from alliance.diary.models import DiaryCard, DiaryStatus

    token, _secret = token_create(
        user=therapist,
        name="matrix",
        scope="read",
        expires_at=timezone.now() + timedelta(days=30),
    )
    card = DiaryCard.objects.create(
        episode=episode,
        client=episode.client,
        day=timezone.localdate() - timedelta(days=2),
        status=DiaryStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return {
        "api_token": str(token.id),
        "checkin": str(episode.checkins.get().id),
        "diary_card": str(card.id),
    }
