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
