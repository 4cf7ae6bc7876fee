"""The follow-up question names one earlier moment at a time, and its answer is about that one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.checkins.services import FOLLOWUP_CHANGED, checkin_submit, followup_alert_for
from alliance.ruptures.models import Alert, AlertState
from alliance.ruptures.services import alert_acknowledge, alert_close
from tests.conftest import GOOD_ANSWERS

FIRST_WORDS = "I felt judged about the drinking."
SECOND_WORDS = "You looked at the clock <b>twice</b> while I was talking."


def _tension(comment: str) -> dict[str, str]:
    return {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "0", "comment": comment}


@pytest.fixture
def two_open(episode, client_user, therapist, attend) -> tuple[Alert, Alert]:
    """Two open client-reported ruptures: session 1's never acknowledged, its follow-up
    answered "not yet" at session 2; session 2's acknowledged and not asked about yet."""
    now = timezone.now()
    first = attend(episode, 1, now - timedelta(days=2))
    checkin_submit(
        session=first,
        client=client_user,
        answers=_tension(FIRST_WORDS),
        form_token=uuid.uuid4(),
        now=now - timedelta(days=2),
    )
    second = attend(episode, 2, now - timedelta(days=1))
    checkin_submit(
        session=second,
        client=client_user,
        answers={**_tension(SECOND_WORDS), "followup_resolved": "0"},
        form_token=uuid.uuid4(),
        now=now - timedelta(days=1),
    )
    first_alert, second_alert = Alert.objects.order_by("session__number")
    alert_acknowledge(alert=second_alert, actor=therapist)
    return first_alert, second_alert


def _day(alert: Alert) -> str:
    local = alert.session.scheduled_at.astimezone(ZoneInfo(alert.episode.client.timezone))
    return f"{local:%A} {local.day} {local:%B}"


def _send(browser, session, followup_alert, answer: str, **extra):
    data = {
        **GOOD_ANSWERS,
        "followup_resolved": answer,
        "form_token": str(uuid.uuid4()),
        **extra,
    }
    if followup_alert is not None:
        data["followup_alert"] = str(followup_alert)
    return browser.post(reverse("checkin", args=[session.id]), data)


def test_the_question_names_one_moment_with_the_clients_own_words(
    two_open, episode, client_user, attend, login
):
    _first, second = two_open
    page = login(client_user).get(reverse("checkin", args=[attend(episode, 3).id]))
    html = page.content.decode()
    # Session 1's moment had its answer at session 2; session 2's has not been asked about.
    assert f"About your session on {_day(second)}: you told us about a difficult moment" in html
    # Escaped, never markup: the client's words are shown as they typed them.
    assert "You looked at the clock &lt;b&gt;twice&lt;/b&gt; while I was talking." in html
    assert "<b>twice</b>" not in html
    assert FIRST_WORDS not in html
    assert f'name="followup_alert" value="{second.id}"' in html
    assert html.count('name="followup_resolved"') == 3  # one question, its three answers


def test_resolved_for_me_resolves_only_the_moment_asked_about(
    two_open, episode, client_user, attend, login
):
    first, second = two_open
    response = _send(login(client_user), attend(episode, 3), second.id, "2")
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.state == AlertState.RESOLVED
    # Never acknowledged, and not asked about this time: it stays open, untouched.
    assert (first.state, first.client_followup, first.events.count()) == (
        AlertState.OPEN,
        "not_yet",
        1,
    )
    # The next check-in asks about the one still open.
    assert followup_alert_for(attend(episode, 4)) == first


def test_after_resolved_for_me_the_client_gets_a_warm_closing_word(
    two_open, episode, client_user, attend, login
):
    _first, second = two_open
    browser = login(client_user)
    session = attend(episode, 3)
    _send(browser, session, second.id, "2")
    thanks = browser.get(reverse("checkin_thanks", args=[session.id])).content.decode()
    assert "It's good to hear that" in thanks
    assert f"the difficult moment from {_day(second)} feels resolved for you now" in thanks
    assert "Hard moments are part of therapy, not a sign that something failed." in thanks


def test_not_yet_gets_no_closing_word_but_a_welcome(two_open, episode, client_user, attend, login):
    _first, second = two_open
    browser = login(client_user)
    session = attend(episode, 3)
    _send(browser, session, second.id, "0")
    thanks = browser.get(reverse("checkin_thanks", args=[session.id])).content.decode()
    assert "It's good to hear that" not in thanks
    assert "If it isn't resolved yet, that's okay" in thanks


def test_the_moment_answered_longest_ago_comes_next(two_open, episode, client_user, attend):
    first, second = two_open
    now = timezone.now()
    third = attend(episode, 3, now - timedelta(hours=10))
    assert followup_alert_for(third) == second
    checkin_submit(
        session=third,
        client=client_user,
        answers={**GOOD_ANSWERS, "followup_resolved": "1"},
        form_token=uuid.uuid4(),
        now=now - timedelta(hours=10),
    )
    second.refresh_from_db()
    assert (second.state, second.client_followup) == (AlertState.ACKNOWLEDGED, "partly")
    # Both have had an answer now: session 1's, answered longest ago, comes next.
    fourth = attend(episode, 4, now - timedelta(hours=5))
    assert followup_alert_for(fourth) == first
    checkin_submit(
        session=fourth,
        client=client_user,
        answers={**GOOD_ANSWERS, "followup_resolved": "0"},
        form_token=uuid.uuid4(),
        now=now - timedelta(hours=5),
    )
    assert followup_alert_for(attend(episode, 5)) == second


def test_a_form_naming_no_moment_is_refused_and_nothing_is_lost(
    two_open, episode, client_user, attend, login
):
    _first, second = two_open
    session = attend(episode, 3)
    response = _send(login(client_user), session, None, "2", comment="still here")
    html = response.content.decode()
    assert response.status_code == 400
    assert str(FOLLOWUP_CHANGED).replace("'", "&#x27;") in html
    assert "still here" in html
    assert not CheckIn.objects.filter(session=session).exists()
    second.refresh_from_db()
    assert second.state == AlertState.ACKNOWLEDGED


def test_a_form_naming_a_moment_closed_since_is_refused(
    two_open, episode, client_user, therapist, attend, login
):
    first, second = two_open
    session = attend(episode, 3)
    alert_close(alert=second, actor=therapist, reason="resolved_in_session")
    response = _send(login(client_user), session, second.id, "2")
    assert response.status_code == 400
    assert not CheckIn.objects.filter(session=session).exists()
    first.refresh_from_db()
    assert first.state == AlertState.OPEN
    # The page shown again asks about the moment still open.
    assert f'name="followup_alert" value="{first.id}"' in response.content.decode()


def test_a_page_opened_before_the_order_moved_on_answers_the_moment_it_named(
    two_open, episode, client_user, attend, login
):
    first, second = two_open
    session = attend(episode, 3)
    response = _send(login(client_user), session, first.id, "2")
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (AlertState.RESOLVED, AlertState.ACKNOWLEDGED)


def test_another_clients_moment_is_never_on_the_page(
    two_open, episode, client_user, other_client, other_episode, attend, login
):
    """The question's words are the client's own: never from the shared template cache."""
    at = timezone.now() - timedelta(days=3)
    checkin_submit(
        session=attend(other_episode, 1, at),
        client=other_client,
        answers=_tension("Olivia's own words"),
        form_token=uuid.uuid4(),
        now=at,
    )
    carla = login(client_user).get(reverse("checkin", args=[attend(episode, 3).id]))
    olivia = login(other_client).get(reverse("checkin", args=[attend(other_episode, 2).id]))
    theirs, hers = olivia.content.decode(), carla.content.decode()
    assert "Olivia&#x27;s own words" in theirs
    assert "Olivia&#x27;s own words" not in hers
    assert "looked at the clock" not in theirs and "drinking" not in theirs


def test_a_score_based_alert_asks_the_client_nothing(episode, client_user, attend):
    """Only what the client reported is asked about again; a low score is the therapist's."""
    now = timezone.now()
    for number, days in ((1, 9), (2, 8), (3, 7)):
        at = now - timedelta(days=days)
        checkin_submit(
            session=attend(episode, number, at),
            client=client_user,
            answers={**GOOD_ANSWERS, "bond": "2", "tasks": "2", "goals": "2"},
            form_token=uuid.uuid4(),
            now=at,
        )
    alert = Alert.objects.get()
    assert not alert.client_reported
    assert followup_alert_for(attend(episode, 4)) is None
