"""Template tags for pages outside this app: the client's due questionnaires."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from alliance.outcomes.selectors import Questionnaire, due_for_client

register = template.Library()


@register.simple_tag(takes_context=True)
def due_questionnaires(context: dict[str, Any]) -> list[Questionnaire]:
    """The questionnaires the logged-in client can answer now (empty for anyone else)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "role", None) != "client":
        return []
    return due_for_client(user, now=timezone.now())
