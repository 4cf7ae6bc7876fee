"""The API's rate limit counts in the database: every process and server counts together.

Each count is one ``UPDATE … SET used = used + 1`` in a transaction (``rate_count``), so
requests at the same moment on other connections, as other worker processes or app servers
make them, are each counted once; here threads with their own connections stand in for them,
on SQLite (a file copy, as in production) and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from alliance.apitokens.models import RateWindow
from alliance.apitokens.rest import RATE_LIMIT, RATE_WINDOW_SECONDS
from alliance.apitokens.services import rate_count
from alliance.people.models import User
from tests.api.conftest import bearer, make_token
from tests.web.test_checkin_race import _in_threads

MINUTE = "2026-03-02 10:00:05 +0000"


def _token(user: User) -> Any:
    from alliance.apitokens.models import PersonalAccessToken

    return PersonalAccessToken.objects.get(user=user)


@pytest.mark.django_db(transaction=True)
def test_requests_at_the_same_moment_on_other_connections_are_each_counted(
    therapist: User,
) -> None:
    make_token(therapist)
    token = _token(therapist)
    per_thread, threads = 5, 6

    def job() -> list[int]:
        return [rate_count(token, window=1000) for _ in range(per_thread)]

    # Every thread starts on a window without a row: the first requests race to make it.
    results = _in_threads(*[job for _ in range(threads)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    counts = sorted(n for r in results for n in r)
    # No count lost and none given twice: each request saw its own number.
    assert counts == list(range(1, per_thread * threads + 1))
    assert RateWindow.objects.get(token=token, window=1000).used == per_thread * threads


def test_a_count_made_elsewhere_holds_back_this_process(therapist: User) -> None:
    api = bearer(make_token(therapist))
    token = _token(therapist)
    with time_machine.travel(MINUTE, tick=False):
        assert api.get("/api/v1/absences").status_code == 200
        # Another server (or worker) has spent the rest of the minute's requests.
        window = RateWindow.objects.get(token=token)
        RateWindow.objects.filter(pk=window.pk).update(used=RATE_LIMIT)
        limited = api.get("/api/v1/absences")
        assert limited.status_code == 429
        assert limited["Retry-After"] == str(RATE_WINDOW_SECONDS - 5)


def test_a_finished_window_is_deleted_when_the_next_begins(
    therapist: User, other_therapist: User
) -> None:
    api = bearer(make_token(therapist))
    other = bearer(make_token(other_therapist))
    with time_machine.travel(MINUTE, tick=False):
        api.get("/api/v1/absences")
        other.get("/api/v1/absences")
        api.get("/api/v1/absences")
    assert sorted(RateWindow.objects.values_list("used", flat=True)) == [1, 2]
    with time_machine.travel("2026-03-02 10:01:01 +0000", tick=False):
        assert api.get("/api/v1/absences").status_code == 200
    mine = RateWindow.objects.filter(token=_token(therapist))
    # Only this minute's row is left of the token's; the other token's is its own business.
    assert [w.used for w in mine] == [1]
    assert RateWindow.objects.filter(token=_token(other_therapist)).count() == 1
