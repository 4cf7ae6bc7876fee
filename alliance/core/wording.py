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

__all__ = ["Wording"]


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

    def __new__(cls, template: str, **values: object) -> Wording:
        said = super().__new__(cls, template % values)
        said.template = template
        said.values = MappingProxyType(dict(values))
        return said
