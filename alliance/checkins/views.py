from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.checkins.selectors import checkin_of, client_home, followup_answered
from alliance.checkins.services import (
    CARE_ENDED,
    CHECKIN_CLOSED,
    CheckinError,
    checkin_submit,
    followup_alert_for,
)
from alliance.core.checkin import CHECKIN, WHO_READS
from alliance.core.instruments import AnswerCondition, ContextCondition
from alliance.people.models import EpisodeStatus, Role
from alliance.ruptures.models import Alert


@require_GET
@access.role_required(Role.CLIENT)
def client_home_view(request: AuthedRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    context = client_home(request.user, now=timezone.now(), page=min(max(page, 1), 100_000))
    # The home page shows the client's own check-ins: their episodes are logged as read.
    access.note_listed(request.user, access.client_episodes(request.user))
    return render(request, "checkins/client_home.html", context)


def _questions(
    values: dict[str, Any], errors: dict[str, str], followup: Alert | None
) -> list[dict[str, Any]]:
    context = {"has_open_rupture": followup is not None}
    questions = []
    for item in CHECKIN.items:
        condition = item.show_if
        if isinstance(condition, ContextCondition) and not context.get(condition.context):
            continue  # never shown, never required
        questions.append(
            {
                "item": item,
                "value": "" if values.get(item.key) is None else str(values.get(item.key)),
                "error": errors.get(item.key, ""),
                # Follow-up questions about tension are revealed by a small script when it runs,
                # and always shown (and optional) without it.
                "depends_on": condition.item if isinstance(condition, AnswerCondition) else "",
            }
        )
    return questions


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLIENT)
def checkin_view(request: AuthedRequest, session_id: str) -> HttpResponse:
    session = access.get_session_for_checkin(request.user, session_id)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    message = ""
    form_token = str(uuid.uuid4())
    general_errors: list[str] = []
    if request.method == "POST":
        form_token = request.POST.get("form_token", "")
        values = {
            k: v
            for k, v in request.POST.items()
            if k not in {"csrfmiddlewaretoken", "form_token", "followup_alert"}
        }
        try:
            checkin_submit(
                session=session,
                client=request.user,
                answers=values,
                form_token=form_token,
                # Which moment the follow-up question named ("" when the page named none).
                followup_alert=request.POST.get("followup_alert", ""),
            )
        except CheckinError as error:
            message, errors = error.message, error.errors
            general_errors = [errors.pop("__all__")] if "__all__" in errors else []
            form_token = formtoken.or_fresh(form_token)
        else:
            return redirect("checkin_thanks", session_id=session.id)
    elif checkin_of(session) is not None:
        return redirect("checkin_thanks", session_id=session.id)
    elif session.episode.status != EpisodeStatus.ACTIVE:
        message = str(CARE_ENDED)
    elif not session.checkin_is_open():
        message = str(CHECKIN_CLOSED)
    status = 400 if request.method == "POST" and message else 200
    followup = followup_alert_for(session)
    questions = _questions(values, errors, followup)
    return render(
        request,
        "checkins/checkin_form.html",
        {
            "session": session,
            "questions": questions,
            # Nothing typed and nothing to correct: the questions' markup depends only on which
            # questions are asked, so it is rendered once per set and kept (a template cache).
            # The follow-up question names the client's own moment: never from that cache.
            "fresh": not values and not errors and followup is None,
            "followup": followup,
            "question_set": f"{CHECKIN.id}:{CHECKIN.version}:"
            + ",".join(q["item"].key for q in questions),
            "message": message,
            # A closed check-in shows no form to send again, after a GET or a refused POST;
            # what the client wrote in the comment is shown back so it is not lost.
            "closed": message in (str(CHECKIN_CLOSED), str(CARE_ENDED)),
            "kept_comment": str(values.get("comment") or "").strip(),
            "form_token": form_token,
            "general_errors": general_errors,
            "who_reads": gettext(WHO_READS),
            "therapist": session.episode.therapist,
        },
        status=status,
    )


@require_GET
@access.role_required(Role.CLIENT)
def checkin_thanks_view(request: AuthedRequest, session_id: str) -> HttpResponse:
    session = access.get_session_for_checkin(request.user, session_id)
    checkin = checkin_of(session)
    if checkin is None:
        return redirect("checkin", session_id=session.id)
    return render(
        request,
        "checkins/checkin_thanks.html",
        {
            "session": session,
            "checkin": checkin,
            "therapist": session.episode.therapist,
            "resolved_moment": followup_answered(checkin),
        },
    )
