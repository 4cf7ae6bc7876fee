from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.offline.marks import keep_offline
from alliance.outcomes.safety import crisis_resources_for
from alliance.people.models import CareEpisode, EpisodeStatus, Role
from alliance.safetyplan import selectors
from alliance.safetyplan.forms import SafetyPlanForm
from alliance.safetyplan.models import SafetyPlan
from alliance.safetyplan.services import SafetyPlanError, StalePlan, safety_plan_save
from alliance.safetyplan.services import safety_plan_review as review_save

NO_EPISODE = gettext_lazy(
    "Your safety plan opens while you're in therapy here. If that's a surprise, please tell "
    "your clinic."
)
LOST_VERSION = gettext_lazy(
    "This form lost track of which version of the plan it was opened on, so nothing was saved. "
    "Your text is still below: look over the plan, then save again."
)


def _plan_context(episode: CareEpisode | None, plan: SafetyPlan | None) -> dict[str, Any]:
    return {
        "episode": episode,
        "therapist": episode.therapist if episode is not None else None,
        "view": selectors.plan_view(plan) if plan is not None else None,
        "can_edit": episode is not None and episode.status == EpisodeStatus.ACTIVE,
    }


@require_GET
@keep_offline  # the copy on the phone for offline reading (alliance/offline)
@access.role_required(Role.CLIENT)
def my_plan_view(request: AuthedRequest) -> HttpResponse:
    episode = access.client_plan_episode(request.user)
    plan = access.safety_plan_of(request.user, episode) if episode is not None else None
    context = _plan_context(episode, plan)
    context.update(
        no_episode=NO_EPISODE if episode is None else "",
        # The crisis lines follow the plan, and stay on the copy kept for offline reading.
        crisis_resources=crisis_resources_for(episode.clinic if episode else request.user.clinic),
    )
    return render(request, "safetyplan/my_plan.html", context)


def _edit(
    request: AuthedRequest,
    *,
    episode: CareEpisode,
    plan: SafetyPlan | None,
    done_url: str,
    template: str,
) -> HttpResponse:
    """The plan's form: a save adds a version; a stale form keeps every word typed (409)."""
    current = selectors.plan_view(plan) if plan is not None else None
    number = current.current.number if current is not None else 0
    context: dict[str, Any] = {
        "episode": episode,
        "client": episode.client,
        "therapist": episode.therapist,
        "view": current,
        "can_edit": episode.status == EpisodeStatus.ACTIVE,
        "done_url": done_url,
    }
    if request.method == "GET":
        initial = {"version": number, **(current.current.texts() if current else {})}
        return render(request, template, {**context, "form": SafetyPlanForm(initial=initial)})
    form = SafetyPlanForm(request.POST)
    status = 400
    if form.is_valid() and context["can_edit"]:
        try:
            saved = safety_plan_save(
                episode=episode,
                actor=request.user,
                texts=form.texts(),
                base_version=form.cleaned_data["version"],
            )
        except StalePlan as error:
            # What they typed stays in the form; the plan as it is now is shown beside it, and
            # the form now names the newest version, so saving again is a deliberate choice.
            form = SafetyPlanForm({**request.POST.dict(), "version": number})
            form.add_error(None, str(error))
            context["stale"] = True
            status = 409
        except SafetyPlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your safety plan is saved.")
                if saved
                else _("Nothing changed, so nothing was saved."),
            )
            return redirect(done_url)
    elif form.is_valid():
        form.add_error(None, _("This course of therapy has ended, so the plan can't be changed."))
    elif "version" in form.errors:
        # Only a damaged or hand-made form lacks it: keep the words, name the newest version.
        form = SafetyPlanForm({**request.POST.dict(), "version": number})
        form.add_error(None, LOST_VERSION)
    return render(request, template, {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLIENT)
def my_plan_edit_view(request: AuthedRequest) -> HttpResponse:
    episode = access.client_plan_episode(request.user)
    if episode is None:
        context = {
            **_plan_context(None, None),
            "no_episode": NO_EPISODE,
            "crisis_resources": crisis_resources_for(request.user.clinic),
        }
        status = 200 if request.method == "GET" else 400
        return render(request, "safetyplan/my_plan.html", context, status=status)
    return _edit(
        request,
        episode=episode,
        plan=access.safety_plan_of(request.user, episode),
        done_url=reverse("my_safety_plan"),
        template="safetyplan/edit.html",
    )


@require_GET
@access.role_required(Role.THERAPIST)
def plan_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    plan = access.safety_plan_of(request.user, episode)
    context = _plan_context(episode, plan)
    context.update(
        client=episode.client,
        history=selectors.plan_history(plan) if plan is not None else [],
    )
    return render(request, "safetyplan/plan.html", context)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def plan_edit_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    return _edit(
        request,
        episode=episode,
        plan=access.safety_plan_of(request.user, episode),
        done_url=reverse("safety_plan", args=[episode.client_id]),
        template="safetyplan/edit.html",
    )


@require_POST
@access.role_required(Role.THERAPIST)
def plan_review_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    plan = access.safety_plan_of(request.user, episode)
    if plan is None:
        raise Http404
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(
            request, _("The review was not saved: please reload the page and try again.")
        )
        return redirect("safety_plan", client_id=episode.client_id)
    try:
        review_save(plan=plan, therapist=request.user, version=version)
    except SafetyPlanError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Marked as gone through together today."))
    return redirect("safety_plan", client_id=episode.client_id)
