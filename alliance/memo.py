"""Values a request reads several times, read once: a memo that lives exactly one request.

The client's home page asks for the client's care episodes four times (the page's audit rows,
the questionnaires due, today's diary card, the history): ``per_request`` keeps the first
answer until the response is ready. Outside a request (a test, a task, the shell) nothing is
kept and each call reads afresh, so a value can never outlive the request that read it.

Only for what the request itself cannot change: a memo is never refreshed within a request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_store: ContextVar[dict[Hashable, Any] | None] = ContextVar("alliance_request_memo", default=None)


def per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per request for this ``key``; every time outside a request."""
    store = _store.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    value: T = store[key]
    return value


class RequestMemoMiddleware:
    """Opens the memo for the request and drops it with the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _store.set({})
        try:
            return self.get_response(request)
        finally:
            _store.reset(token)
