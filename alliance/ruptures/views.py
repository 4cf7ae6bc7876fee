from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.core import taxonomy
from alliance.people.models import Role
from alliance.ruptures import selectors, services
from alliance.ruptures.forms import CloseForm, RepairForm
from alliance.ruptures.models import AlertState


def _alert_page(
    request: HttpRequest,
    alert_id: str,
    *,
    repair_form: RepairForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)  # type: ignore[arg-type]
    repairs = selectors.alert_repairs(alert)
    current = repairs[0] if repairs else None
    if repair_form is None:
        initial = {}
        if current is not None:
            initial = {
                "rupture_type": current.rupture_type,
                "markers": current.markers,
                "strategies": current.strategies,
                "notes": current.notes,
                "next_session_plan": current.next_session_plan,
            }
        repair_form = RepairForm(initial=initial)
    withdrawal = {code for code, _ in taxonomy.WITHDRAWAL_MARKERS}
    boxes = list(repair_form["markers"])
    marker_groups = [
        ("Withdrawal markers", [b for b in boxes if b.data["value"] in withdrawal]),
        ("Confrontation markers", [b for b in boxes if b.data["value"] not in withdrawal]),
    ]
    return render(
        request,
        "ruptures/alert_detail.html",
        {
            "alert": alert,
            "client": alert.episode.client,
            "checkin": alert.checkin,
            "repairs": repairs,
            "current_repair": current,
            "events": selectors.alert_events(alert),
            "repair_form": repair_form,
            "marker_groups": marker_groups,
            "close_form": close_form or CloseForm(),
            "can_acknowledge": alert.state == AlertState.OPEN,
            "can_record": alert.state in (AlertState.ACKNOWLEDGED, AlertState.REPAIR_RECORDED),
            "is_active": alert.is_active,
        },
        status=status,
    )


@require_GET
@access.role_required(Role.THERAPIST)
def alert_detail_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    return _alert_page(request, alert_id)


@require_POST
@access.role_required(Role.THERAPIST)
def alert_acknowledge_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    try:
        services.alert_acknowledge(alert=alert, actor=request.user)
    except services.AlertError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Acknowledged. The client will see that you have read it.")
    return redirect("alert_detail", alert_id=alert.id)


@require_POST
@access.role_required(Role.THERAPIST)
def alert_repair_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    form = RepairForm(request.POST)
    if form.is_valid():
        try:
            services.alert_record_repair(
                alert=alert,
                actor=request.user,
                repair=services.RepairInput(
                    rupture_type=form.cleaned_data["rupture_type"],
                    markers=form.cleaned_data["markers"],
                    strategies=form.cleaned_data["strategies"],
                    notes=form.cleaned_data["notes"],
                    next_session_plan=form.cleaned_data["next_session_plan"],
                ),
            )
        except services.AlertError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Repair recorded. The alert closes when the client's next "
                "check-in says it feels resolved.",
            )
            return redirect("alert_detail", alert_id=alert.id)
    return _alert_page(request, alert_id, repair_form=form, status=400)


@require_POST
@access.role_required(Role.THERAPIST)
def alert_close_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.alert_close(
                alert=alert,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except services.AlertError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Alert closed.")
            return redirect("alert_detail", alert_id=alert.id)
    return _alert_page(request, alert_id, close_form=form, status=400)
