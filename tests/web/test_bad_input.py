"""Bad, replayed, late and hostile input: each is refused with a clear message and changes nothing.

Messages are compared in their HTML-escaped form (``escape``), as they appear on the page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Invite, Session, SessionStatus, User
from alliance.people.services import client_add, invite_create
from alliance.ruptures.models import Alert, AlertEvent, AlertState, RepairRecord
from alliance.ruptures.services import alert_acknowledge, alert_resolve_by_client
from tests.conftest import GOOD_ANSWERS

T0 = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
"""A fixed 'now' for tests where time matters."""

ANSWERS = {
    "bond": "5",
    "tasks": "4",
    "goals": "3",
    "tension": "1",
    "talked": "2",
    "comment": "It was a hard one",
}
"""A full, valid set of answers with every choice different, so each can be found on the page."""


def _text(response: Any) -> str:
    return str(response.content, "utf-8")


NEW_TOKEN = "<a new form token>"


def _post_checkin(
    browser: Client, session: Session, answers: dict[str, str], form_token: str | None = NEW_TOKEN
) -> Any:
    """Post the check-in form; ``form_token=None`` leaves the token out."""
    data = dict(answers)
    if form_token is not None:
        data["form_token"] = str(uuid.uuid4()) if form_token == NEW_TOKEN else form_token
    return browser.post(reverse("checkin", kwargs={"session_id": session.id}), data)


def _checked(key: str, value: str) -> str:
    """The start of the radio button ``key=value`` when it is checked."""
    return f'<input type="radio" name="{key}" value="{value}" checked'


def _error(key: str, message: str) -> str:
    return f'<p class="error" id="err-{key}">{escape(message)}</p>'


@pytest.fixture
def session(episode: CareEpisode, attend: Callable[..., Session]) -> Session:
    """Session 1, attended just now: its check-in is open."""
    return attend(episode, 1)


@pytest.fixture
def carla(login: Callable[[User], Client], client_user: User) -> Client:
    return login(client_user)


@pytest.fixture
def teresa(login: Callable[[User], Client], therapist: User) -> Client:
    return login(therapist)


# --- check-in: answers out of range ---------------------------------------------------------

ONE_TO_SEVEN = "Please choose a whole number from 1 to 7."
BAD_ANSWERS = [
    pytest.param("bond", "8", ONE_TO_SEVEN, id="bond=8"),
    pytest.param("bond", "0", ONE_TO_SEVEN, id="bond=0"),
    pytest.param("tension", "5", "Please choose a whole number from 0 to 4.", id="tension=5"),
    pytest.param("bond", "abc", ONE_TO_SEVEN, id="bond=abc"),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_with_400(
    carla: Client, session: Session, key: str, value: str, message: str
) -> None:
    response = _post_checkin(carla, session, {**ANSWERS, key: value})
    assert response.status_code == 400


@pytest.mark.parametrize(("key", "value", "message"), BAD_ANSWERS)
def test_bad_answer_gets_a_message_at_its_question(
    carla: Client, session: Session, key: str, value: str, message: str
) -> None:
    response = _post_checkin(carla, session, {**ANSWERS, key: value})
    assert _error(key, message) in _text(response)


@pytest.mark.parametrize(("key", "value", "message"), BAD_ANSWERS)
def test_bad_answer_saves_nothing(
    carla: Client, session: Session, key: str, value: str, message: str
) -> None:
    _post_checkin(carla, session, {**ANSWERS, key: value})
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(("key", "value", "message"), BAD_ANSWERS)
def test_bad_answer_keeps_the_other_answers_on_the_form(
    carla: Client, session: Session, key: str, value: str, message: str
) -> None:
    response = _post_checkin(carla, session, {**ANSWERS, key: value})
    page = _text(response)
    kept = {k: v for k, v in ANSWERS.items() if k not in {key, "comment"}}
    assert [k for k, v in kept.items() if _checked(k, v) not in page] == []
    assert f">{ANSWERS['comment']}</textarea>" in page


# --- check-in: required answers left out ----------------------------------------------------

PARTLY_EMPTY = {"bond": "5", "tasks": "", "goals": "", "tension": "", "comment": "Still thinking"}
MISSING_KEYS = {"bond": "5", "comment": "Still thinking"}
CHOOSE_ONE = "Please choose one answer for this question."


@pytest.mark.parametrize("answers", [PARTLY_EMPTY, MISSING_KEYS], ids=["blank", "absent"])
def test_unanswered_required_questions_are_refused_with_400(
    carla: Client, session: Session, answers: dict[str, str]
) -> None:
    assert _post_checkin(carla, session, answers).status_code == 400


@pytest.mark.parametrize("answers", [PARTLY_EMPTY, MISSING_KEYS], ids=["blank", "absent"])
def test_each_unanswered_required_question_gets_its_own_message(
    carla: Client, session: Session, answers: dict[str, str]
) -> None:
    page = _text(_post_checkin(carla, session, answers))
    assert [k for k in ("tasks", "goals", "tension") if _error(k, CHOOSE_ONE) not in page] == []


@pytest.mark.parametrize("answers", [PARTLY_EMPTY, MISSING_KEYS], ids=["blank", "absent"])
def test_an_answered_question_gets_no_message(
    carla: Client, session: Session, answers: dict[str, str]
) -> None:
    assert 'id="err-bond"' not in _text(_post_checkin(carla, session, answers))


@pytest.mark.parametrize("answers", [PARTLY_EMPTY, MISSING_KEYS], ids=["blank", "absent"])
def test_unanswered_required_questions_save_nothing(
    carla: Client, session: Session, answers: dict[str, str]
) -> None:
    _post_checkin(carla, session, answers)
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("answers", [PARTLY_EMPTY, MISSING_KEYS], ids=["blank", "absent"])
def test_unanswered_required_questions_keep_the_given_answers(
    carla: Client, session: Session, answers: dict[str, str]
) -> None:
    page = _text(_post_checkin(carla, session, answers))
    assert (_checked("bond", "5") in page, ">Still thinking</textarea>" in page) == (True, True)


# --- check-in: replays and second submissions -----------------------------------------------


def test_replayed_checkin_saves_one_row(carla: Client, session: Session) -> None:
    token = str(uuid.uuid4())
    _post_checkin(carla, session, GOOD_ANSWERS, token)
    _post_checkin(carla, session, GOOD_ANSWERS, token)
    assert CheckIn.objects.filter(session=session).count() == 1


def test_replayed_checkin_redirects_to_thanks(carla: Client, session: Session) -> None:
    token = str(uuid.uuid4())
    _post_checkin(carla, session, GOOD_ANSWERS, token)
    response = _post_checkin(carla, session, GOOD_ANSWERS, token)
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("checkin_thanks", kwargs={"session_id": session.id}),
    )


ALREADY_ANSWERED = (
    "You've already answered the check-in for this session. Thank you — your answers are saved."
)


def test_second_different_checkin_is_refused_with_a_message(
    carla: Client, session: Session
) -> None:
    _post_checkin(carla, session, GOOD_ANSWERS)
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "bond": "2"})
    assert (response.status_code, escape(ALREADY_ANSWERED) in _text(response)) == (400, True)


def test_second_different_checkin_keeps_the_first_answers(carla: Client, session: Session) -> None:
    _post_checkin(carla, session, GOOD_ANSWERS)
    _post_checkin(carla, session, {**GOOD_ANSWERS, "bond": "2"})
    assert list(CheckIn.objects.values_list("bond", flat=True)) == [6]


def test_checkin_for_someone_elses_session_is_404(
    carla: Client, other_episode: CareEpisode, attend: Callable[..., Session]
) -> None:
    theirs = attend(other_episode, 1)
    assert _post_checkin(carla, theirs, GOOD_ANSWERS).status_code == 404


def test_checkin_for_someone_elses_session_saves_nothing(
    carla: Client, other_episode: CareEpisode, attend: Callable[..., Session]
) -> None:
    theirs = attend(other_episode, 1)
    _post_checkin(carla, theirs, GOOD_ANSWERS)
    assert CheckIn.objects.count() == 0


# --- check-in: the window closes ------------------------------------------------------------

CLOSED = (
    "This check-in is closed now. Check-ins stay open for a few days after each session. "
    "If something is on your mind, you can bring it to your next session."
)


@pytest.fixture
def session_at_t0(episode: CareEpisode, attend: Callable[..., Session]) -> Session:
    with time_machine.travel(T0, tick=False):
        return attend(episode, 1, at=T0)


@pytest.fixture
def closes_at(session_at_t0: Session) -> datetime:
    closes = session_at_t0.checkin_closes_at
    assert closes is not None
    return closes


def _checkin_at(when: datetime, client_user: User, session: Session) -> Any:
    with time_machine.travel(when, tick=False):
        browser = Client()
        browser.force_login(client_user)
        return _post_checkin(browser, session, GOOD_ANSWERS)


def test_checkin_one_second_before_closing_is_saved(
    client_user: User, session_at_t0: Session, closes_at: datetime
) -> None:
    response = _checkin_at(closes_at - timedelta(seconds=1), client_user, session_at_t0)
    assert (response.status_code, CheckIn.objects.count()) == (302, 1)


def test_checkin_at_the_closing_instant_is_refused_with_a_message(
    client_user: User, session_at_t0: Session, closes_at: datetime
) -> None:
    response = _checkin_at(closes_at, client_user, session_at_t0)
    assert (response.status_code, escape(CLOSED) in _text(response)) == (400, True)


def test_checkin_at_the_closing_instant_saves_nothing(
    client_user: User, session_at_t0: Session, closes_at: datetime
) -> None:
    _checkin_at(closes_at, client_user, session_at_t0)
    assert CheckIn.objects.count() == 0


# --- check-in: a tampered form ---------------------------------------------------------------


def test_checkin_with_an_unknown_field_is_refused(carla: Client, session: Session) -> None:
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "colour": "blue"})
    assert (response.status_code, CheckIn.objects.count()) == (400, 0)


def test_checkin_with_an_unknown_field_names_it_on_the_page(
    carla: Client, session: Session
) -> None:
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "colour": "blue"})
    assert "Unexpected field: colour" in _text(response)


NO_SAFETY_CODE = "This form is missing its safety code. Please reload the page and try again."


@pytest.mark.parametrize("token", [None, "", "not-a-uuid"], ids=["absent", "blank", "garbled"])
def test_checkin_without_a_valid_form_token_is_refused_with_a_message(
    carla: Client, session: Session, token: str | None
) -> None:
    response = _post_checkin(carla, session, GOOD_ANSWERS, token)
    assert (response.status_code, escape(NO_SAFETY_CODE) in _text(response)) == (400, True)


@pytest.mark.parametrize("token", [None, "", "not-a-uuid"], ids=["absent", "blank", "garbled"])
def test_checkin_without_a_valid_form_token_saves_nothing(
    carla: Client, session: Session, token: str | None
) -> None:
    _post_checkin(carla, session, GOOD_ANSWERS, token)
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("token", [None, "", "not-a-uuid"], ids=["absent", "blank", "garbled"])
def test_form_refused_for_its_token_comes_back_with_a_usable_one(
    carla: Client, session: Session, token: str | None
) -> None:
    """Otherwise sending the re-shown form again fails the same way, for ever."""
    page = _text(_post_checkin(carla, session, GOOD_ANSWERS, token))
    found = re.search(r'name="form_token" value="([^"]*)"', page)
    assert found is not None and _is_uuid(found.group(1))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- check-in: hostile or unusual comments ---------------------------------------------------

COMMENTS = [
    pytest.param('=HYPERLINK("http://x")', id="formula"),
    pytest.param("<b>bold</b>", id="html"),
    pytest.param("{{ 7*7 }}", id="template"),
    pytest.param("💬 naïve Zoë — עברית", id="unicode"),
]
MARKUP = [p for p in COMMENTS if p.id in {"formula", "html"}]


@pytest.fixture
def comment_on_alert(client_user: User, session: Session) -> Callable[[str], CheckIn]:
    """Save a check-in with this comment and enough tension to raise an alert."""

    def save(comment: str) -> CheckIn:
        return checkin_submit(
            session=session,
            client=client_user,
            form_token=uuid.uuid4(),
            answers={**GOOD_ANSWERS, "tension": "2", "comment": comment},
        ).checkin

    return save


@pytest.mark.parametrize("comment", COMMENTS)
def test_comment_is_stored_verbatim(carla: Client, session: Session, comment: str) -> None:
    _post_checkin(carla, session, {**GOOD_ANSWERS, "comment": comment})
    assert CheckIn.objects.get().comment == comment


@pytest.mark.parametrize("comment", COMMENTS)
def test_comment_is_shown_escaped_on_the_client_page(
    teresa: Client, client_user: User, comment_on_alert: Callable[[str], CheckIn], comment: str
) -> None:
    comment_on_alert(comment)
    page = _text(teresa.get(reverse("client_detail", kwargs={"client_id": client_user.id})))
    assert f'<blockquote class="comment">{escape(comment)}</blockquote>' in page


@pytest.mark.parametrize("comment", COMMENTS)
def test_comment_is_shown_escaped_on_the_alert_page(
    teresa: Client, comment_on_alert: Callable[[str], CheckIn], comment: str
) -> None:
    alert = Alert.objects.get(checkin=comment_on_alert(comment))
    page = _text(teresa.get(reverse("alert_detail", kwargs={"alert_id": alert.id})))
    assert f'<blockquote class="comment">{escape(comment)}</blockquote>' in page


@pytest.mark.parametrize("comment", MARKUP)
def test_raw_markup_in_a_comment_never_reaches_the_client_page(
    teresa: Client, client_user: User, comment_on_alert: Callable[[str], CheckIn], comment: str
) -> None:
    comment_on_alert(comment)
    page = _text(teresa.get(reverse("client_detail", kwargs={"client_id": client_user.id})))
    assert comment not in page


@pytest.mark.parametrize("comment", MARKUP)
def test_raw_markup_in_a_comment_never_reaches_the_alert_page(
    teresa: Client, comment_on_alert: Callable[[str], CheckIn], comment: str
) -> None:
    alert = Alert.objects.get(checkin=comment_on_alert(comment))
    page = _text(teresa.get(reverse("alert_detail", kwargs={"alert_id": alert.id})))
    assert comment not in page


def test_template_syntax_in_a_comment_is_not_evaluated(
    teresa: Client, client_user: User, comment_on_alert: Callable[[str], CheckIn]
) -> None:
    comment_on_alert("{{ 7*7 }} {{ request.user.email }}")
    page = _text(teresa.get(reverse("client_detail", kwargs={"client_id": client_user.id})))
    assert "{{ 7*7 }} {{ request.user.email }}</blockquote>" in page


def test_comment_of_exactly_the_limit_is_saved(carla: Client, session: Session) -> None:
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "comment": "x" * 2000})
    assert (response.status_code, len(CheckIn.objects.get().comment)) == (302, 2000)


def test_comment_over_the_limit_is_refused_with_the_limit_in_the_message(
    carla: Client, session: Session
) -> None:
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "comment": "x" * 2001})
    message = "Please shorten this to 2,000 characters or fewer. It is 2,001 characters now."
    assert (response.status_code, _error("comment", message) in _text(response)) == (400, True)


def test_comment_over_the_limit_saves_nothing(carla: Client, session: Session) -> None:
    _post_checkin(carla, session, {**GOOD_ANSWERS, "comment": "x" * 2001})
    assert CheckIn.objects.count() == 0


def test_comment_over_the_limit_is_kept_whole_on_the_form(carla: Client, session: Session) -> None:
    response = _post_checkin(carla, session, {**GOOD_ANSWERS, "comment": "x" * 2001})
    assert f">{'x' * 2001}</textarea>" in _text(response)


# --- invites ---------------------------------------------------------------------------------

GOOD_PASSWORD = "a kettle sings at dawn"
EXPIRED = (
    "This invitation link has expired (links last 7 days). Please ask your therapist for a new one."
)
USED = (
    "This invitation link has already been used. If you set your password, you can log in; "
    "otherwise ask your therapist for a new link."
)
NOT_VALID = (
    "This invitation link is not valid. Please check you copied the whole link, "
    "or ask your therapist for a new one."
)
SUPERSEDED = (
    "This link no longer works: a newer invitation was sent, or this one was withdrawn. "
    "Please use the most recent link, or ask for a new one."
)


@pytest.fixture
def invited(therapist: User) -> Any:
    """Ivy, added by Teresa at T0 with an invite that expires 7 days later."""
    return client_add(
        therapist=therapist,
        full_name="Ivy Invited",
        email="ivy@example.org",
        timezone_name="America/Toronto",
        now=T0,
    )


def _invite_url(token: str) -> str:
    return reverse("invite_accept", kwargs={"token": token})


def _accept(token: str, password1: str = GOOD_PASSWORD, password2: str | None = None) -> Any:
    return Client().post(
        _invite_url(token),
        {"password1": password1, "password2": password1 if password2 is None else password2},
    )


def _refusal(response: Any) -> tuple[int, str]:
    """Status and the message paragraph of the 'link can't be used' page."""
    page = _text(response)
    start = page.find('<p role="alert">')
    return response.status_code, page[start : page.find("</p>", start) + 4]


def test_invite_one_second_before_expiry_still_works(invited: Any) -> None:
    with time_machine.travel(T0 + timedelta(days=7, seconds=-1), tick=False):
        assert Client().get(_invite_url(invited.invite_token)).status_code == 200


def test_invite_at_exactly_seven_days_is_expired(invited: Any) -> None:
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        response = Client().get(_invite_url(invited.invite_token))
    assert _refusal(response) == (410, f'<p role="alert">{escape(EXPIRED)}</p>')


def test_an_expired_invite_says_so_in_french_to_a_french_browser(invited: Any) -> None:
    # The message comes from the service (people.services.invite_lookup), not the template.
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        response = Client(HTTP_ACCEPT_LANGUAGE="fr-CA").get(_invite_url(invited.invite_token))
    expired_fr = (
        "Ce lien d'invitation a expiré (les liens durent 7 jours). Veuillez en demander un "
        "nouveau à votre thérapeute."
    )
    assert _refusal(response) == (410, f'<p role="alert">{escape(expired_fr)}</p>')


def test_expired_invite_does_not_set_the_password(invited: Any) -> None:
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        _accept(invited.invite_token)
    invited.user.refresh_from_db()
    assert invited.user.has_usable_password() is False


def test_used_invite_is_refused_the_second_time(invited: Any) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _accept(invited.invite_token)
        response = _accept(invited.invite_token, "another kettle sings at dusk")
    assert _refusal(response) == (410, f'<p role="alert">{escape(USED)}</p>')


def test_used_invite_does_not_change_the_password_the_second_time(invited: Any) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _accept(invited.invite_token)
        _accept(invited.invite_token, "another kettle sings at dusk")
    invited.user.refresh_from_db()
    assert invited.user.check_password(GOOD_PASSWORD) is True


def test_tampered_invite_token_is_refused(invited: Any) -> None:
    token = invited.invite_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = Client().get(_invite_url(tampered))
    assert _refusal(response) == (410, f'<p role="alert">{escape(NOT_VALID)}</p>')


def test_superseded_invite_is_refused(invited: Any, therapist: User) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        invite_create(user=invited.user, created_by=therapist)
        response = Client().get(_invite_url(invited.invite_token))
    assert _refusal(response) == (410, f'<p role="alert">{escape(SUPERSEDED)}</p>')


def test_the_newer_invite_works_after_superseding(invited: Any, therapist: User) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        newer = invite_create(user=invited.user, created_by=therapist)
        assert Client().get(_invite_url(newer)).status_code == 200


BAD_PASSWORDS = [
    pytest.param(
        GOOD_PASSWORD,
        GOOD_PASSWORD + "!",
        "password2",
        "The two passwords are different. Please type them again.",
        id="mismatched",
    ),
    pytest.param(
        "kettle 42",
        "kettle 42",
        "password1",
        "This password is too short. It must contain at least 10 characters.",
        id="too-short",
    ),
]


@pytest.mark.parametrize(("password1", "password2", "field", "message"), BAD_PASSWORDS)
def test_bad_password_shows_a_form_error(
    invited: Any, password1: str, password2: str, field: str, message: str
) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = _accept(invited.invite_token, password1, password2)
    error = f'<p class="error" id="id_{field}_error">{escape(message)}</p>'
    assert (response.status_code, error in _text(response)) == (200, True)


@pytest.mark.parametrize(("password1", "password2", "field", "message"), BAD_PASSWORDS)
def test_bad_password_leaves_the_invite_unused(
    invited: Any, password1: str, password2: str, field: str, message: str
) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _accept(invited.invite_token, password1, password2)
    assert Invite.objects.get(user=invited.user).used_at is None


@pytest.mark.parametrize(("password1", "password2", "field", "message"), BAD_PASSWORDS)
def test_bad_password_then_a_good_one_sets_the_password(
    invited: Any, password1: str, password2: str, field: str, message: str
) -> None:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _accept(invited.invite_token, password1, password2)
        response = _accept(invited.invite_token)
    invited.user.refresh_from_db()
    assert (response.status_code, invited.user.check_password(GOOD_PASSWORD)) == (302, True)


# --- alerts ----------------------------------------------------------------------------------


@pytest.fixture
def alert(client_user: User, session: Session) -> Alert:
    """An open, client-reported alert on session 1."""
    checkin = checkin_submit(
        session=session,
        client=client_user,
        form_token=uuid.uuid4(),
        answers={**GOOD_ANSWERS, "tension": "2"},
    ).checkin
    return Alert.objects.get(checkin=checkin)


def _alert_url(name: str, alert: Alert) -> str:
    return reverse(name, kwargs={"alert_id": alert.id})


REPAIR = {"rupture_type": "withdrawal", "strategies": ["clarify"], "notes": "We talked it through."}


def test_acknowledging_twice_shows_a_message(teresa: Client, alert: Alert) -> None:
    teresa.post(_alert_url("alert_acknowledge", alert))
    response = teresa.post(_alert_url("alert_acknowledge", alert), follow=True)
    message = "This alert is already acknowledged; it can only be acknowledged while open."
    assert f'<p class="message error" role="alert">{escape(message)}</p>' in _text(response)


def test_acknowledging_twice_keeps_the_first_acknowledgement(therapist: User, alert: Alert) -> None:
    for minute in (0, 5):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            browser = Client()
            browser.force_login(therapist)
            browser.post(_alert_url("alert_acknowledge", alert))
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_at) == (AlertState.ACKNOWLEDGED, T0)


def test_acknowledging_twice_records_one_event(teresa: Client, alert: Alert) -> None:
    teresa.post(_alert_url("alert_acknowledge", alert))
    teresa.post(_alert_url("alert_acknowledge", alert))
    assert alert.events.filter(action=AlertEvent.Action.ACKNOWLEDGED).count() == 1


def test_repair_before_acknowledging_is_refused_with_a_message(
    teresa: Client, alert: Alert
) -> None:
    response = teresa.post(_alert_url("alert_repair", alert), REPAIR)
    assert (response.status_code, "Acknowledge the alert first." in _text(response)) == (400, True)


def test_repair_before_acknowledging_records_nothing(teresa: Client, alert: Alert) -> None:
    teresa.post(_alert_url("alert_repair", alert), REPAIR)
    alert.refresh_from_db()
    assert (alert.state, RepairRecord.objects.count()) == (AlertState.OPEN, 0)


@pytest.mark.parametrize("note", ["", "   "], ids=["empty", "spaces"])
def test_closing_for_other_reason_without_a_note_is_refused_with_a_message(
    teresa: Client, alert: Alert, note: str
) -> None:
    response = teresa.post(_alert_url("alert_close", alert), {"reason": "other", "note": note})
    message = "Please add a short note saying why you are closing this alert."
    assert (response.status_code, escape(message) in _text(response)) == (400, True)


def test_closing_for_other_reason_without_a_note_leaves_the_alert_open(
    teresa: Client, alert: Alert
) -> None:
    teresa.post(_alert_url("alert_close", alert), {"reason": "other", "note": ""})
    alert.refresh_from_db()
    assert (alert.state, alert.closed_at) == (AlertState.OPEN, None)


@pytest.fixture
def resolved_alert(alert: Alert) -> Alert:
    return alert_resolve_by_client(alert=alert, checkin=CheckIn.objects.get(), now=T0)


def test_closing_a_resolved_alert_is_refused_with_a_message(
    teresa: Client, resolved_alert: Alert
) -> None:
    response = teresa.post(_alert_url("alert_close", resolved_alert), {"reason": "not_a_rupture"})
    message = "This alert is already resolved."
    assert (response.status_code, message in _text(response)) == (400, True)


def test_closing_a_resolved_alert_leaves_it_resolved(teresa: Client, resolved_alert: Alert) -> None:
    teresa.post(_alert_url("alert_close", resolved_alert), {"reason": "not_a_rupture"})
    resolved_alert.refresh_from_db()
    assert (resolved_alert.state, resolved_alert.closed_at) == (AlertState.RESOLVED, None)


def test_unknown_marker_code_is_a_form_error(teresa: Client, therapist: User, alert: Alert) -> None:
    alert_acknowledge(alert=alert, actor=therapist)
    response = teresa.post(_alert_url("alert_repair", alert), {**REPAIR, "markers": ["made_up"]})
    message = "Select a valid choice. made_up is not one of the available choices."
    assert (response.status_code, escape(message) in _text(response)) == (400, True)


def test_unknown_marker_code_records_nothing(teresa: Client, therapist: User, alert: Alert) -> None:
    alert_acknowledge(alert=alert, actor=therapist)
    teresa.post(_alert_url("alert_repair", alert), {**REPAIR, "markers": ["made_up"]})
    assert RepairRecord.objects.count() == 0


def test_another_therapist_acknowledging_gets_404(
    login: Callable[[User], Client], other_therapist: User, alert: Alert
) -> None:
    response = login(other_therapist).post(_alert_url("alert_acknowledge", alert))
    assert response.status_code == 404


def test_another_therapist_acknowledging_changes_nothing(
    login: Callable[[User], Client], other_therapist: User, alert: Alert
) -> None:
    login(other_therapist).post(_alert_url("alert_acknowledge", alert))
    alert.refresh_from_db()
    assert (alert.state, alert.events.count(), CheckIn.objects.get().therapist_read_at) == (
        AlertState.OPEN,
        0,
        None,
    )


# --- session status --------------------------------------------------------------------------


def _set_status(browser: Client, session: Session, status: str) -> Any:
    return browser.post(
        reverse("session_status", kwargs={"session_id": session.id}),
        {"status": status},
        follow=True,
    )


def _flash(message: str) -> str:
    return f'<p class="message error" role="alert">{escape(message)}</p>'


NOT_YET = "A session can't be marked attended before it has happened."


@pytest.fixture
def scheduled_at(episode: CareEpisode) -> Callable[[datetime], Session]:
    def make(when: datetime) -> Session:
        return Session.objects.create(episode=episode, number=1, scheduled_at=when)

    return make


def _mark_attended_at_t0(therapist: User, session: Session) -> Any:
    with time_machine.travel(T0, tick=False):
        browser = Client()
        browser.force_login(therapist)
        return _set_status(browser, session, "attended")


def test_marking_a_session_two_days_ahead_attended_shows_a_message(
    therapist: User, scheduled_at: Callable[[datetime], Session]
) -> None:
    future = scheduled_at(T0 + timedelta(days=2))
    assert _flash(NOT_YET) in _text(_mark_attended_at_t0(therapist, future))


def test_marking_a_session_two_days_ahead_attended_leaves_it_scheduled(
    therapist: User, scheduled_at: Callable[[datetime], Session]
) -> None:
    future = scheduled_at(T0 + timedelta(days=2))
    _mark_attended_at_t0(therapist, future)
    future.refresh_from_db()
    assert (future.status, future.checkin_opens_at) == (SessionStatus.SCHEDULED, None)


def test_a_session_starting_within_the_hour_can_be_marked_attended(
    therapist: User, scheduled_at: Callable[[datetime], Session]
) -> None:
    soon = scheduled_at(T0 + timedelta(hours=1))
    _mark_attended_at_t0(therapist, soon)
    soon.refresh_from_db()
    assert soon.status == SessionStatus.ATTENDED


def test_a_session_starting_just_over_an_hour_ahead_cannot_be_marked_attended(
    therapist: User, scheduled_at: Callable[[datetime], Session]
) -> None:
    later = scheduled_at(T0 + timedelta(hours=1, seconds=1))
    _mark_attended_at_t0(therapist, later)
    later.refresh_from_db()
    assert later.status == SessionStatus.SCHEDULED


@pytest.fixture
def answered_session(client_user: User, session: Session) -> Session:
    checkin_submit(
        session=session, client=client_user, answers=GOOD_ANSWERS, form_token=uuid.uuid4()
    )
    return session


def test_changing_the_status_of_an_answered_session_shows_a_message(
    teresa: Client, answered_session: Session
) -> None:
    message = "The client has already answered this session's check-in, so it stays attended."
    assert _flash(message) in _text(_set_status(teresa, answered_session, "missed"))


def test_changing_the_status_of_an_answered_session_keeps_it_attended(
    teresa: Client, answered_session: Session
) -> None:
    _set_status(teresa, answered_session, "missed")
    answered_session.refresh_from_db()
    assert answered_session.status == SessionStatus.ATTENDED


def test_unknown_session_status_shows_a_message(teresa: Client, session: Session) -> None:
    response = _set_status(teresa, session, "teleported")
    assert _flash("Please choose what happened in this session.") in _text(response)


def test_unknown_session_status_changes_nothing(teresa: Client, session: Session) -> None:
    _set_status(teresa, session, "teleported")
    session.refresh_from_db()
    assert session.status == SessionStatus.ATTENDED


# --- add a client ----------------------------------------------------------------------------


def _add_client(browser: Client, email: str, zone: str = "America/Toronto") -> Any:
    return browser.post(
        reverse("client_add"), {"full_name": "Carla Again", "email": email, "timezone": zone}
    )


@pytest.mark.parametrize("email", ["carla@example.org", "Carla@Example.ORG"], ids=["same", "case"])
def test_duplicate_email_is_answered_like_a_new_one(
    teresa: Client, client_user: User, email: str
) -> None:
    # Never "already has an account": that would tell who uses Alliance (tests/web/test_invites.py).
    response = _add_client(teresa, email)
    sent = "An invitation is on its way to <strong>carla@example.org</strong>."
    assert (response.status_code, sent in _text(response)) == (200, True)
    assert "already has an account" not in _text(response)


@pytest.mark.parametrize("email", ["carla@example.org", "Carla@Example.ORG"], ids=["same", "case"])
def test_duplicate_email_adds_no_second_user(teresa: Client, client_user: User, email: str) -> None:
    _add_client(teresa, email)
    assert User.objects.filter(email__iexact="carla@example.org").count() == 1


def test_unknown_time_zone_is_a_form_error(teresa: Client) -> None:
    response = _add_client(teresa, "new@example.org", zone="Mars/Olympus")
    message = "Select a valid choice. Mars/Olympus is not one of the available choices."
    error = f'<p class="error" id="id_timezone_error">{escape(message)}</p>'
    assert (response.status_code, error in _text(response)) == (200, True)


def test_unknown_time_zone_adds_nobody(teresa: Client) -> None:
    _add_client(teresa, "new@example.org", zone="Mars/Olympus")
    assert User.objects.filter(email="new@example.org").exists() is False


def test_an_expired_staff_invitation_points_to_the_clinic_admin(admin):
    from alliance.people.services import therapist_add

    added = therapist_add(admin=admin, full_name="Sam Staff", email="sam@example.org", now=T0)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        html = Client().get(_invite_url(added.invite_token)).content.decode()
    assert "Please ask your clinic admin for a new one." in html
    assert "your therapist" not in html
