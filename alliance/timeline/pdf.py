"""The session-prep summary as a PDF, made by WeasyPrint from the same template as the page.

Why WeasyPrint: it lays out our own HTML and CSS (the print stylesheet the page already uses),
so the PDF and the printed page are one design, tested once; it is pure Python on PyPI over
Pango, which Debian ships (``libpango-1.0-0``, ``libpangoft2-1.0-0``); and it needs no browser
or service running beside the app. The alternatives each cost more here: a headless Chromium
is heavy to run on every app server, and ReportLab would need the page drawn a second time in
its own API.

Nothing is fetched while the PDF is made: the document has no links to load (the stylesheet is
read from our static files and handed over as text), and the URL fetcher refuses every URL, so
free text that somehow carried a reference could not make the server request anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

PRINT_CSS = Path(settings.BASE_DIR) / "static" / "alliance" / "print.css"


def _fetch_nothing(url: str) -> Any:
    """WeasyPrint's URL fetcher, called for every URL: refuses each one (WeasyPrint then leaves
    the resource out and goes on)."""
    raise ValueError(f"The session-prep PDF loads nothing: {url[:80]}")


def prep_pdf(context: dict[str, Any]) -> bytes:
    """The summary of ``context`` (``selectors.session_prep``) as PDF bytes."""
    # Imported here: WeasyPrint loads Pango when imported, which only this download needs.
    from weasyprint import CSS, HTML

    html = render_to_string("timeline/prep_document.html", {**context, "for_pdf": True})
    stylesheet = CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=_fetch_nothing)
    document = HTML(string=html, url_fetcher=_fetch_nothing, base_url=None)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet])
    return pdf
