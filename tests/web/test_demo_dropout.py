"""The demo's dropout-risk client: Robin, whose record raises a high dropout-risk alert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from alliance.demo import DROPOUT_RISK_EMAIL, seed_demo
from alliance.people.models import User
from alliance.people.selectors import caseload, not_heard_from
from alliance.ruptures.models import Alert, AlertCategory, AlertState

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_robin_has_one_open_high_dropout_risk_alert_and_is_not_heard_from():
    seed_demo(seed=2026, password="demo-password-1", now=NOW)
    [alert] = Alert.objects.filter(
        episode__client__email=DROPOUT_RISK_EMAIL, category=AlertCategory.DROPOUT_RISK
    )
    assert (alert.state, alert.severity) == (AlertState.OPEN, 3)
    assert [line.plain for line in alert.signal_lines] == [
        "Several signs together: this client may be thinking of leaving therapy.",
        "Three sessions missed in the last eight weeks.",
        "One session cancelled at short notice in the last eight weeks.",
        "The alliance has been low lately: 3.9 on average over the last three check-ins.",
        "The alliance has been falling: from 5.0 to 3.3 over the last four check-ins.",
        "One rupture of the confrontation kind still open from the last six weeks.",
        # The last check-in's drop opened a score-based rupture alert of its own.
        "One other rupture still open from the last six weeks.",
        "Early in therapy (week 10), when most clients who leave do so: the signs above count "
        "1.5 times.",
    ]
    therapist = User.objects.get(email="therapist@demo.example")
    with time_machine.travel(NOW, tick=False):
        rows = caseload(therapist, now=NOW)
    quiet = [row.episode.client.email for row in not_heard_from(rows)]
    assert DROPOUT_RISK_EMAIL in quiet
