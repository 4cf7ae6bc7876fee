from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.core.analysis import MIN_GROUP, AllianceOutcome, Refusal
from alliance.core.definitions import builtin
from alliance.core.instruments import ItemKind
from alliance.offline.marks import keep_offline
from alliance.outcomes import safety, services
from alliance.outcomes.analysis import clinic_analysis
from alliance.outcomes.definitions import available_for, definition_for
from alliance.outcomes.forms import (
    COMPARISONS,
    CrisisResourceForm,
    CrisisResourceFormSet,
    SafetyRuleForm,
    SafetyRuleFormSet,
    ScheduleForm,
    kept,
)
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.selectors import Questionnaire, schedules_by_instrument, spec_of
from alliance.people.models import Clinic, Role
from alliance.safetyplan.selectors import plan_view_of
from alliance.wording import in_language

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
        message = str(services.CLOSED)
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
            "closed": message in (str(services.CLOSED), str(services.ALREADY_ANSWERED)),
            "can_send_incomplete": can_send_incomplete,
            "form_token": form_token,
            "therapist": q.episode.therapist,
            # A built-in questionnaire keeps its published English wording in every language;
            # the page then says that the clinic can load a validated translation.
            "published_english": q.definition is builtin().get(q.instrument_id),
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
            # After a risk answer the client's own safety plan comes first (docs/safety-plan.md).
            "safety_plan_view": plan_view_of(access.safety_plan_of(request.user, response.episode))
            if response.has_risk
            else None,
        },
    )


def _answer_rows(response: OutcomeResponse) -> list[dict[str, Any]]:
    defn = definition_for(
        response.episode.clinic_id, response.instrument_id, response.instrument_version
    )
    texts = json.loads(response.text_answers) if response.text_answers else {}
    risky = {r["field"] for r in response.risk}
    # A built-in questionnaire's items and options are its published English, in any language.
    english = "en" if defn is builtin().get(response.instrument_id) else ""
    rows = []
    for item in defn.instrument.items:
        answer_lang = ""
        if item.kind is ItemKind.CHOICE:
            value = response.answers.get(item.key)
            shown = _("Left blank") if value is None else f"{value} — {item.label_for(value)}"
            answer_lang = english if value is not None else ""
        else:
            shown = texts.get(item.key) or _("Left blank")
        rows.append(
            {
                "item": item,
                "answer": shown,
                "risk": item.key in risky,
                "item_lang": english,
                "answer_lang": answer_lang,
            }
        )
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
            specs = {row["available"].instrument_id: row["form"].spec() for row in rows}
            try:
                services.schedules_set(episode=episode, specs=specs, actor=request.user)
            except services.ScheduleError as error:
                messages.error(
                    request,
                    _("%(problem)s Nothing was changed: please check the list and save again.")
                    % {"problem": error},
                )
            else:
                messages.success(request, _("Questionnaire schedule saved."))
                return redirect("client_detail", client_id=episode.client_id)
        else:
            messages.error(
                request, _("Please check the numbers below: each is from 1 to 52, or blank.")
            )
    status = 400 if request.method == "POST" else 200
    context = {"episode": episode, "client": episode.client, "rows": rows}
    return render(request, "outcomes/schedule.html", context, status=status)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
def clinic_safety_view(request: AuthedRequest) -> HttpResponse:
    """The clinic's safety rules and crisis resources: a row each, added and removed without JS."""
    clinic: Clinic = request.user.clinic
    stored = safety.stored_settings(clinic)
    stored_rules = (stored.rules if stored else None) or []
    answers = _rule_answers(clinic, stored_rules)
    data = request.POST.copy() if request.method == "POST" else None
    adding = data is not None and ("add_rule" in data or "add_resource" in data)
    if data is not None and adding:
        # "Add another row": the same forms again with one more empty row; nothing is saved.
        prefix = "rules" if "add_rule" in data else "resources"
        data[f"{prefix}-TOTAL_FORMS"] = str(_int(data.get(f"{prefix}-TOTAL_FORMS")) + 1)
    rules = SafetyRuleFormSet(
        data,
        prefix="rules",
        initial=None if data else [_rule_initial(rule) for rule in stored_rules],
        form_kwargs={"answers": answers},
    )
    resources = CrisisResourceFormSet(
        data,
        prefix="resources",
        initial=None if data else ((stored.crisis_resources if stored else None) or []),
    )
    problem = ""
    if data is not None and not adding:
        if rules.is_valid() and resources.is_valid():
            own_rules = [cast(SafetyRuleForm, form).rule() for form in kept(rules)]
            own_resources = [cast(CrisisResourceForm, form).resource() for form in kept(resources)]
            try:
                safety.safety_set(
                    clinic=clinic,
                    actor=request.user,
                    rules_json=json.dumps(own_rules) if own_rules else None,
                    resources_json=json.dumps(own_resources) if own_resources else None,
                )
            except safety.SafetyError as error:
                problem = str(error)
            else:
                messages.success(request, _("Safety settings saved."))
                return redirect("clinic_safety")
        else:
            problem = _("Some rows need another look: each says what to change. Nothing is saved.")
    context = {
        "rules_formset": rules,
        "resources_formset": resources,
        "problem": problem,
        "in_use": _in_use(safety.rules_for(clinic), answers),
        "resources": safety.crisis_resources_for(clinic),
    }
    return render(request, "outcomes/clinic_safety.html", context, status=400 if problem else 200)


def _in_use(
    rules: tuple[safety.SafetyRule, ...], answers: list[safety.RuleAnswer]
) -> list[dict[str, str]]:
    """The rules in force, in words: "PHQ-9, item 9: ..." / "is more than 0"."""
    labels = {answer.key: answer.label for answer in answers}
    words = dict(COMPARISONS)
    return [
        {
            "answer": labels.get(f"{rule.source}:{rule.field}", f"{rule.source} {rule.field}"),
            "rule": f"{words.get(rule.comparison, rule.comparison)} {rule.threshold:g}",
            "label": rule.label,
        }
        for rule in rules
    ]


def _int(value: object) -> int:
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


def _rule_initial(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer": f"{rule.get('source')}:{rule.get('field')}",
        "comparison": rule.get("comparison"),
        "threshold": rule.get("threshold"),
        "label": rule.get("label"),
    }


def _rule_answers(clinic: Clinic, stored: list[dict[str, Any]]) -> list[safety.RuleAnswer]:
    """The answers a rule can read, plus any a stored rule names that is not among them (a
    questionnaire no longer in the clinic, say), so saving the page never drops a rule."""
    answers = safety.rule_answers(clinic)
    known = {answer.key for answer in answers}
    for rule in stored:
        key = f"{rule.get('source')}:{rule.get('field')}"
        if key not in known:
            known.add(key)
            label = _("%(source)s, answer %(field)s (not a questionnaire of this clinic now)")
            answers.append(
                safety.RuleAnswer(
                    str(rule.get("source")),
                    str(rule.get("field")),
                    label % {"source": rule.get("source"), "field": rule.get("field")},
                    -1_000_000,
                    1_000_000,
                )
            )
    return answers


@require_GET
@keep_offline  # the crisis lines stay on the phone for offline reading (alliance/offline)
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


@require_GET
@access.role_required(Role.CLINIC_ADMIN)
def clinic_analysis_view(request: AuthedRequest) -> HttpResponse:
    """Alliance and outcome across the clinic, with what the figures cannot say."""
    clinic_id = access.analysis_clinic_for(request.user)
    result = clinic_analysis(clinic_id, "phq9")
    model = result.model
    return render(
        request,
        "outcomes/clinic_analysis.html",
        {
            "result": result,
            "model": model if isinstance(model, AllianceOutcome) else None,
            "refusal": model if isinstance(model, Refusal) else None,
            "refusal_reason": in_language(model.reason) if isinstance(model, Refusal) else "",
            "repair": result.repair,
            "min_group": MIN_GROUP,
        },
    )
