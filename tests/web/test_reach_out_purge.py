"""Reach-out requests are deleted after ALLIANCE_REACH_OUT_RETENTION_DAYS, answered or not:
by `alliance purge-reach-outs` and by the worker's nightly job. Both edges of the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from alliance.audit.models import AuditEvent, RecordType
from alliance.messaging.models import OutboxMessage
from alliance.reachout import tasks
from alliance.reachout.models import ReachOutRequest
from alliance.reachout.services import request_reply, requests_purge
from tests.web.reach_out import received

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS_90 = timedelta(days=90)


@pytest.mark.parametrize(
    ("age", "kept"),
    [(DAYS_90, True), (DAYS_90 + timedelta(seconds=1), False)],
    ids=["exactly-90-days-kept", "a-second-more-deleted"],
)
def test_a_request_is_deleted_once_older_than_ninety_days(teresas_page, age, kept):
    request = received(teresas_page, at=NOW - age)
    assert requests_purge(now=NOW) == (0 if kept else 1)
    assert ReachOutRequest.objects.filter(pk=request.pk).exists() is kept


@override_settings(ALLIANCE_REACH_OUT_RETENTION_DAYS=30)
def test_the_period_is_the_setting(teresas_page):
    received(teresas_page, at=NOW - timedelta(days=31))
    received(teresas_page, at=NOW - timedelta(days=29))
    assert requests_purge(now=NOW) == 1
    assert ReachOutRequest.objects.count() == 1


def test_the_answer_that_went_to_them_goes_too_and_the_log_says_so(teresas_page, therapist):
    old = received(teresas_page, at=NOW - timedelta(days=100))
    request_reply(
        request=old,
        actor=therapist,
        text="Hello",
        site="https://a.example",
        now=NOW - timedelta(days=99),
    )
    fresh = received(teresas_page, at=NOW - timedelta(days=1))
    assert OutboxMessage.objects.count() == 1
    assert requests_purge(now=NOW, batch=1) == 1
    assert list(ReachOutRequest.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert OutboxMessage.objects.count() == 0
    row = AuditEvent.objects.get(record_type=RecordType.REACH_OUT, action="delete")
    assert (row.record_id, row.detail, row.actor_id, row.at) == (
        str(old.id),
        "retention",
        None,
        NOW,
    )


def test_many_are_deleted_in_batches(teresas_page):
    for day in range(91, 96):
        received(teresas_page, at=NOW - timedelta(days=day))
    assert requests_purge(now=NOW, batch=2) == 5
    assert ReachOutRequest.objects.count() == 0


def test_the_command_counts_in_a_dry_run_and_deletes_otherwise(teresas_page):
    received(teresas_page, at=NOW - timedelta(days=91))
    received(teresas_page, at=NOW - timedelta(days=89))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_reach_outs", "--dry-run", stdout=out)
        assert ReachOutRequest.objects.count() == 2
        call_command("purge_reach_outs", stdout=out)
    assert out.getvalue().splitlines() == [
        "Dry run: 1 reach-out request older than 90 days would be deleted.",
        "Deleted 1 reach-out request older than 90 days.",
    ]
    assert ReachOutRequest.objects.count() == 1


def test_the_nightly_job_deletes_them(teresas_page):
    received(teresas_page, at=NOW - timedelta(days=91))
    with time_machine.travel(NOW, tick=False):
        report = tasks.purge_requests.call()
    assert report == "1 reach-out requests past their retention period deleted"
    assert ReachOutRequest.objects.count() == 0
