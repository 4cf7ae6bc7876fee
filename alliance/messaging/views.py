from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.messaging.forms import PreferencesForm
from alliance.messaging.models import MessageState, preferences_for
from alliance.messaging.reminders import PAUSE_DAYS, user_for_pause_token
from alliance.messaging.selectors import outbox_summary
from alliance.messaging.services import (
    MessagingError,
    message_resend,
    preferences_save,
    reminders_pause,
)
from alliance.people.models import Role

STAFF_AND_CLIENTS = (Role.CLIENT, Role.THERAPIST)


@require_GET
@access.role_required(Role.CLINIC_ADMIN)
def clinic_messages_view(request: AuthedRequest) -> HttpResponse:
    summary = outbox_summary(access.messages_for(request.user))
    return render(
        request,
        "messaging/clinic_messages.html",
        {"summary": summary, "states": MessageState},
    )


@require_POST
@access.role_required(Role.CLINIC_ADMIN)
def message_resend_view(request: AuthedRequest, message_id: str) -> HttpResponse:
    message = access.get_message(request.user, message_id)
    try:
        message_resend(admin=request.user, message=message)
    except MessagingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The message to %(address)s is back in the queue.") % {"address": message.to_address},
        )
    return redirect("clinic_messages")


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF_AND_CLIENTS)
def message_settings_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    prefs = preferences_for(user)
    for_client = user.role == Role.CLIENT
    form = PreferencesForm(request.POST or None, instance=prefs, for_client=for_client)
    if request.method == "POST" and form.is_valid():
        preferences_save(
            user=user, form_data=form.cleaned_data, pause_days=form.cleaned_data.get("pause_days")
        )
        messages.success(request, _("Your settings are saved."))
        return redirect("message_settings")
    return render(
        request,
        "messaging/settings.html",
        {"form": form, "prefs": prefs, "for_client": for_client, "now": timezone.now()},
    )


@csrf_exempt  # the signed token is the proof; mail clients' one-click POST carries no cookie
@require_http_methods(["GET", "POST"])
def reminders_pause_view(request: HttpRequest, token: str) -> HttpResponse:
    user = user_for_pause_token(token)
    if user is None:
        return render(request, "messaging/pause_invalid.html", status=410)
    if request.method == "POST":
        until = reminders_pause(user=user, days=PAUSE_DAYS)
        return render(request, "messaging/paused.html", {"until": until, "person": user})
    return render(request, "messaging/pause_confirm.html", {"person": user, "days": PAUSE_DAYS})
