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
from alliance.checkins.services import checkins_mark_read
from alliance.core import taxonomy
from alliance.people.models import Role
from alliance.ruptures import selectors, services
from alliance.ruptures.forms import CloseForm, FollowUpForm, RepairForm
from alliance.ruptures.models import Alert, AlertCategory, AlertState
from alliance.ruptures.wording import questionnaire_name
from alliance.safetyplan.selectors import plan_view_of


def _alert_page(
    request: AuthedRequest,
    alert_id: str,
    *,
    repair_form: RepairForm | None = None,
    close_form: CloseForm | None = None,
    followup_form: FollowUpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    now = timezone.now()
    if alert.checkin is not None and checkins_mark_read(
        episode_id=alert.episode_id, reader=request.user, now=now, checkin_ids=[alert.checkin.id]
    ):
        # This page shows the check-in's answers: by the one rule for "read", the client now
        # sees "Your therapist has read this" on it (docs/checkin.md).
        alert.checkin.therapist_read_at = now
    is_risk = alert.category == AlertCategory.RISK
    is_dropout = alert.category == AlertCategory.DROPOUT_RISK
    repairs = [] if is_risk or is_dropout else selectors.alert_repairs(alert)
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
    withdrawal = {code for code, _label in taxonomy.WITHDRAWAL_MARKERS}
    boxes = list(repair_form["markers"])
    marker_groups = [
        (_("Withdrawal markers"), [b for b in boxes if b.data["value"] in withdrawal]),
        (_("Confrontation markers"), [b for b in boxes if b.data["value"] not in withdrawal]),
    ]
    zone = request.user.timezone
    source = _source(alert)
    return render(
        request,
        "ruptures/alert_detail.html",
        {
            "alert": alert,
            "client": alert.episode.client,
            "checkin": alert.checkin,
            "is_risk": is_risk,
            "is_dropout": is_dropout,
            "source": source,
            "signal_lines": alert.signal_lines,
            "repairs": repairs,
            "current_repair": current,
            "followups": selectors.alert_followups(alert) if is_risk else [],
            "followup_form": followup_form or FollowUpForm.starting_now(zone=zone, now=now),
            "events": selectors.alert_events(alert),
            "repair_form": repair_form,
            "marker_groups": marker_groups,
            "close_form": close_form or CloseForm(reasons=services.close_reasons_for(alert)),
            "can_acknowledge": alert.state == AlertState.OPEN,
            "can_record": not is_risk
            and not is_dropout
            and alert.state in (AlertState.ACKNOWLEDGED, AlertState.REPAIR_RECORDED),
            "can_follow_up": is_risk and alert.is_active,
            "is_active": alert.is_active,
            # A risk alert says whether the client has a safety plan, and when it was last
            # gone through together (docs/safety-plan.md).
            "safety_plan_view": plan_view_of(access.safety_plan_of(request.user, alert.episode))
            if is_risk
            else None,
        },
        status=status,
    )


def _source(alert: Alert) -> dict[str, str] | None:
    """The questionnaire an alert came from, by its name (never its key), with the answers'
    page when there is one."""
    for signal in alert.signals:
        detail = signal.get("detail") or {}
        instrument_id = detail.get("instrument_id")
        if instrument_id:
            response_id = detail.get("response_id")
            return {
                "name": questionnaire_name(
                    str(instrument_id), str(detail.get("instrument_title", ""))
                ),
                "url": reverse("response_detail", args=[response_id]) if response_id else "",
            }
    return None


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
        messages.success(request, _("Acknowledged."))
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
                _(
                    "Repair recorded. The alert closes when the client's next "
                    "check-in says it feels resolved."
                ),
            )
            return redirect("alert_detail", alert_id=alert.id)
    return _alert_page(request, alert_id, repair_form=form, status=400)


@require_POST
@access.role_required(Role.THERAPIST)
def alert_close_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    form = CloseForm(request.POST, reasons=services.close_reasons_for(alert))
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
            messages.success(request, _("Alert closed."))
            return redirect("alert_detail", alert_id=alert.id)
    return _alert_page(request, alert_id, close_form=form, status=400)


@require_POST
@access.role_required(Role.THERAPIST)
def alert_followup_view(request: AuthedRequest, alert_id: str) -> HttpResponse:
    alert = access.get_alert(request.user, alert_id)
    form = FollowUpForm(request.POST, zone=request.user.timezone)
    if form.is_valid():
        try:
            record = services.alert_record_followup(
                alert=alert,
                actor=request.user,
                followup=services.FollowUpInput(
                    actions=form.cleaned_data["actions"],
                    done_at=form.cleaned_data["done_at"],
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                ),
            )
        except services.AlertError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Follow-up recorded.")
                if record.settles
                else _(
                    "Follow-up recorded. The risk answer stays on your list to follow up "
                    "until a follow-up reaches the client."
                ),
            )
            return redirect("alert_detail", alert_id=alert.id)
    return _alert_page(request, alert_id, followup_form=form, status=400)
