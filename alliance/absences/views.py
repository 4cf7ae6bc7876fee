from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access
from alliance.absences import selectors, services
from alliance.absences.forms import AbsenceForm
from alliance.access import AuthedRequest
from alliance.people.models import Role


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def absences_view(request: AuthedRequest) -> HttpResponse:
    form = AbsenceForm(request.POST or None, therapist=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                absence = services.absence_create(therapist=request.user, data=form.absence_input())
            except services.AbsenceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Absence recorded. Your clients will be told."))
                return redirect("absence_detail", absence_id=absence.id)
        status = 400
    now = timezone.now()
    context = {
        "form": form,
        "absences": selectors.therapist_absences(request.user, now=now),
        "today": selectors.clinic_today(request.user.clinic, now),
    }
    return render(request, "absences/absences.html", context, status=status)


@require_GET
@access.role_required(Role.THERAPIST)
def absence_detail_view(request: AuthedRequest, absence_id: str) -> HttpResponse:
    absence = access.get_absence(request.user, absence_id)
    columns, rows = selectors.notices_table(absence)
    access.note_listed(request.user, selectors.told_episodes(absence))
    context = {
        "absence": absence,
        "columns": columns,
        "rows": [(row, [row.told.get(kind) for kind, _label in columns]) for row in rows],
        "cancelled_sessions": selectors.cancelled_sessions(absence),
        "notice_days": selectors.notice_days(absence),
    }
    return render(request, "absences/absence_detail.html", context)


@require_POST
@access.role_required(Role.THERAPIST)
def absence_cancel_view(request: AuthedRequest, absence_id: str) -> HttpResponse:
    absence = access.get_absence(request.user, absence_id)
    services.absence_cancel(absence=absence, actor=request.user)
    messages.success(
        request, _("Absence cancelled. No further notice goes out, and cover access has ended.")
    )
    return redirect("absence_detail", absence_id=absence.id)


@require_GET
@access.role_required(Role.THERAPIST)
def cover_summary_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_summary_episode(request.user, client_id)
    summary = selectors.cover_summary(episode)
    access.note_summary_read(request.user, episode, summary)
    context = {
        "episode": episode,
        "client": episode.client,
        "summary": summary,
        "is_cover": episode.therapist_id != request.user.id,
        "absence": selectors.absence_covered(request.user, episode, now=timezone.now()),
    }
    return render(request, "absences/cover_summary.html", context)
