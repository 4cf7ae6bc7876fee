"""Risk and not-on-track alerts: raising them, and the workflow around them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.ruptures.models import Alert, AlertState
from alliance.ruptures.services import (
    AlertError,
    FollowUpInput,
    alert_acknowledge,
    alert_close,
    alert_raise,
    alert_record_followup,
)


def test_raising_twice_for_one_source_keeps_one_alert(episode):
    first, created = alert_raise(
        episode=episode, category="risk", severity=3, summary="PHQ-9 item 9", source_key="q:1"
    )
    again, created_again = alert_raise(
        episode=episode, category="risk", severity=3, summary="PHQ-9 item 9", source_key="q:1"
    )
    assert (created, created_again, first.id) == (True, False, again.id)
    assert Alert.objects.count() == 1


def test_risk_alert_goes_through_acknowledge_follow_up_and_close(episode, therapist):
    alert, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="urge", source_key="diary:1"
    )
    alert_acknowledge(alert=alert, actor=therapist)
    with pytest.raises(AlertError, match="Record a follow-up first"):
        alert_close(alert=alert, actor=therapist, reason="safe_for_now")
    alert_record_followup(
        alert=alert,
        actor=therapist,
        followup=FollowUpInput(
            actions=["contacted"], done_at=timezone.now(), outcome="safe_for_now", note=""
        ),
    )
    alert = alert_close(alert=alert, actor=therapist, reason="safe_for_now")
    assert alert.state == AlertState.CLOSED
    assert alert.title == "Risk answer"


def _followed_up(alert, therapist):
    alert_record_followup(
        alert=alert,
        actor=therapist,
        followup=FollowUpInput(
            actions=["contacted"], done_at=timezone.now(), outcome="safe_for_now", note=""
        ),
    )


def test_rupture_category_cannot_be_raised_by_hand(episode):
    with pytest.raises(AlertError, match="come from check-in signals"):
        alert_raise(episode=episode, category="rupture", severity=2, summary="x", source_key="k")


def test_source_key_is_required(episode):
    with pytest.raises(AlertError, match="needs the key of its source"):
        alert_raise(episode=episode, category="risk", severity=3, summary="x", source_key="")


def test_database_refuses_a_rupture_alert_without_session(episode):
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(episode=episode, category="rupture", severity=2, summary="x")


def test_alert_page_of_a_risk_alert_renders(episode, therapist, login):
    alert, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="Strong urge", source_key="d:2"
    )
    html = login(therapist).get(f"/alerts/{alert.id}/").content.decode()
    assert "Risk answer alert" in html
    assert "Strong urge" in html


def _finding(text: str) -> dict:
    return {"kind": "risk", "severity": 3, "summary": text, "detail": {}}


def test_an_edit_with_a_new_finding_joins_the_open_alert(episode):
    first, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="urge 5",
        source_key="diary:9",
        signals=[_finding("urge 5")],
    )
    again, created = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="urge 5; self-harm",
        source_key="diary:9",
        signals=[_finding("urge 5"), _finding("self-harm")],
    )
    assert (created, again.id) == (False, first.id)
    assert [s["summary"] for s in again.signals] == ["urge 5", "self-harm"]
    assert again.summary == "urge 5; self-harm"
    assert list(again.events.values_list("action", flat=True)) == ["signal_added"]


def test_a_new_finding_after_the_alert_was_closed_opens_a_fresh_alert(episode, therapist):
    first, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="urge 5",
        source_key="diary:9",
        signals=[_finding("urge 5")],
    )
    _followed_up(first, therapist)
    alert_close(alert=first, actor=therapist, reason="other", note="Spoke; safe.")
    same, created_same = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="urge 5",
        source_key="diary:9",
        signals=[_finding("urge 5")],
    )
    assert (created_same, same.id) == (False, first.id)
    fresh, created = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="self-harm",
        source_key="diary:9",
        signals=[_finding("urge 5"), _finding("self-harm")],
    )
    assert created is True
    assert fresh.source_key == "diary:9#2"
    assert fresh.state == AlertState.OPEN


def test_raising_and_adding_to_a_risk_alert_are_audited_once_each(episode):
    from alliance.audit.models import AuditAction, AuditEvent, RecordType

    alert, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="urge 5",
        source_key="diary:7",
        signals=[_finding("urge 5")],
    )
    for _ in range(2):  # the same finding again changes nothing and logs nothing
        alert_raise(
            episode=episode,
            category="risk",
            severity=3,
            summary="urge 5; self-harm",
            source_key="diary:7",
            signals=[_finding("urge 5"), _finding("self-harm")],
        )
    rows = list(
        AuditEvent.objects.filter(record_type=RecordType.ALERT, record_id=str(alert.id))
        .order_by("id")
        .values_list("action", "detail", "subject_id", "actor_role")
    )
    assert rows == [
        (AuditAction.CREATE, "", episode.client_id, "system"),
        (AuditAction.UPDATE, "signal_added", episode.client_id, "system"),
    ]
