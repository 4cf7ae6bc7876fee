from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.checkins.selectors import client_timeline
from alliance.checkins.services import checkins_mark_read
from alliance.messaging.selectors import latest_reminders
from alliance.outcomes.selectors import outcome_overview
from alliance.people import services
from alliance.people.forms import (
    ClientAddForm,
    ClinicSettingsForm,
    DeactivateForm,
    EpisodeEndForm,
    LegalHoldForm,
    SessionEditForm,
    SessionScheduleForm,
    SessionStatusForm,
    SetPasswordForm,
    StaffAddForm,
)
from alliance.people.models import CareEpisode, Role, Session, SessionStatus
from alliance.people.selectors import (
    QUICK_STATUSES,
    caseload,
    clinic_people,
    invitations_waiting,
    not_heard_from,
    series_from,
    sessions_today_and_yesterday,
)
from alliance.reachout.selectors import waiting_count
from alliance.safetyplan.selectors import plan_view_of
from alliance.supervision.selectors import clinic_supervision


def _site(request: HttpRequest) -> str:
    """This site's address, for links in mail (``https://alliance.example``)."""
    return request.build_absolute_uri("/").rstrip("/")


def _invite_sent(request: HttpRequest, email: str, back: str, resent: bool = False) -> HttpResponse:
    # The same page whether or not the address already had an account (see client_invite).
    context = {
        "email": email,
        "resent": resent,
        "invite_days": settings.ALLIANCE_INVITE_DAYS,
        "back_url": reverse(back),
    }
    return render(request, "people/invite_sent.html", context)


@require_GET
@access.role_required(Role.THERAPIST)
def caseload_view(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    rows = caseload(request.user, now=now)
    access.note_listed(request.user, [row.episode for row in rows])
    reminders = latest_reminders(
        [row.episode.client_id for row in rows], since=now - timedelta(days=7)
    )
    rows = [replace(row, last_reminder=reminders.get(row.episode.client_id)) for row in rows]
    waiting = invitations_waiting(request.user, now=now)
    access.note_listed(request.user, [invite.user for invite in waiting if invite.user is not None])
    return render(
        request,
        "people/caseload.html",
        {
            "rows": rows,
            "quiet": not_heard_from(rows),
            "waiting": waiting,
            "recent_sessions": sessions_today_and_yesterday(request.user, now=now),
            "quick_statuses": QUICK_STATUSES,
            "reach_outs_waiting": waiting_count(access.reach_outs_for(request.user)),
        },
    )


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def client_add_view(request: AuthedRequest) -> HttpResponse:
    form = ClientAddForm(request.POST or None, initial={"timezone": request.user.clinic.timezone})
    if request.method == "POST" and form.is_valid():
        try:
            email = services.client_invite(
                therapist=request.user,
                full_name=form.cleaned_data["full_name"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                timezone_name=form.cleaned_data["timezone"],
                started_on=form.cleaned_data["started_on"],
                site=_site(request),
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            return _invite_sent(request, email, back="caseload")
    return render(request, "people/client_add.html", {"form": form})


@require_GET
@access.role_required(Role.THERAPIST)
def client_detail_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    now = timezone.now()
    context = client_timeline(episode, now=now)
    sessions = [row["session"] for row in context["session_rows"]]
    context.update(outcome_overview(episode, now=now, sessions=sessions))
    access.note_outcome_responses_listed(
        request.user,
        episode,
        context["outcome_responses"],
    )
    context.update(_session_history(request, context["session_rows"], now=now))
    # The check-ins whose answers and words this page of sessions shows are read: the client
    # sees a receipt for those, not for older ones on other pages (docs/checkin.md).
    checkins_mark_read(
        episode_id=episode.id,
        reader=request.user,
        now=now,
        checkin_ids=[row["checkin"].id for row in context["session_rows"] if row["checkin"]],
    )
    context["safety_plan_view"] = plan_view_of(access.safety_plan_of(request.user, episode))
    context["schedule_form"] = SessionScheduleForm(**_clock(request, episode))
    context["end_form"] = EpisodeEndForm()
    return render(request, "people/client_detail.html", context)


SESSIONS_PER_PAGE = 10


def _session_history(
    request: AuthedRequest, rows: list[dict[str, Any]], *, now: datetime
) -> dict[str, Any]:
    """The next session, and the session rows (newest first) ten a page, ``?sessions_page=N``.

    A page number that is not a number, or past the end, shows the nearest page.
    """
    page = Paginator(rows, SESSIONS_PER_PAGE).get_page(request.GET.get("sessions_page"))
    upcoming = [
        row["session"]
        for row in rows
        if row["session"].status == SessionStatus.SCHEDULED and row["session"].scheduled_at >= now
    ]
    return {
        "session_rows": page.object_list,
        "session_page": page,
        "next_session": min(upcoming, key=lambda s: s.scheduled_at, default=None),
    }


def _clock(request: AuthedRequest, episode: CareEpisode) -> dict[str, Any]:
    """What a schedule or edit form needs to read a date and time in the therapist's zone."""
    zone = request.user.zone
    return {
        "zone": zone,
        "started_on": episode.started_on,
        "today": timezone.localdate(timezone.now(), zone),
    }


def _client_page(episode: CareEpisode, anchor: str = "sessions") -> str:
    return f"{reverse('client_detail', args=[episode.client_id])}#{anchor}"


def _when(session: Session) -> str:
    return dateformat.format(timezone.localtime(session.scheduled_at), "D j M Y, H:i")


def _twice_note(chosen: list[datetime]) -> str:
    if not chosen:
        return ""
    local = [timezone.localtime(t) for t in chosen]
    times = ", ".join(f"{dateformat.format(t, 'j M, H:i')} {t.tzname()}" for t in local)
    return " " + _("Where the time happens twice, the one chosen is %(times)s.") % {"times": times}


def _scheduled_message(sessions: list[Session], form: SessionScheduleForm) -> str:
    if len(sessions) == 1:
        [session] = sessions
        if session.status == SessionStatus.ATTENDED and session.checkin_closes_at:
            message = _(
                "Session %(number)s (%(when)s) is recorded as attended. The client's check-in "
                "is open until %(closes)s."
            ) % {
                "number": session.number,
                "when": _when(session),
                "closes": dateformat.format(
                    timezone.localtime(session.checkin_closes_at), "D j M, H:i"
                ),
            }
        else:
            message = _("Session %(number)s is scheduled for %(when)s.") % {
                "number": session.number,
                "when": _when(session),
            }
    else:
        message = (
            _("%(n)s weekly sessions are scheduled, %(first)s to %(last)s.")
            if form.every_weeks == 1
            else _("%(n)s sessions every two weeks are scheduled, %(first)s to %(last)s.")
        ) % {"n": len(sessions), "first": _when(sessions[0]), "last": _when(sessions[-1])}
    return message + _twice_note(form.chosen_twice)


@require_POST
@access.role_required(Role.THERAPIST)
def session_schedule_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    form = SessionScheduleForm(request.POST, **_clock(request, episode))
    if form.is_valid():
        try:
            sessions = services.sessions_schedule(
                episode=episode,
                times=form.times,
                actor=request.user,
                attended=form.cleaned_data["attended"],
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _scheduled_message(sessions, form))
            return redirect(_client_page(episode, f"session-{sessions[0].id}"))
    # Everything typed stays on the page with the reason, and the choice it needs if any.
    return render(
        request,
        "people/session_schedule.html",
        {"form": form, "episode": episode, "client": episode.client},
        status=400,
    )


@require_http_methods(["GET", "POST"])
@access.role_required(Role.THERAPIST)
def session_edit_view(request: AuthedRequest, session_id: str) -> HttpResponse:
    session = access.get_session_for_therapist(request.user, session_id)
    episode = session.episode
    form = SessionEditForm(
        request.POST if request.method == "POST" else None,
        session=session,
        following=series_from(session),
        **_clock(request, episode),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["action"] == "cancel":
                done = services.sessions_cancel(sessions=form.chosen(), actor=request.user)
                message = ngettext(
                    "%(n)s session is cancelled.", "%(n)s sessions are cancelled.", len(done)
                ) % {"n": len(done)}
            else:
                done = services.sessions_move(moves=form.moves, actor=request.user)
                message = ngettext(
                    "Session moved to %(when)s.",
                    "%(n)s sessions moved; the first is now %(when)s.",
                    len(done),
                ) % {"n": len(done), "when": _when(done[0])}
                message += _twice_note(form.chosen_twice)
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect(_client_page(episode, f"session-{session.id}"))
    return render(
        request,
        "people/session_edit.html",
        {"form": form, "session": session, "episode": episode, "client": episode.client},
        status=400 if form.is_bound else 200,
    )


@require_POST
@access.role_required(Role.THERAPIST)
def session_status_view(request: AuthedRequest, session_id: str) -> HttpResponse:
    session = access.get_session_for_therapist(request.user, session_id)
    form = SessionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose what happened in this session."))
    else:
        try:
            session = services.session_set_status(
                session=session,
                status=form.cleaned_data["status"],
                actor=request.user,
            )
        except services.PeopleError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Session %(number)s with %(client)s (%(when)s) is marked %(status)s.")
                % {
                    "number": session.number,
                    "client": session.episode.client.full_name,
                    "when": _when(session),
                    "status": session.get_status_display().lower(),
                },
            )
    # Back to where the button was pressed, at the same session.
    if form.is_valid() and form.cleaned_data["return_to"] == "caseload":
        return redirect(f"{reverse('caseload')}#today")
    return redirect(_client_page(session.episode, f"session-{session.id}"))


@require_POST
@access.role_required(Role.THERAPIST, Role.CLINIC_ADMIN)
def invite_resend_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access.get_client_for_invite(request.user, person_id)
    if person.has_usable_password():
        messages.info(request, _("%(person)s has already set a password.") % {"person": person})
        return redirect("home")
    services.invite_send(user=person, created_by=request.user, site=_site(request), resent=True)
    back = "clinic_people" if request.user.role == Role.CLINIC_ADMIN else "caseload"
    return _invite_sent(request, person.email, back=back, resent=True)


@require_POST
@access.role_required(Role.THERAPIST)
def invitation_resend_view(request: AuthedRequest, invite_id: str) -> HttpResponse:
    """From the caseload's invitations waiting: the same answer for either kind (see Invite)."""
    invite = access.get_waiting_invite(request.user, invite_id)
    try:
        email = services.invitation_resend(invite=invite, actor=request.user, site=_site(request))
    except services.PeopleError as error:
        messages.error(request, str(error))
        return redirect("caseload")
    return _invite_sent(request, email, back="caseload", resent=True)


@require_POST
@access.role_required(Role.THERAPIST)
def invitation_withdraw_view(request: AuthedRequest, invite_id: str) -> HttpResponse:
    invite = access.get_waiting_invite(request.user, invite_id)
    try:
        services.invitation_withdraw(invite=invite, actor=request.user)
    except services.PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is withdrawn.") % {"email": invite.invitee_email},
        )
    return redirect("caseload")


@require_http_methods(["GET", "POST"])
def invite_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = services.invite_lookup(token=token)
    except services.InviteError as error:
        return render(request, "people/invite_invalid.html", {"error": str(error)}, status=410)
    invitee = invite.user
    if invitee is None:  # invite_lookup returns only invites with an account
        raise Http404
    signed_in_as = request.user if request.user.is_authenticated else None
    if signed_in_as is not None and signed_in_as.pk != invite.user_id:
        # Accepting would silently switch accounts on a shared device; ask to log out first.
        return render(
            request,
            "people/invite_accept.html",
            {"person": invitee, "signed_in_as": signed_in_as},
        )
    form = SetPasswordForm(
        request.POST or None,
        initial={"display_name": invitee.display_name},
        person_role=invitee.role,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invite_accept(
                token=token,
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("password1", message)
        except services.InviteError as error:
            return render(request, "people/invite_invalid.html", {"error": str(error)}, status=410)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s. Your password is set.") % {"name": user.display_name},
            )
            return redirect("home")
    return render(request, "people/invite_accept.html", {"form": form, "person": invitee})


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
def clinic_people_view(request: AuthedRequest) -> HttpResponse:
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email = services.staff_invite(
                admin=request.user,
                full_name=form.cleaned_data["full_name"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site=_site(request),
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            return _invite_sent(request, email, back="clinic_people")
    people = clinic_people(request.user, now=timezone.now())
    access.note_listed(request.user, people)
    context = {
        "people": people,
        "form": form,
        "supervision": clinic_supervision(request.user.clinic_id),
    }
    return render(request, "people/clinic_people.html", context)


@require_POST
@access.role_required(Role.THERAPIST, Role.CLINIC_ADMIN)
def episode_end_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_episode_to_end(request.user, client_id)
    if not EpisodeEndForm(request.POST).is_valid():
        messages.error(request, _("Please tick the box to confirm ending this course of therapy."))
    else:
        try:
            services.episode_end(episode=episode, actor=request.user)
        except services.PeopleError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Care with %(client)s has ended.") % {"client": episode.client}
            )
    if request.user.role == Role.CLINIC_ADMIN:
        return redirect("clinic_people")
    return redirect("client_detail", client_id=episode.client_id)


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def legal_hold_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access.get_person(request.user, person_id)
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose to place or lift the hold, and give a reason."))
        return redirect("clinic_people")
    try:
        if form.cleaned_data["hold"] == "set":
            services.legal_hold_set(
                client=person,
                admin=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, _("The record of %(person)s is on legal hold.") % {"person": person}
            )
        else:
            services.legal_hold_clear(client=person, admin=request.user)
            messages.success(
                request,
                _("The legal hold on the record of %(person)s is lifted.") % {"person": person},
            )
    except services.PeopleError as error:
        messages.error(request, str(error))
    return redirect("clinic_people")


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
def person_deactivate_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    """A page to confirm first (a ticked box, so it works without JavaScript), then deactivate."""
    person = access.get_person(request.user, person_id)
    form = DeactivateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_deactivate(admin=request.user, person=person)
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(person)s is deactivated and logged out everywhere.") % {"person": person},
            )
            return redirect("clinic_people")
    status = 400 if request.method == "POST" else 200
    context = {"person": person, "form": form}
    return render(request, "people/person_deactivate.html", context, status=status)


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
def clinic_settings_view(request: AuthedRequest) -> HttpResponse:
    clinic = request.user.clinic
    initial = {name: getattr(clinic, name) for name in services.CLINIC_CONTACT_FIELDS}
    form = ClinicSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.clinic_settings_update(admin=request.user, **form.cleaned_data)
        except (services.PeopleError, ValidationError) as error:
            form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The clinic's settings are saved."))
            return redirect("clinic_settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "people/clinic_settings.html", {"form": form}, status=status)


@require_POST
@access.role_required(Role.THERAPIST, Role.CLINIC_ADMIN)
def invite_revoke_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access.get_client_for_invite(request.user, person_id)
    try:
        services.invite_revoke(user=person, revoked_by=request.user)
    except services.PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(person)s's invitation link no longer works.") % {"person": person},
        )
    if request.user.role == Role.CLINIC_ADMIN:
        return redirect("clinic_people")
    return redirect("client_detail", client_id=person.id)


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def person_reactivate_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access.get_person(request.user, person_id)
    try:
        services.person_reactivate(admin=request.user, person=person)
    except services.PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(person)s can log in again.") % {"person": person})
    return redirect("clinic_people")
