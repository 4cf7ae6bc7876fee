"""The dropout-risk alert: raised after a missed session, a check-in and the nightly scan,
never twice while open, worded plainly, closed with its own reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from alliance.checkins.services import checkin_submit
from alliance.people.models import Session, SessionStatus
from alliance.people.services import session_set_status
from alliance.ruptures.dropout import dropout_check, dropout_scan
from alliance.ruptures.models import Alert, AlertCategory, AlertState, CloseReason
from alliance.ruptures.services import (
    AlertError,
    RepairInput,
    alert_acknowledge,
    alert_close,
    alert_record_repair,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def long_episode(episode):
    # Thirty weeks in: past the first quarter, so points count once.
    episode.started_on = date(2025, 8, 1)
    episode.save(update_fields=["started_on"])
    return episode


def book(episode, number, days_ago):
    return Session.objects.create(
        episode=episode, number=number, scheduled_at=NOW - timedelta(days=days_ago)
    )


def mark(episode, number, days_ago, status, at=None):
    session = book(episode, number, days_ago)
    return session_set_status(
        session=session, status=status, actor=episode.therapist, now=at or NOW
    )


def dropout_alerts(episode):
    return list(Alert.objects.filter(episode=episode, category=AlertCategory.DROPOUT_RISK))


def test_the_third_missed_session_raises_the_alert(long_episode):
    mark(long_episode, 1, 21, SessionStatus.MISSED)
    mark(long_episode, 2, 14, SessionStatus.MISSED)
    assert dropout_alerts(long_episode) == []
    mark(long_episode, 3, 7, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    assert alert.severity == 2
    assert alert.state == AlertState.OPEN
    assert [line.plain for line in alert.signal_lines] == [
        "Some signs together: this client may be drifting away from therapy.",
        "Three sessions missed in the last eight weeks.",
    ]
    assert "not validated on real data" in alert.signal_lines[0].statistics


def test_a_late_cancellation_counts_and_an_early_one_does_not(long_episode):
    mark(long_episode, 1, 21, SessionStatus.MISSED)
    mark(long_episode, 2, 14, SessionStatus.MISSED)
    # Recorded two days ahead of the session: not late.
    early = book(long_episode, 3, -2)
    session_set_status(
        session=early, status=SessionStatus.CANCELLED_CLIENT, actor=long_episode.therapist, now=NOW
    )
    assert dropout_check(episode=long_episode, now=NOW + timedelta(days=3)) is None
    # Recorded two hours before: late.
    late = book(long_episode, 4, -5)
    session_set_status(
        session=late,
        status=SessionStatus.CANCELLED_CLIENT,
        actor=long_episode.therapist,
        now=late.scheduled_at - timedelta(hours=2),
    )
    [alert] = dropout_alerts(long_episode)
    assert "One session cancelled at short notice in the last eight weeks." in alert.headline


def test_it_is_not_raised_twice_while_open_and_rises_to_high(long_episode):
    for number, days in enumerate((35, 28, 21), start=1):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    alert_acknowledge(alert=alert, actor=long_episode.therapist, now=NOW)
    for number, days in enumerate((14, 7), start=4):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    assert alert.severity == 3
    assert alert.state == AlertState.ACKNOWLEDGED
    assert "Five sessions missed" in alert.headline
    assert [e.action for e in alert.events.all()] == ["acknowledged", "signal_added"]


def test_after_closing_no_new_alert_at_the_same_level_for_four_weeks(long_episode):
    for number, days in enumerate((21, 14, 7), start=1):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    alert_close(alert=alert, actor=long_episode.therapist, reason=CloseReason.STAYING, now=NOW)
    # The three misses are still within eight weeks 27 and 28 days on.
    assert dropout_check(episode=long_episode, now=NOW + timedelta(days=27)) is None
    assert len(dropout_alerts(long_episode)) == 1
    again = dropout_check(episode=long_episode, now=NOW + timedelta(days=28))
    assert again is not None
    assert again.source_key == f"dropout:{long_episode.id}#2"
    assert len(dropout_alerts(long_episode)) == 2


def test_a_higher_level_opens_a_new_alert_even_just_after_closing(long_episode):
    for number, days in enumerate((21, 14, 7), start=1):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    alert_close(alert=alert, actor=long_episode.therapist, reason=CloseReason.STAYING, now=NOW)
    for number, days in ((4, 6), (5, 5)):
        mark(long_episode, number, days, SessionStatus.MISSED, at=NOW + timedelta(days=1))
    high = Alert.objects.get(source_key=f"dropout:{long_episode.id}#2")
    assert (high.severity, high.state) == (3, AlertState.OPEN)


def test_first_quarter_makes_two_misses_an_alert(episode):
    episode.started_on = date(2026, 1, 26)  # five weeks before NOW
    episode.save(update_fields=["started_on"])
    mark(episode, 1, 14, SessionStatus.MISSED)
    assert dropout_alerts(episode) == []
    mark(episode, 2, 7, SessionStatus.MISSED)
    [alert] = dropout_alerts(episode)
    assert alert.headline.endswith(
        "Early in therapy (week 6), when most clients who leave do so: the signs above count "
        "1.5 times."
    )


def test_a_falling_low_alliance_after_a_check_in_raises_it(long_episode, attend):
    mark(long_episode, 1, 40, SessionStatus.MISSED)
    for number, score in enumerate((5, 4, 3, 2), start=2):
        at = NOW - timedelta(days=7 * (6 - number))
        session = attend(long_episode, number, at)
        answers = {"bond": score, "tasks": score, "goals": score, "tension": "0", "comment": ""}
        checkin_submit(
            session=session,
            client=long_episode.client,
            answers={k: str(v) for k, v in answers.items()},
            form_token=uuid.uuid4(),
            now=at + timedelta(minutes=5),
        )
    [alert] = dropout_alerts(long_episode)
    assert [line.plain for line in alert.signal_lines][1:] == [
        "One session missed in the last eight weeks.",
        "The alliance has been low lately: 3.0 on average over the last three check-ins.",
        "The alliance has been falling: from 5.0 to 2.0 over the last four check-ins.",
        # The fall itself opened a rupture alert (a reliable drop), still open.
        "One other rupture still open from the last six weeks.",
    ]


def test_the_nightly_scan_raises_it_once(long_episode):
    for number, days in enumerate((21, 14, 7), start=1):
        session = book(long_episode, number, days)
        # Recorded outside the app (an import, a restore): only the nightly scan sees it.
        Session.objects.filter(pk=session.pk).update(status=SessionStatus.MISSED)
    first = dropout_scan(now=NOW)
    again = dropout_scan(now=NOW + timedelta(hours=1))
    assert (first.episodes, first.raised, first.opened) == (1, 1, 1)
    assert (again.raised, again.opened) == (1, 0)
    assert len(dropout_alerts(long_episode)) == 1


def test_it_closes_only_for_its_own_reasons_and_takes_no_repair_record(long_episode):
    for number, days in enumerate((21, 14, 7), start=1):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    therapist = long_episode.therapist
    alert_acknowledge(alert=alert, actor=therapist, now=NOW)
    with pytest.raises(AlertError, match="not a rupture"):
        alert_record_repair(
            alert=alert,
            actor=therapist,
            repair=RepairInput("confrontation", [], ["clarify"], "", ""),
        )
    with pytest.raises(AlertError, match="not one this kind of alert closes for"):
        alert_close(alert=alert, actor=therapist, reason=CloseReason.NOT_A_RUPTURE)
    alert_close(alert=alert, actor=therapist, reason=CloseReason.NO_DROPOUT_CONCERN)
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED


def test_an_ended_episode_is_not_assessed(long_episode):
    for number, days in enumerate((21, 14, 7), start=1):
        book(long_episode, number, days)
    Session.objects.filter(episode=long_episode).update(status=SessionStatus.MISSED)
    long_episode.status = "ended"
    long_episode.save(update_fields=["status"])
    assert dropout_check(episode=long_episode, now=NOW) is None
    assert dropout_scan(now=NOW).episodes == 0


def test_the_alert_page_shows_plain_words_and_the_dropout_close_reasons(long_episode, login):
    for number, days in enumerate((21, 14, 7), start=1):
        mark(long_episode, number, days, SessionStatus.MISSED)
    [alert] = dropout_alerts(long_episode)
    html = login(long_episode.therapist).get(f"/alerts/{alert.id}/").content.decode()
    assert "Three sessions missed in the last eight weeks." in html
    assert "not validated on real clients" in html
    assert "they want to carry on" in html
    assert "Record the repair" not in html
    assert "On review, not a rupture" not in html
