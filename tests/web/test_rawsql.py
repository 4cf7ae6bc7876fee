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
