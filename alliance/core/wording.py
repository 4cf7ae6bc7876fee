"""Messages for people that a page can say in the reader's language, without Django here.

The core writes its messages in English. A message with numbers in it (``"Please choose a
number from 0 to 5."``) cannot be looked up in a translation catalogue once the numbers are in,
so it is a :class:`Wording`: the English text as a plain ``str`` (comparisons, tests and logs
see exactly that), which also keeps its template and values. The Django layer
(``alliance.wording.in_language``) translates the template and fills the values in again.
Templates are marked for ``makemessages`` with :func:`alliance.core.safety.gettext_noop`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["Grouped", "Wording", "ngettext"]


class Grouped(int):
    """A number said with its thousands grouped: "2,000" in English, as the reader's language
    groups it on a page."""

    def __str__(self) -> str:
        return f"{int(self):,}"


class Wording(str):
    """English text built from ``template % values``, remembering both.

    Examples
    --------
    >>> said = Wording("From 0 to %(high)d.", high=5)
    >>> said, said.template, dict(said.values)
    ('From 0 to 5.', 'From 0 to %(high)d.', {'high': 5})
    """

    template: str
    values: Mapping[str, object]
    plural: str  # the plural template, or "" for wording that does not depend on a count
    plural_count: int

    def __new__(
        cls, template: str, *, plural: str = "", plural_count: int = 1, **values: object
    ) -> Wording:
        chosen = plural if plural and plural_count != 1 else template
        said = super().__new__(cls, chosen % values)
        said.template = template
        said.plural = plural
        said.plural_count = plural_count
        said.values = MappingProxyType(dict(values))
        return said


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> Wording:
    """Wording that depends on a count ``n``, English choosing by ``n == 1``.

    Named like Django's ``ngettext`` so that ``makemessages`` collects both templates; the
    reader's language chooses its own form when the page says it.
    """
    return Wording(singular, plural=plural, plural_count=n, **values)
