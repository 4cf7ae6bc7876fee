from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.core import diary as card_def
from alliance.diary import selectors
from alliance.diary.forms import card_questions, error_list, posted_answers
from alliance.diary.services import (
    DiaryError,
    day_problem_text,
    diary_card_submit,
    diary_draft_save,
    diary_target_add,
    diary_target_set_active,
)
from alliance.outcomes.safety import crisis_resources_for
from alliance.people.models import CareEpisode, Role, User
from alliance.safetyplan.selectors import plan_view_of
from alliance.wording import in_language

BAD_DAY = gettext_lazy("That date doesn't look right. Here is today's card instead.")
NO_CARE_EPISODE = gettext_lazy(
    "Your diary card opens while you're in therapy here. If that's a surprise, please tell "
    "your clinic."
)


def _day_url(day: date, today: date, name: str = "diary") -> str:
    url = reverse(name)
    return url if day == today else f"{url}?day={day.isoformat()}"


def _saved_time(card: Any) -> str:
    return timezone.localtime(card.draft_saved_at or card.updated_at).strftime("%H:%M")


def _card_page(
    request: HttpRequest,
    *,
    episode: CareEpisode | None,
    day: date,
    today: date,
    errors: dict[str, str] | None = None,
    message: str = "",
    closed: bool = False,
    values: dict[str, Any] | None = None,
    form_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {"day": day, "today": today, "message": message, "episode": episode}
    if request.method == "POST":
        context["kept_note"] = str(request.POST.get("note", "")).strip()
    if episode is not None and not closed:
        card = access.get_diary_card(user, day)
        context.update(selectors.client_card_page(user, episode, day, today, card))
        if values is not None:
            context["values"] = values
        # The core's messages, in the reader's language, beside each question and in the summary.
        errors = {key: in_language(message) for key, message in (errors or {}).items()}
        questions = card_questions(context["values"], errors, context["targets"])
        context.update(
            questions=questions,
            errors=error_list(errors, questions),
            form_token=form_token or str(uuid.uuid4()),
            saved_time=_saved_time(card) if card is not None else "",
            version=card.updated_at.isoformat() if card is not None else "",
        )
    return render(request, "diary/card.html", context, status=status)


def _asked_day(request: HttpRequest, today: date) -> date | None:
    """The day in the query (or the form), today when none is given; None when unreadable."""
    raw = (request.POST if request.method == "POST" else request.GET).get("day")
    return card_def.parse_day(raw) if raw else today


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLIENT)
def diary_view(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    today = card_def.local_day(timezone.now(), user.zone)
    episode = access.active_episode_of(user)
    day = _asked_day(request, today)
    if day is None:
        if _wants_json(request):
            return JsonResponse({"sent": False, "message": str(BAD_DAY)}, status=400)
        return _card_page(
            request, episode=episode, day=today, today=today, message=str(BAD_DAY), status=400
        )
    problem = day_problem_text(day, today)
    if _wants_json(request) and (problem or episode is None):
        message = problem or str(NO_CARE_EPISODE)
        return JsonResponse({"sent": False, "message": message}, status=400)
    if request.method == "GET" or problem or episode is None:
        return _card_page(
            request,
            episode=episode,
            day=day,
            today=today,
            message=problem,
            closed=bool(problem),
            status=200 if request.method == "GET" else 400,
        )
    return _save(request, user, episode, day, today)


def _wants_json(request: HttpRequest) -> bool:
    """A card diary.js sends itself (kept on the phone while offline): answered in JSON."""
    return request.method == "POST" and "application/json" in request.headers.get("Accept", "")


def _save(
    request: HttpRequest, user: User, episode: CareEpisode, day: date, today: date
) -> HttpResponse:
    """The "Save draft" button keeps the answers as typed; "Done for today" sends the card.

    diary.js sends a card that waited on the phone the same way, asking for JSON: it hears
    where to go next, or why the card was refused (its answers are then kept as a draft).
    """
    answers = posted_answers(request.POST)
    form_token = request.POST.get("form_token", "")
    try:
        if request.POST.get("action") == "draft":
            card = diary_draft_save(
                client=user,
                episode=episode,
                day=day,
                answers=answers,
                form_token=form_token or None,
            )
            messages.success(
                request,
                gettext(
                    "Draft saved at %(time)s. It stays with you until you press “Done for today”."
                )
                % {"time": _saved_time(card)},
            )
            return redirect(_day_url(day, today))
        diary_card_submit(
            client=user, episode=episode, day=day, answers=answers, form_token=form_token
        )
    except DiaryError as error:
        # Whatever went wrong, what they wrote is kept, even if they close the page now (unless
        # the day slipped out of reach between the two saves: the page still shows it all).
        with suppress(DiaryError):
            diary_draft_save(client=user, episode=episode, day=day, answers=answers)
        if _wants_json(request):
            body = {"sent": False, "message": error.message, "errors": dict(error.errors)}
            return JsonResponse(body, status=400)
        return _card_page(
            request,
            episode=episode,
            day=day,
            today=today,
            errors=error.errors,
            message=in_language(error.message),
            values=answers,
            form_token=form_token if formtoken.parse(form_token) else "",
            status=400,
        )
    if _wants_json(request):
        return JsonResponse({"sent": True, "url": _day_url(day, today, "diary_done")})
    return redirect(_day_url(day, today, "diary_done"))


@require_POST
@access.role_required(Role.CLIENT)
def diary_draft_view(request: AuthedRequest) -> JsonResponse:
    """Autosave from diary.js: the same save as the "Save draft" button, answered in JSON."""
    user: User = request.user
    today = card_def.local_day(timezone.now(), user.zone)
    raw_day = request.POST.get("day")
    day = card_def.parse_day(raw_day) if raw_day else today
    episode = access.active_episode_of(user)
    if episode is None:
        return JsonResponse({"saved": False, "message": str(NO_CARE_EPISODE)}, status=400)
    if day is None:
        return JsonResponse({"saved": False, "message": str(BAD_DAY)}, status=400)
    try:
        card = diary_draft_save(
            client=user,
            episode=episode,
            day=day,
            answers=posted_answers(request.POST),
            # Required here: the script always sends the form's, and it tells a late autosave.
            form_token=request.POST.get("form_token", ""),
        )
    except DiaryError as error:
        return JsonResponse({"saved": False, "message": in_language(error.message)}, status=400)
    return JsonResponse(
        {"saved": True, "saved_at": _saved_time(card), "version": card.updated_at.isoformat()}
    )


@require_GET
@access.role_required(Role.CLIENT)
def diary_done_view(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    today = card_def.local_day(timezone.now(), user.zone)
    day = card_def.parse_day(request.GET.get("day", "")) or today
    card = access.get_diary_card(user, day)
    if card is None or not card.is_submitted:
        return redirect(_day_url(day, today))
    context = selectors.client_done_page(user, card, today)
    context.update(
        day=day,
        today=today,
        edit_url=_day_url(day, today),
        editable_until=card_def.last_editable_day(day),
        crisis_resources=crisis_resources_for(card.episode.clinic) if context["findings"] else (),
        # After a risk answer the client's own safety plan comes first (docs/safety-plan.md).
        safety_plan_view=plan_view_of(access.safety_plan_of(user, card.episode))
        if context["findings"]
        else None,
    )
    return render(request, "diary/done.html", context)


# --- therapist -------------------------------------------------------------------------------


def _week_to_show(asked: str | None, episode: CareEpisode, today: date) -> tuple[date, str]:
    """The Monday of the week to show, and why it is not the one asked for ("" if it is).

    Weeks run from the first week of care to this week: there are no cards outside them, and
    a date at the edge of the calendar (9999-12-31, 0001-01-01) has no week around it. The
    reason is "unreadable", "future" or "before_care"; the page says it in words.
    """
    this_week = card_def.week_start(today)
    if not asked:
        return this_week, ""
    day = card_def.parse_day(asked)
    if day is None:
        return this_week, "unreadable"
    if day >= this_week + timedelta(days=7):
        return this_week, "future"
    first_week = min(card_def.week_start(episode.started_on), this_week)
    if day < first_week:
        return first_week, "before_care"
    return card_def.week_start(day), ""


@require_GET
@access.role_required(Role.THERAPIST)
def diary_week_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    therapist: User = request.user
    episode = access.get_client_episode(therapist, client_id)
    today = card_def.local_day(timezone.now(), episode.client.zone)
    start, notice = _week_to_show(request.GET.get("week"), episode, today)
    context: dict[str, Any] = {
        "episode": episode,
        "client": episode.client,
        "week_notice": notice,
        "targets_count": selectors.active_target_count(therapist, episode),
    }
    context.update(selectors.week_grid(therapist, episode, start, today))
    context.update(selectors.trends(therapist, episode, today))
    return render(request, "diary/week.html", context)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def diary_targets_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    therapist: User = request.user
    episode = access.get_client_episode(therapist, client_id)
    error, name = "", ""
    if request.method == "POST":
        action, name = request.POST.get("action"), request.POST.get("name", "")
        try:
            if action == "add":
                target, new = diary_target_add(therapist=therapist, episode=episode, name=name)
                said = (
                    gettext("“%(name)s” is added to the card.")
                    if new
                    else gettext("“%(name)s” is back on the card.")
                )
                messages.success(request, said % {"name": target.name})
            elif action in {"start", "stop"}:
                target = access.get_diary_target(therapist, request.POST.get("target", ""))
                if target.episode_id != episode.id:
                    raise Http404
                diary_target_set_active(
                    therapist=therapist, target=target, active=action == "start"
                )
                said = (
                    gettext("“%(name)s” is back on the card.")
                    if action == "start"
                    else gettext("“%(name)s” is no longer on the card.")
                )
                messages.success(request, said % {"name": target.name})
            else:
                raise DiaryError(
                    gettext("Please choose what to do: add a target, or stop or start one.")
                )
        except DiaryError as failure:
            error = in_language(failure.message)
        else:
            return redirect("diary_targets", client_id=episode.client_id)
    targets = selectors.targets_of(therapist, episode)
    context = {
        "episode": episode,
        "client": episode.client,
        "active": [t for t in targets if t.active],
        "stopped": [t for t in targets if not t.active],
        "error": error,
        "name": name,
        "name_max": card_def.TARGET_NAME_MAX,
    }
    return render(request, "diary/targets.html", context, status=400 if error else 200)
