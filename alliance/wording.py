"""The core's messages in the reader's language (see ``alliance.core.wording``)."""

from __future__ import annotations

from django.utils.translation import gettext, ngettext

from alliance.core.wording import Wording


def in_language(message: str) -> str:
    """``message`` translated: a :class:`Wording` through its template, other text as it is.

    Text with no entry in the catalogue (a person's own words, say) comes back unchanged.
    """
    if isinstance(message, Wording):
        if message.plural:
            template = ngettext(message.template, message.plural, message.plural_count)
        else:
            template = gettext(message.template)
        return template % dict(message.values)
    return gettext(message) if message else message
