"""Writes the reads noted during a request, once the response is ready."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from alliance.audit import recorder


class AuditMiddleware:
    """Collects the request's reads and writes them in one insert before the response leaves.

    Reads are written for every response below 500, including a 400 page that shows the record
    again next to a form's errors: the record was seen. A failure to write the log turns the
    response into a server error, so a record is never shown without its audit row.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context, token = recorder.begin_request(request)
        try:
            response = self.get_response(request)
            if response.status_code < 500:
                context.flush()
            return response
        finally:
            recorder.end_request(token)
