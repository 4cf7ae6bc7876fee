"""The core's messages in the reader's language (see ``alliance.core.wording``)."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from alliance.core.wording import Grouped, Wording


def in_language(message: str) -> str:
    """``message`` translated: a :class:`Wording` through its template, other text as it is.

    Text with no entry in the catalogue (a person's own words, say) comes back unchanged.
    """
    if isinstance(message, Wording):
        if message.plural:
            template = ngettext(message.template, message.plural, message.plural_count)
        else:
            template = gettext(message.template)
        values = {
            key: number_format(int(value), force_grouping=True)
            if isinstance(value, Grouped)
            else value
            for key, value in message.values.items()
        }
        return template % values
    return gettext(message) if message else message
