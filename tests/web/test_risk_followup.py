"""Risk alerts get their own follow-up, not the rupture-repair (3RS) form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.people.selectors import caseload
from alliance.ruptures.models import Alert, AlertState, RiskFollowUp
from alliance.ruptures.services import (
    AlertError,
    FollowUpInput,
    RepairInput,
    alert_close,
    alert_raise,
    alert_record_followup,
    alert_record_repair,
)
from tests.conftest import GOOD_ANSWERS

NOW = datetime(2026, 6, 10, 14, 0, tzinfo=ZoneInfo("UTC"))
SECRET = "called her mobile, sister was with her"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def risk(episode, frozen) -> Alert:
    alert, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="Diary card for Wed 10 Jun: strong urge to self-harm (answer: 5).",
        source_key="diary:1",
        now=NOW - timedelta(hours=2),
    )
    return alert


def _form(therapist, at: datetime, **overrides) -> dict[str, object]:
    local = at.astimezone(ZoneInfo(therapist.timezone))
    data: dict[str, object] = {
        "actions": ["contacted", "safety_plan"],
        "date": local.strftime("%Y-%m-%d"),
        "time": local.strftime("%H:%M"),
        "outcome": "safe_for_now",
        "note": SECRET,
    }
    data.update(overrides)
    return data


def _post(login, therapist, alert, data):
    return login(therapist).post(reverse("alert_followup", args=[alert.id]), data)


def _risk_count(therapist) -> int:
    (row,) = caseload(therapist, now=timezone.now())
    return row.risk_alerts


def test_a_follow_up_that_reached_the_client_takes_it_off_the_risk_count(login, therapist, risk):
    page = login(therapist).get(reverse("caseload")).content.decode()
    assert "Risk answer to follow up (1)" in page
    assert _risk_count(therapist) == 1

    response = _post(login, therapist, risk, _form(therapist, NOW - timedelta(minutes=30)))

    assert response.status_code == 302
    assert _risk_count(therapist) == 0
    page = login(therapist).get(reverse("caseload")).content.decode()
    assert "Risk answer to follow up" not in page
    risk.refresh_from_db()
    assert (risk.state, risk.acknowledged_by) == (AlertState.FOLLOWED_UP, therapist)
    record = RiskFollowUp.objects.get()
    assert (record.actions, record.outcome, record.note, record.done_at) == (
        ["contacted", "safety_plan"],
        "safe_for_now",
        SECRET,
        NOW - timedelta(minutes=30),
    )


def test_could_not_reach_keeps_it_to_follow_up_until_a_later_attempt_does(therapist, risk):
    alert_record_followup(
        alert=risk,
        actor=therapist,
        followup=FollowUpInput(
            actions=["contacted"], done_at=NOW - timedelta(hours=1), outcome="not_reached", note=""
        ),
    )
    risk.refresh_from_db()
    assert (risk.state, _risk_count(therapist)) == (AlertState.ACKNOWLEDGED, 1)
    alert_record_followup(
        alert=risk,
        actor=therapist,
        followup=FollowUpInput(actions=["contacted"], done_at=NOW, outcome="safe_for_now", note=""),
    )
    risk.refresh_from_db()
    assert (risk.state, _risk_count(therapist)) == (AlertState.FOLLOWED_UP, 0)
    assert RiskFollowUp.objects.filter(alert=risk).count() == 2


def test_a_follow_up_in_the_future_is_refused_and_nothing_is_saved(login, therapist, risk):
    response = _post(login, therapist, risk, _form(therapist, NOW + timedelta(hours=1)))
    assert response.status_code == 400
    assert "can&#x27;t be in the future" in response.content.decode()
    assert SECRET in response.content.decode()  # what was typed is shown back, not lost
    assert RiskFollowUp.objects.count() == 0
    assert _risk_count(therapist) == 1


def test_a_follow_up_before_the_risk_answer_came_in_is_refused(login, therapist, risk):
    response = _post(login, therapist, risk, _form(therapist, NOW - timedelta(days=1)))
    assert response.status_code == 400
    assert "before the risk answer came in" in response.content.decode()
    assert RiskFollowUp.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"actions": []}, "Please tick at least one thing you did."),
        ({"actions": ["hoped"]}, "Select a valid choice"),
        ({"outcome": ""}, "Please choose how it went."),
        ({"actions": ["other"], "note": ""}, "what \u201cother\u201d was"),
        ({"outcome": "other", "note": "  "}, "what \u201cother\u201d was"),
        ({"date": ""}, "Please give the date it was done."),
    ],
)
def test_bad_follow_ups_are_refused_with_a_reason(login, therapist, risk, overrides, message):
    response = _post(
        login, therapist, risk, _form(therapist, NOW - timedelta(minutes=5), **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert RiskFollowUp.objects.count() == 0
    risk.refresh_from_db()
    assert risk.state == AlertState.OPEN


def test_a_time_skipped_by_the_clocks_changing_is_refused(login, therapist, episode):
    # America/Toronto (Teresa's zone) skipped 02:00-03:00 on 8 March 2026.
    with time_machine.travel(datetime(2026, 3, 9, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        alert, _ = alert_raise(
            episode=episode,
            category="risk",
            severity=3,
            summary="x",
            source_key="diary:2",
            now=datetime(2026, 3, 8, 5, 0, tzinfo=ZoneInfo("UTC")),
        )
        data = {**_form(therapist, NOW), "date": "2026-03-08", "time": "02:30"}
        response = _post(login, therapist, alert, data)
    assert response.status_code == 400
    assert "did not exist on that day" in response.content.decode()


def test_the_risk_page_offers_the_follow_up_and_not_the_repair_form(login, therapist, risk):
    page = login(therapist).get(reverse("alert_detail", args=[risk.id])).content.decode()
    assert f'action="/alerts/{risk.id}/follow-up/"' in page
    assert "Reviewed the safety plan with the client" in page
    assert f'action="/alerts/{risk.id}/repair/"' not in page
    assert "Rupture Resolution Rating System" not in page
    # Its own close reasons, none of the rupture ones.
    assert "Could not reach the client after several attempts" in page
    assert "On review, not a rupture" not in page
    # "When" defaults to now, in the therapist's time.
    local = NOW.astimezone(ZoneInfo(therapist.timezone))
    assert f'value="{local:%Y-%m-%d}"' in page and f'value="{local:%H:%M}"' in page


def test_a_rupture_alert_keeps_the_3rs_form(login, therapist, client_user, episode, attend, frozen):
    session = attend(episode, 1)
    login(client_user).post(
        reverse("checkin", args=[session.id]),
        {**GOOD_ANSWERS, "tension": "3", "form_token": "6f1c2b1e-0000-4000-8000-000000000001"},
    )
    alert = Alert.objects.get(category="rupture")
    page = login(therapist).get(reverse("alert_detail", args=[alert.id])).content.decode()
    assert "follow-up/" not in page
    assert "Could not reach the client" not in page
    with pytest.raises(AlertError, match="Only a risk alert gets a follow-up"):
        alert_record_followup(
            alert=alert,
            actor=therapist,
            followup=FollowUpInput(actions=["contacted"], done_at=NOW, outcome="other", note="x"),
        )


def test_a_risk_alert_refuses_the_repair_record(therapist, risk):
    with pytest.raises(AlertError, match="not a rupture"):
        alert_record_repair(
            alert=risk,
            actor=therapist,
            repair=RepairInput(
                rupture_type="unclear",
                markers=[],
                strategies=["invite_discussion"],
                notes="",
                next_session_plan="",
            ),
        )


def test_risk_close_reasons_only_after_a_follow_up(therapist, risk):
    with pytest.raises(AlertError, match="Record a follow-up first"):
        alert_close(alert=risk, actor=therapist, reason="safe_for_now")
    alert_record_followup(
        alert=risk,
        actor=therapist,
        followup=FollowUpInput(
            actions=["escalated"], done_at=NOW, outcome="in_crisis_care", note=""
        ),
    )
    with pytest.raises(AlertError, match="not one this kind of alert closes for"):
        alert_close(alert=risk, actor=therapist, reason="not_a_rupture")
    with pytest.raises(AlertError, match="short note"):
        alert_close(alert=risk, actor=therapist, reason="not_reached")
    closed = alert_close(alert=risk, actor=therapist, reason="in_crisis_care")
    assert (closed.state, closed.close_reason) == (AlertState.CLOSED, "in_crisis_care")
    with pytest.raises(AlertError, match="already closed"):
        alert_record_followup(
            alert=risk,
            actor=therapist,
            followup=FollowUpInput(actions=["contacted"], done_at=NOW, outcome="other", note="x"),
        )


def test_another_therapist_cannot_record_a_follow_up(login, other_therapist, risk):
    response = _post(login, other_therapist, risk, _form(other_therapist, NOW))
    assert response.status_code == 404
    assert RiskFollowUp.objects.count() == 0


def test_a_follow_up_is_audited_and_its_note_encrypted(login, therapist, risk):
    _post(login, therapist, risk, _form(therapist, NOW - timedelta(minutes=10)))
    writes = list(
        AuditEvent.objects.filter(actor=therapist, action__in=["update", "transition"])
        .order_by("id")
        .values_list("action", "record_type", "record_id", "detail")
    )
    assert writes == [
        (AuditAction.UPDATE, RecordType.ALERT, str(risk.id), "risk_followup"),
        (AuditAction.TRANSITION, RecordType.ALERT, str(risk.id), "followed_up"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM ruptures_riskfollowup")
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:") and SECRET not in stored
    assert all(SECRET not in str(v) for row in AuditEvent.objects.values() for v in row.values())
