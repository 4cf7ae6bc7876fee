"""alliance/memo.py: a value read once per request, never kept beyond it."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from alliance import access
from alliance.memo import RequestMemoMiddleware, per_request


def test_outside_a_request_every_call_reads_afresh():
    calls = []
    assert per_request("k", lambda: calls.append(1) or len(calls)) == 1
    assert per_request("k", lambda: calls.append(1) or len(calls)) == 2


def test_inside_a_request_the_first_answer_is_kept_and_dropped_with_the_response():
    calls: list[int] = []

    def view(request):
        first = per_request("k", lambda: calls.append(1) or len(calls))
        again = per_request("k", lambda: calls.append(1) or len(calls))
        other = per_request("other", lambda: "other")
        return HttpResponse(f"{first},{again},{other}")

    middleware = RequestMemoMiddleware(view)
    assert middleware(RequestFactory().get("/")).content == b"1,1,other"
    # The next request starts empty.
    assert middleware(RequestFactory().get("/")).content == b"2,2,other"
    assert per_request("k", lambda: "outside") == "outside"


def test_an_episode_ended_between_two_requests_is_seen_by_the_second(episode, client_user, login):
    browser = login(client_user)
    assert 'id="diary-h"' in browser.get("/me/").content.decode()
    assert [e.id for e in access.client_episodes(client_user)] == [episode.id]
    episode.status = "ended"
    episode.save()
    assert access.active_episode_of(client_user) is None  # outside a request: read afresh
    # The next request reads again: no diary card for care that has ended.
    assert 'id="diary-h"' not in browser.get("/me/").content.decode()
