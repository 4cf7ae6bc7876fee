"""A page the service worker fetches on its own changes nothing in the browser.

The worker fills its offline copies in the background (``static/offline/sw.js``), often while
the person is logging in or out in the page. Django sends the CSRF cookie again with every page
that holds a form, so a background fetch that left with the cookie from before the login, and
came back after it, put the old token back: the next form the person sent was refused as a
forgery (seen on a phone sending its diary card). The worker marks its own fetches with
``Alliance-Fetch: background``; their answers set no cookie at all. The person's own pages,
which go through the worker untouched, keep Django's cookies as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

FETCH_HEADER = "Alliance-Fetch"
BACKGROUND = "background"


class BackgroundFetchMiddleware:
    """Drop every cookie from the answer to the worker's own background fetches.

    Outside the session and CSRF middleware, so that it sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.headers.get(FETCH_HEADER) == BACKGROUND:
            response.cookies.clear()
        return response
