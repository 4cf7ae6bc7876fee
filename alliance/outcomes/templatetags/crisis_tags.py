"""The crisis lines of the signed-in person's clinic, for any template that shows a number.

No template writes a crisis number itself: it asks ``{% crisis_lines as crisis %}`` and shows
``crisis.emergency`` and ``crisis.helplines`` (``alliance.core.safety.CRISIS_LINES``).
"""

from __future__ import annotations

import re
from typing import Any

from django import template

from alliance.core.safety import CrisisLines
from alliance.outcomes.safety import crisis_lines_for, crisis_lines_of_clinic

register = template.Library()


@register.simple_tag(takes_context=True)
def crisis_lines(context: Any) -> CrisisLines:
    """The region's lines of the person's clinic; the default region's for anyone signed out.

    A page about one clinic for people who have no account (a public reach-out page) names it
    as ``crisis_clinic``: its region's lines, whoever reads the page.

    Every page's footer asks, so the region is read by the clinic's id, at most once a minute
    (``crisis_lines_of_clinic``), not by loading the clinic on every page.
    """
    clinic = context.get("crisis_clinic")
    if clinic is not None:
        return crisis_lines_for(clinic)
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return crisis_lines_of_clinic(None)
    return crisis_lines_of_clinic(user.clinic_id)


@register.filter
def tel_href(number: str) -> str:
    """A ``tel:`` link for a phone number as people write it: ``+1 (555) 010-0100`` dials
    ``tel:+15550100100``; an extension (``x12``, ``ext. 12``) is left out."""
    main = re.split(r"(?i)\s*(?:x|ext\.?)\s*\d+\s*$", number.strip())[0]
    digits = re.sub(r"\D", "", main)
    return f"tel:{'+' if main.startswith('+') else ''}{digits}"
