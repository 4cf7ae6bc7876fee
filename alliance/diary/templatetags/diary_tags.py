"""Template tags for pages outside this app: the diary card's entry on the client's home."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from alliance.diary.selectors import HomeEntry, home_entry
from alliance.people.models import Role

register = template.Library()


@register.simple_tag(takes_context=True)
def diary_today(context: dict[str, Any]) -> HomeEntry | None:
    """Today's card for the logged-in client in care (None for anyone else)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "role", None) != Role.CLIENT:
        return None
    return home_entry(user, now=timezone.now())
