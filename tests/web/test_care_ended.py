"""Once care ends, nothing new arrives where nobody is watching for it."""

from __future__ import annotations

import uuid

import pytest

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.checkins.models import CheckIn
from alliance.checkins.services import CARE_ENDED, CheckinError, checkin_submit
from alliance.people.services import episode_end
from alliance.ruptures.models import Alert, AlertState, CloseReason
from alliance.ruptures.services import AlertError, alert_close, signals_recompute
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1"}


def test_ending_care_closes_open_checkins_and_alerts(episode, therapist, client_user, attend):
    first = attend(episode, 1)
    checkin_submit(session=first, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    second = attend(episode, 2)
    assert second.checkin_is_open()
    episode_end(episode=episode, actor=therapist)
    second.refresh_from_db()
    assert not second.checkin_is_open()
    alert = Alert.objects.get()
    assert (alert.state, alert.close_reason) == (AlertState.CLOSED, CloseReason.EPISODE_ENDED)
    assert list(alert.events.values_list("action", "actor")) == [("closed", therapist.id)]
    assert AuditEvent.objects.filter(
        action=AuditAction.TRANSITION, record_type=RecordType.ALERT, record_id=str(alert.id)
    ).exists()
    with pytest.raises(CheckinError) as refused:
        checkin_submit(session=second, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    assert refused.value.message == CARE_ENDED
    assert not CheckIn.objects.filter(session=second).exists()
    assert Alert.objects.count() == 1  # nothing new raised


def test_the_checkin_page_after_care_ended_says_so_and_keeps_the_comment(
    episode, therapist, client_user, attend, login
):
    session = attend(episode, 1)
    browser = login(client_user)
    episode_end(episode=episode, actor=therapist)
    page = browser.get(f"/checkins/{session.id}/").content.decode()
    assert "your time in care here ended" in page
    assert '<form method="post" class="checkin' not in page
    # A form that was open in another tab: refused, no Send button, the comment shown back.
    sent = {**GOOD_ANSWERS, "comment": "I wanted to say <thanks>", "form_token": str(uuid.uuid4())}
    response = browser.post(f"/checkins/{session.id}/", sent)
    html = response.content.decode()
    assert response.status_code == 400
    assert "your time in care here ended" in html
    assert "I wanted to say &lt;thanks&gt;" in html
    assert "Send to" not in html


def test_recompute_leaves_ended_care_alone(episode, therapist, client_user, attend):
    session = attend(episode, 1)
    checkin_submit(session=session, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    episode_end(episode=episode, actor=therapist)
    report = signals_recompute()
    assert report.episodes == 0
    assert not Alert.objects.filter(state__in=["open", "acknowledged"]).exists()


def test_a_therapist_cannot_close_an_alert_as_care_ended(episode, therapist, client_user, attend):
    session = attend(episode, 1)
    checkin_submit(session=session, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    alert = Alert.objects.get()
    with pytest.raises(AlertError, match="when the care episode is ended"):
        alert_close(alert=alert, actor=therapist, reason=CloseReason.EPISODE_ENDED)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_the_close_form_does_not_offer_care_ended(episode, therapist, client_user, attend, login):
    session = attend(episode, 1)
    checkin_submit(session=session, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    alert = Alert.objects.get()
    page = login(therapist).get(f"/alerts/{alert.id}/").content.decode()
    assert 'value="other"' in page
    assert f'value="{CloseReason.EPISODE_ENDED}"' not in page
