"""alliance/rawsql.py returns what its ORM twin returns (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import uuid

from alliance import rawsql
from alliance.checkins.models import CheckIn
from alliance.ruptures.models import Alert, AlertCategory
from alliance.ruptures.services import alert_raise
from tests.conftest import GOOD_ANSWERS
from tests.web.test_checkin_loop import TENSION, submit


def as_uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def history(episode, other_episode, client_user, other_client, attend):
    # Sessions attended out of order, so the order by number is what sorts them.
    for n in (2, 1, 4, 3):
        answers = TENSION if n in (1, 4) else {**GOOD_ANSWERS, "bond": str(n + 2)}
        submit(attend(episode, n), client_user, answers)
    submit(attend(other_episode, 1), other_client, TENSION)
    attend(episode, 5)  # no check-in
    # An alert with no session (a risk answer outside a session): left out.
    alert_raise(
        episode=episode,
        category=AlertCategory.RISK,
        severity=3,
        summary="Diary card",
        source_key="diary:x",
        signals=[{"kind": "risk", "severity": 3, "summary": "x", "detail": {}}],
    )


def test_checkin_points_are_the_orms_rows(
    episode, other_episode, client_user, other_client, attend
):
    history(episode, other_episode, client_user, other_client, attend)
    ids = [episode.id, other_episode.id]
    orm = list(
        CheckIn.objects.filter(episode_id__in=ids)
        .order_by("episode_id", "session__number")
        .values_list(
            "episode_id",
            "session_id",
            "session__number",
            "alliance",
            "tension",
            "resolved",
            "talked",
            "id",
        )
    )
    raw = rawsql.checkin_points(ids)
    assert len(orm) == 5
    assert [
        (as_uuid(e), as_uuid(s), n, a, t, r, tk, as_uuid(c)) for e, s, n, a, t, r, tk, c in raw
    ] == orm
    assert rawsql.checkin_points([episode.id])[0][2] == 1
    assert rawsql.checkin_points([]) == []


def test_alert_signals_are_the_orms_rows(episode, other_episode, client_user, other_client, attend):
    history(episode, other_episode, client_user, other_client, attend)
    ids = [episode.id, other_episode.id]
    orm = sorted(
        Alert.objects.filter(episode_id__in=ids, session__isnull=False).values_list(
            "episode_id", "session_id", "signals"
        ),
        key=repr,
    )
    raw = sorted(
        ((as_uuid(e), as_uuid(s), as_json(sig)) for e, s, sig in rawsql.alert_signals(ids)),
        key=repr,
    )
    assert {e for e, _, _ in orm} == set(ids)
    assert Alert.objects.filter(session__isnull=True).count() == 1
    assert raw == orm
    assert rawsql.alert_signals([other_episode.id]) and rawsql.alert_signals([]) == []


def fields_of(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def orm_session(client, session_id):
    from alliance.people.models import Session

    return Session.objects.select_related("checkin", "episode__therapist", "episode__clinic").get(
        id=session_id, episode__client_id=client.id, episode__clinic_id=client.clinic_id
    )


def test_the_check_in_session_is_the_orms(episode, client_user, attend, therapist, clinic):
    clinic.signal_settings = {"tension_min": 2}
    clinic.save()
    answered = attend(episode, 1)
    submit(answered, client_user, {**TENSION, "comment": "It felt rushed ünïcode"})
    waiting = attend(episode, 2)
    for session in (answered, waiting):
        raw = rawsql.client_session(client_user.id, client_user.clinic_id, session.id)
        orm = orm_session(client_user, session.id)
        assert fields_of(raw) == fields_of(orm)
        assert fields_of(raw.episode) == fields_of(orm.episode)
        assert fields_of(raw.episode.therapist) == fields_of(orm.episode.therapist)
        assert fields_of(raw.episode.clinic) == fields_of(orm.episode.clinic)
        assert hasattr(raw, "checkin") == hasattr(orm, "checkin")
        if hasattr(orm, "checkin"):
            assert fields_of(raw.checkin) == fields_of(orm.checkin)
            assert raw.checkin.comment == "It felt rushed ünïcode"
            assert raw.checkin.session is raw
    assert raw.episode.clinic.signal_settings == {"tension_min": 2}
    assert isinstance(raw.scheduled_at.tzinfo, type(orm.scheduled_at.tzinfo))


def test_the_check_in_session_of_someone_else_is_none(
    episode, client_user, other_client, attend, stranger
):
    session = attend(episode, 1)
    assert rawsql.client_session(other_client.id, other_client.clinic_id, session.id) is None
    assert rawsql.client_session(client_user.id, uuid.uuid4(), session.id) is None
    assert rawsql.client_session(client_user.id, client_user.clinic_id, uuid.uuid4()) is None


def test_the_open_rupture_question_is_the_orms(episode, client_user, attend, therapist):
    from alliance.checkins.services import open_ruptures_before
    from alliance.ruptures.services import alert_close

    first = attend(episode, 1)
    assert (
        rawsql.client_session(client_user.id, client_user.clinic_id, first.id).has_open_rupture
        is False
    )
    submit(first, client_user, TENSION)  # a client-reported rupture at session 1
    second, third = attend(episode, 2), attend(episode, 3)
    for session, expected in ((first, False), (second, True), (third, True)):
        raw = rawsql.client_session(client_user.id, client_user.clinic_id, session.id)
        orm = open_ruptures_before(session.episode_id, session.number).exists()
        assert raw.has_open_rupture is orm is expected
    alert_close(alert=Alert.objects.get(), actor=therapist, reason="resolved_in_session")
    raw = rawsql.client_session(client_user.id, client_user.clinic_id, third.id)
    assert raw.has_open_rupture is open_ruptures_before(episode.id, 3).exists() is False


def orm_followup(episode_id, number):
    from django.db.models import F

    from alliance.checkins.services import open_ruptures_before

    return (
        open_ruptures_before(episode_id, number)
        .select_related("session", "checkin")
        .order_by(F("client_followup_at").asc(nulls_first=True), "session__number")
        .first()
    )


def same_followup(raw, orm):
    if orm is None:
        return raw is None
    assert fields_of(raw) == fields_of(orm)
    assert fields_of(raw.session) == fields_of(orm.session)
    assert (raw.checkin is None) == (orm.checkin is None)
    if orm.checkin is not None:
        assert fields_of(raw.checkin) == fields_of(orm.checkin)
    return True


def test_the_follow_up_moment_is_the_orms(
    episode, other_episode, client_user, other_client, attend, therapist
):
    from datetime import timedelta

    from django.utils import timezone

    from alliance.ruptures.services import alert_close

    # No rupture yet, then three client-reported ones, one per session.
    assert rawsql.followup_alert(episode.id, 9) is None
    for n in (1, 2, 3):
        answers = {**TENSION, "comment": f"moment {n} <b>ü</b>"}
        if n > 1:
            answers["followup_resolved"] = "0"  # "not yet": the earlier ones stay open
        submit(attend(episode, n), client_user, answers)
    submit(attend(other_episode, 1), other_client, TENSION)  # another client's: never named
    ruptures = Alert.objects.filter(episode=episode, client_reported=True)
    assert ruptures.count() == 3
    by_number = {a.session.number: a for a in ruptures.select_related("session")}
    now = timezone.now()
    stages = [
        {},  # none answered: the oldest session first
        {1: now - timedelta(days=1)},  # 1 answered: 2 is next
        {1: now - timedelta(days=1), 2: now - timedelta(days=3), 3: now - timedelta(days=2)},
    ]
    for stage in stages:
        ruptures.update(client_followup_at=None)
        for n, at in stage.items():
            Alert.objects.filter(id=by_number[n].id).update(client_followup_at=at)
        for number in (1, 2, 3, 4, 10):
            raw = rawsql.followup_alert(episode.id, number)
            assert same_followup(raw, orm_followup(episode.id, number)), (stage, number)
    # Named by its session date and words: the check-in's comment comes back decrypted.
    raw = rawsql.followup_alert(episode.id, 4)
    assert raw.checkin.comment.startswith("moment ")
    # An alert whose check-in is gone from it still comes, with no check-in.
    Alert.objects.filter(id=by_number[2].id).update(checkin=None)
    assert same_followup(rawsql.followup_alert(episode.id, 4), orm_followup(episode.id, 4))
    # Closed ones are no longer named.
    for alert in ruptures:
        alert_close(alert=alert, actor=therapist, reason="resolved_in_session")
    assert rawsql.followup_alert(episode.id, 4) is None
    assert orm_followup(episode.id, 4) is None


def test_audit_rows_are_the_orms(therapist, client_user, clinic):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from alliance.audit.models import AuditEvent

    at = datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/Toronto")) + timedelta(hours=1)
    rows = [
        {
            "at": at,
            "clinic_id": clinic.id,
            "actor_id": therapist.id,
            "actor_display": "Teresa <b>Therapist</b> ü",
            "actor_role": "therapist",
            "action": "view",
            "record_type": "checkin",
            "record_id": str(uuid.uuid4()),
            "subject_id": client_user.id,
            "route": "client_detail",
            "ip": "2001:db8::1",
            "detail": "read",
        },
        {  # the system, outside a request: no actor, clinic, subject or address
            "at": at,
            "clinic_id": None,
            "actor_id": None,
            "actor_display": "",
            "actor_role": "system",
            "action": "create",
            "record_type": "alert",
            "record_id": "",
            "subject_id": None,
            "route": "",
            "ip": None,
            "detail": "",
        },
    ]
    orm = AuditEvent.objects.bulk_create([AuditEvent(**row) for row in rows])
    assert rawsql.audit_insert(rows) == 2
    assert rawsql.audit_insert([]) == 0
    stored = list(AuditEvent.objects.order_by("id"))
    assert len(stored) == 4 and [e.id for e in orm] == [e.id for e in stored[:2]]
    for through_orm, through_sql in zip(stored[:2], stored[2:], strict=True):
        assert {k: v for k, v in fields_of(through_orm).items() if k != "id"} == {
            k: v for k, v in fields_of(through_sql).items() if k != "id"
        }
    assert stored[2].at == at and stored[2].ip == "2001:db8::1"


def test_audit_rows_go_in_batches(therapist, clinic):
    from django.utils import timezone

    from alliance.audit.models import AuditEvent

    row = {
        "at": timezone.now(),
        "clinic_id": clinic.id,
        "actor_id": therapist.id,
        "actor_display": "Teresa",
        "actor_role": "therapist",
        "action": "list",
        "record_type": "care_episode",
        "record_id": "x",
        "subject_id": None,
        "route": "caseload",
        "ip": "127.0.0.1",
        "detail": "",
    }
    count = rawsql.AUDIT_BATCH * 2 + 3
    assert rawsql.audit_insert([row] * count) == count
    assert AuditEvent.objects.filter(record_id="x").count() == count
