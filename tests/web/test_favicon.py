"""A favicon: an SVG and a 32 px PNG linked from every page, and /favicon.ico answered."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client


def test_favicon_ico_redirects_to_the_static_icon(db):
    response = Client().get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (302, static("alliance/favicon.ico"))
    assert "max-age=86400" in response["Cache-Control"]


def _static_file(name: str) -> Path:
    found = finders.find(name)
    assert isinstance(found, str), f"{name} is not among the static files"
    return Path(found)


def test_the_icon_files_are_what_their_names_say():
    ico = _static_file("alliance/favicon.ico").read_bytes()
    png = _static_file("alliance/favicon-32.png").read_bytes()
    svg = _static_file("alliance/favicon.svg").read_text(encoding="utf-8")
    # An ICO header (reserved 0, type 1, one image) holding a 32x32 PNG; a PNG; an SVG with
    # no style attribute (the CSP allows no inline style).
    assert ico[:6] == b"\x00\x00\x01\x00\x01\x00" and ico[22:30] == b"\x89PNG\r\n\x1a\n"
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == b"\x00\x00\x00\x20\x00\x00\x00\x20"
    assert svg.startswith("<svg ") and "style" not in svg


def test_every_page_links_the_icons(db):
    html = Client().get("/login/").content.decode()
    assert f'<link rel="icon" href="{static("alliance/favicon.svg")}" type="image/svg+xml">' in html
    assert f'href="{static("alliance/favicon-32.png")}" sizes="32x32" type="image/png"' in html
