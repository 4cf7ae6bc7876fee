"""Cells that are safe to open in a spreadsheet: the one helper for every CSV Alliance writes.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
also treat a leading tab or carriage return as the start of one (CSV injection, OWASP). A name
such as ``=HYPERLINK("http://evil.example")`` typed into a profile would then run on the
auditor's machine. Spreadsheets also fold Unicode compatibility forms to the plain character
before they parse a cell, so the full-width ``＝ ＋ － ＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20), the
small ``﹦ ﹢ ﹣ ﹫`` and the like are as dangerous as their ASCII twins: the test is on the NFKC
form of the text, after any leading spaces.

A dangerous cell gets a leading apostrophe, which every spreadsheet reads as "this is text";
the rest of it is kept exactly. A plain number (``-1.5``, ``+3``) cannot run anything and is
left alone, so the statistics keep their signs.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FORMULA_STARTS", "csv_safe"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def csv_safe(value: object) -> str:
    """``value`` as CSV cell text that no spreadsheet runs as a formula.

    Examples
    --------
    >>> [csv_safe(v) for v in ("=1+1", "\\uff1dSUM(A1)", " @x", "-1.5", "Teresa", None)]
    ["'=1+1", "'\\uff1dSUM(A1)", "' @x", '-1.5', 'Teresa', '']
    """
    text = "" if value is None else str(value)
    if _NUMBER.fullmatch(text):
        return text
    folded = unicodedata.normalize("NFKC", text).lstrip(" ")
    return f"'{text}" if folded.startswith(FORMULA_STARTS) else text
