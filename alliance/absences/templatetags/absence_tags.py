"""Template tags for pages outside this app: the absence on the client's home page and the
"Covering for" block on the cover's caseload."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from alliance import access
from alliance.absences.models import Absence
from alliance.absences.selectors import CoverBlock, client_absences, cover_caseload
from alliance.people.models import Role

register = template.Library()


def _user(context: dict[str, Any], role: str) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "role", None) != role:
        return None
    return user


@register.simple_tag(takes_context=True)
def therapist_away(context: dict[str, Any]) -> list[Absence]:
    """The logged-in client's therapist's absences to show now (empty for anyone else)."""
    client = _user(context, Role.CLIENT)
    if client is None:
        return []
    # The episodes the page's other parts read too (once per request).
    return client_absences(client, now=timezone.now(), episodes=access.client_episodes(client))


@register.simple_tag(takes_context=True)
def covering(context: dict[str, Any]) -> list[CoverBlock]:
    """The logged-in therapist's cover blocks for today; the clients they list are noted in
    the audit log as listed by the cover."""
    therapist = _user(context, Role.THERAPIST)
    if therapist is None:
        return []
    blocks = cover_caseload(therapist, now=timezone.now())
    access.note_covered_listed(therapist, [e for block in blocks for e in block.episodes])
    return blocks
