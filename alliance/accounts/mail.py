"""Mail that Alliance sends: through Django's mail backend (the console in the demo).

Every message is plain text, rendered from ``accounts/mail/<name>.txt`` (the body) and
``accounts/mail/<name>_subject.txt`` (one line). A message says what happened and what to do,
never anything clinical: mail can be read by whoever shares the inbox.

A message is written in its recipient's language: the one their account chose, or, for someone
who has not chosen yet (an invitation), the language of the person whose action sends it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation


def site_url(request: HttpRequest | None, path: str) -> str:
    """An absolute link for a message; without a request (a command), the path alone."""
    return request.build_absolute_uri(path) if request is not None else path


def send_notice(*, to: str, name: str, context: dict[str, Any], language: str = "") -> None:
    """Send one message; ``language`` is the recipient's (empty: the language active now)."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"accounts/mail/{name}_subject.txt", context)
        body = render_to_string(f"accounts/mail/{name}.txt", context)
    send_mail(
        " ".join(subject.split()),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        fail_silently=False,
    )
