from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.core.supervision import MIN_CASES
from alliance.people.models import Role
from alliance.supervision import selectors, services
from alliance.supervision.selectors import NO_CONTACT_DAYS, TREND_WEEKS


def _back() -> str:
    """The supervision section of the clinic's people page, where the admin's forms are."""
    return reverse("clinic_people") + "#supervision-h"


@require_GET
@access.role_required(Role.SUPERVISOR)
def supervision_view(request: AuthedRequest) -> HttpResponse:
    """Every therapist assigned to this supervisor, their figures, and fair comparisons."""
    now = timezone.now()
    figures = [
        selectors.therapist_figures(t, now=now)
        for t in access.supervised_therapists_for(request.user)
    ]
    for f in figures:
        access.note_supervision_read(request.user, f.therapist, f.episode_ids, f.client_ids)
    context = {
        "figures": figures,
        "comparisons": selectors.comparisons(figures),
        "min_cases": MIN_CASES,
        "trend_weeks": TREND_WEEKS,
        "no_contact_days": NO_CONTACT_DAYS,
    }
    return render(request, "supervision/overview.html", context)


@require_GET
@access.role_required(Role.SUPERVISOR)
def supervision_therapist_view(request: AuthedRequest, therapist_id: str) -> HttpResponse:
    """One therapist's figures and their clients, unnamed unless the clinic shows names."""
    therapist = access.get_supervised_therapist(request.user, therapist_id)
    figures = selectors.therapist_figures(therapist, now=timezone.now())
    access.note_supervision_read(request.user, therapist, figures.episode_ids, figures.client_ids)
    names = selectors.shows_client_names(request.user.clinic_id)
    context = {
        "f": figures,
        "clients": selectors.client_rows(figures, names=names),
        "names": names,
        "min_cases": MIN_CASES,
        "trend_weeks": TREND_WEEKS,
        "no_contact_days": NO_CONTACT_DAYS,
    }
    return render(request, "supervision/therapist.html", context)


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def supervisor_assign_view(request: AuthedRequest) -> HttpResponse:
    supervisor_id, therapist_id = request.POST.get("supervisor"), request.POST.get("therapist")
    if not supervisor_id or not therapist_id:
        messages.error(request, _("Please choose both a supervisor and a therapist."))
        return redirect(_back())
    supervisor = access.get_clinic_person(request.user, supervisor_id, Role.SUPERVISOR)
    therapist = access.get_clinic_person(request.user, therapist_id, Role.THERAPIST)
    try:
        _assignment, created = services.supervisor_assign(
            admin=request.user, supervisor=supervisor, therapist=therapist
        )
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        words = (
            _("%(supervisor)s now supervises %(therapist)s.")
            if created
            else _("%(supervisor)s already supervises %(therapist)s.")
        )
        messages.success(
            request, words % {"supervisor": supervisor.full_name, "therapist": therapist.full_name}
        )
    return redirect(_back())


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def supervisor_unassign_view(request: AuthedRequest, assignment_id: str) -> HttpResponse:
    assignment = access.get_supervisor_assignment(request.user, assignment_id)
    try:
        services.supervisor_unassign(admin=request.user, assignment=assignment)
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The supervision assignment has ended."))
    return redirect(_back())


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def supervision_names_view(request: AuthedRequest) -> HttpResponse:
    show = request.POST.get("show_client_names") == "on"
    services.supervision_names_set(admin=request.user, show=show)
    messages.success(
        request,
        _("Supervisors now see client names.")
        if show
        else _("Supervisors now see clients as Client A, Client B and so on."),
    )
    return redirect(_back())
