from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.core.discrepancy import THERAPIST_RATING
from alliance.people.models import Role, SessionStatus
from alliance.ratings import selectors, services

KEYS = [item.key for item in THERAPIST_RATING.items]


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def session_rating_view(request: AuthedRequest, session_id: str) -> HttpResponse:
    """The therapist's twenty-second view of a session they marked attended."""
    session = access.get_session_for_therapist(request.user, session_id)
    back = reverse("client_detail", args=[session.episode.client_id]) + f"#session-{session.id}"
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            result = services.rating_submit(
                session=session,
                therapist=request.user,
                answers={key: request.POST.get(key, "") for key in KEYS},
                form_token=request.POST.get("form_token", ""),
            )
        except services.RatingError as failed:
            error, errors, status = str(failed), failed.errors, 400
            values = {key: request.POST.get(key, "") for key in KEYS}
        else:
            messages.success(
                request,
                _("Your view of session %(number)s is saved. Your client never sees it.")
                % {"number": session.number}
                if result.created
                else _("Your view of session %(number)s was already saved.")
                % {"number": session.number},
            )
            return redirect(back)
    questions = [
        {"item": item, "value": values.get(item.key, ""), "error": errors.get(item.key, "")}
        for item in THERAPIST_RATING.items
    ]
    context = {
        "session": session,
        "client": session.episode.client,
        "rating": selectors.rating_for_session(session.id),
        "attended": session.status == SessionStatus.ATTENDED,
        "questions": questions,
        "instrument": THERAPIST_RATING,
        "error": error,
        "form_token": formtoken.or_fresh(request.POST.get("form_token", ""))
        if request.method == "POST"
        else str(uuid.uuid4()),
        "back": back,
    }
    return render(request, "ratings/session_rating.html", context, status=status)
