from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.messaging.models import MessageState
from alliance.messaging.selectors import outbox_summary
from alliance.messaging.services import MessagingError, message_resend
from alliance.people.models import Role


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
