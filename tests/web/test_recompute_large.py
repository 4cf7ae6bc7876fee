"""The nightly recomputation with more than 1,000 alerts gaining a signal in one chunk.

SQLite refuses an expression nested deeper than 1,000; an OR of one condition per alert
failed there every night once a chunk held that many.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.people.models import Session, SessionStatus
from alliance.ruptures import services
from alliance.ruptures.models import Alert, AlertEvent

N = 1_200


def many_tense_checkins(episode, client_user, n):
    now = timezone.now()
    start = now - timedelta(days=7 * n)
    sessions = Session.objects.bulk_create(
        Session(
            episode=episode,
            number=i + 1,
            scheduled_at=start + timedelta(days=7 * i),
            status=SessionStatus.ATTENDED,
        )
        for i in range(n)
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            session=s,
            episode=episode,
            client=client_user,
            bond=5,
            tasks=5,
            goals=5,
            tension=3,
            talked=0,
            resolved=1,
            alliance=5.0,
            submitted_at=s.scheduled_at + timedelta(hours=2),
            form_token=uuid.uuid4(),
        )
        for s in sessions
    )


def test_more_than_a_thousand_alerts_gain_a_signal_in_one_chunk(episode, client_user):
    many_tense_checkins(episode, client_user, N)
    first = services.signals_recompute()
    assert first.alerts_created == N
    # As if an earlier version of the rules had raised none of these signals.
    Alert.objects.update(signals=[])
    report = services.signals_recompute()
    assert (report.alerts_created, report.alerts_updated) == (0, N)
    assert AlertEvent.objects.filter(action="signal_added").count() == N
    assert not Alert.objects.filter(signals=[]).exists()
    assert services.signals_recompute().alerts_updated == 0


def test_the_lookup_is_batched(episode, client_user, monkeypatch):
    monkeypatch.setattr(services, "GAINING_BATCH", 7)
    many_tense_checkins(episode, client_user, 20)
    services.signals_recompute()
    Alert.objects.update(signals=[])
    with CaptureQueriesContext(connection) as queries:
        assert services.signals_recompute().alerts_updated == 20
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"session_id" IN (' in q["sql"]
    ]
    assert len(lookups) == 3  # 7 + 7 + 6
