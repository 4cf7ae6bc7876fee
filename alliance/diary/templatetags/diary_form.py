"""The diary card form's 0–5 scales, built in Python.

A card has a dozen of them, six options each; rendered through ``{% include %}`` they were most
of the card page's template time. Every value goes through ``format_html``, so it is escaped as
in a template.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CHECKED = mark_safe(" checked")  # a constant, no user text
_OPTION = (
    '\n  <label class="option"><input type="radio" name="{}" value="{}"{}> <span>{}</span></label>'
)


@register.simple_tag
def scale(name: str, value: str, points: Iterable[str]) -> SafeString:
    """One rating as radio buttons: ``name``, the chosen ``value`` ("" for none), the ``points``."""
    options = format_html_join(
        "", _OPTION, ((name, n, _CHECKED if value == n else "", n) for n in points)
    )
    return format_html('<div class="scale">{}\n</div>', options)
