from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.core.instruments import ItemKind
from alliance.outcomes import safety, services
from alliance.outcomes.definitions import available_for, definition_for
from alliance.outcomes.forms import SafetyForm, ScheduleForm
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.selectors import Questionnaire, schedules_by_instrument, spec_of
from alliance.people.models import Clinic, Role

QUESTIONNAIRE_FIELDS = {"csrfmiddlewaretoken", "form_token", "send_incomplete"}


def _questions(q: Questionnaire, values: dict[str, Any], errors: dict[str, str]) -> list[Any]:
    return [
        {
            "item": item,
            "value": "" if values.get(item.key) is None else str(values[item.key]),
            "error": errors.get(item.key, ""),
        }
        for item in q.definition.instrument.items
    ]


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLIENT)
def questionnaire_view(
    request: HttpRequest, episode_id: str, instrument_id: str, occasion: str
) -> HttpResponse:
    q = access.get_questionnaire(request.user, episode_id, instrument_id, occasion)  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    message, can_send_incomplete, form_token = "", False, str(uuid.uuid4())
    if request.method == "POST":
        form_token = request.POST.get("form_token", "")
        values = {k: v for k, v in request.POST.items() if k not in QUESTIONNAIRE_FIELDS}
        try:
            result = services.response_submit(
                questionnaire=q,
                client=request.user,  # type: ignore[arg-type]
                answers=values,
                form_token=form_token,
                send_incomplete=request.POST.get("send_incomplete") == "1",
            )
        except services.ResponseError as error:
            message, errors = error.message, error.errors
            can_send_incomplete = error.can_send_incomplete
            form_token = formtoken.or_fresh(form_token)
        else:
            return redirect("questionnaire_done", response_id=result.response.id)
    elif q.response is not None:
        return redirect("questionnaire_done", response_id=q.response.id)
    elif not q.is_open(timezone.now()):
        message = services.CLOSED
    general = [errors.pop("__all__")] if "__all__" in errors else []
    return render(
        request,
        "outcomes/questionnaire.html",
        {
            "q": q,
            "questions": _questions(q, values, errors),
            "message": message,
            "general_errors": general,
            # Closed or already answered: no form to send again, after a GET or a refused POST.
            "closed": message in (services.CLOSED, services.ALREADY_ANSWERED),
            "can_send_incomplete": can_send_incomplete,
            "form_token": form_token,
            "therapist": q.episode.therapist,
        },
        status=400 if request.method == "POST" and message else 200,
    )


@require_GET
@access.role_required(Role.CLIENT)
def questionnaire_done_view(request: AuthedRequest, response_id: str) -> HttpResponse:
    response = access.get_outcome_response(request.user, response_id)
    defn = definition_for(response.episode.clinic_id, response.instrument_id)
    return render(
        request,
        "outcomes/questionnaire_done.html",
        {
            "response": response,
            "title": defn.instrument.title,
            "therapist": response.episode.therapist,
            "crisis_resources": safety.crisis_resources_for(response.episode.clinic),
        },
    )


def _answer_rows(response: OutcomeResponse) -> list[dict[str, Any]]:
    defn = definition_for(
        response.episode.clinic_id, response.instrument_id, response.instrument_version
    )
    texts = json.loads(response.text_answers) if response.text_answers else {}
    risky = {r["field"] for r in response.risk}
    rows = []
    for item in defn.instrument.items:
        if item.kind is ItemKind.CHOICE:
            value = response.answers.get(item.key)
            shown = "Left blank" if value is None else f"{value} — {item.label_for(value)}"
        else:
            shown = texts.get(item.key) or "Left blank"
        rows.append({"item": item, "answer": shown, "risk": item.key in risky})
    return rows


@require_GET
@access.role_required(Role.THERAPIST)
def response_detail_view(request: AuthedRequest, response_id: str) -> HttpResponse:
    response = access.get_outcome_response(request.user, response_id)
    return render(
        request,
        "outcomes/response_detail.html",
        {"response": response, "rows": _answer_rows(response), "client": response.episode.client},
    )


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def schedule_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    current = schedules_by_instrument(episode)
    rows: list[dict[str, Any]] = []
    for available in available_for(episode.clinic_id):
        known = current.get(available.instrument_id)
        initial = asdict(spec_of(known)) if known else {}
        data = request.POST if request.method == "POST" else None
        form = ScheduleForm(data, prefix=available.instrument_id, initial=initial)
        rows.append({"available": available, "form": form})
    if request.method == "POST":
        if all(row["form"].is_valid() for row in rows):
            for row in rows:
                services.schedule_set(
                    episode=episode,
                    instrument_id=row["available"].instrument_id,
                    spec=row["form"].spec(),
                    actor=request.user,
                )
            messages.success(request, "Questionnaire schedule saved.")
            return redirect("client_detail", client_id=episode.client_id)
        messages.error(request, "Please check the numbers below: each is from 1 to 52, or blank.")
    status = 400 if request.method == "POST" else 200
    context = {"episode": episode, "client": episode.client, "rows": rows}
    return render(request, "outcomes/schedule.html", context, status=status)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
def clinic_safety_view(request: AuthedRequest) -> HttpResponse:
    clinic: Clinic = request.user.clinic
    stored = safety.stored_settings(clinic)
    form = SafetyForm.for_stored(stored and stored.rules, stored and stored.crisis_resources)
    status = 200
    if request.method == "POST":
        form = SafetyForm(request.POST)
        if form.is_valid():
            try:
                safety.safety_set(
                    clinic=clinic,
                    actor=request.user,
                    rules_json=form.cleaned_data["rules"],
                    resources_json=form.cleaned_data["crisis_resources"],
                )
            except safety.SafetyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Safety settings saved.")
                return redirect("clinic_safety")
        status = 400
    context = {
        "form": form,
        "rules": safety.rules_for(clinic),
        "resources": safety.crisis_resources_for(clinic),
        "default_rules": json.dumps(safety.default_rules_data(), indent=2, ensure_ascii=False),
        "default_resources": json.dumps(
            safety.default_resources_data(clinic), indent=2, ensure_ascii=False
        ),
    }
    return render(request, "outcomes/clinic_safety.html", context, status=status)


@require_GET
def crisis_help_view(request: HttpRequest) -> HttpResponse:
    """The crisis lines of the person's region, and whom to contact at their clinic.

    A client also sees how to reach their therapist. Opening the page sends nothing.
    """
    user = request.user
    if not user.is_authenticated:
        context: dict[str, Any] = {"crisis_resources": safety.crisis_resources_for(None)}
        return render(request, "outcomes/help.html", context)
    episode = access.active_episode_of(user)
    context = {
        "crisis_resources": safety.crisis_resources_for(user.clinic),
        "clinic": user.clinic,
        "therapist": episode.therapist if episode is not None else None,
    }
    return render(request, "outcomes/help.html", context)
