"""Checks every free-text input shares: no NUL character, and only valid UTF-8.

A NUL character never comes from typing, and PostgreSQL cannot store one in text; a form that
took it would save on SQLite and fail on PostgreSQL. Django's form ``CharField`` already refuses
it (``ProhibitNullCharactersValidator``); ``refuse_nul`` is the same rule, with our words, for
the inputs that are read without a Django form (the diary card, diary targets, and the check-in
and questionnaire answers in ``alliance.core.instruments``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NUL_MESSAGE = _(
    "This has a hidden character we can't save (it never comes from typing). Please retype it."
)


def has_nul(value: object) -> bool:
    """True when ``value`` (text, or a list of texts) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def refuse_nul(value: object) -> None:
    """A validator: raises ``ValidationError`` when ``value`` holds a NUL character."""
    if has_nul(value):
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")


def nul_errors(values: Mapping[str, object], keys: Iterable[str] | None = None) -> dict[str, str]:
    """{field: message} for every field (of ``keys``, or all) whose value holds a NUL."""
    names = values.keys() if keys is None else keys
    return {key: str(NUL_MESSAGE) for key in names if has_nul(values.get(key))}
