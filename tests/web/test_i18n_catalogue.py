"""Every word a person reads goes through gettext, and the French catalogue covers all of them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.i18n_scan import PACKAGE, scan_template, templates

CATALOGUE = PACKAGE / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"


def _template_params() -> list[object]:
    return [pytest.param(path, id=str(path.relative_to(PACKAGE))) for path in templates()]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _found(path: Path) -> list[tuple[int, str]]:
    return [(finding.line, finding.text) for finding in scan_template(path)]


# The scanner itself: what it must report, and what it must leave alone.


def test_scanner_reports_text_nodes_and_read_attributes_with_their_lines(tmp_path):
    page = _write(
        tmp_path,
        "page.html",
        "{% load i18n %}<h1>Hello {{ name }}</h1>\n"
        '<img src="x.png" alt="A chart">\n'
        '<a href="/" title="Home page" aria-label="Go home">{% translate "Home" %}</a>\n'
        '<input type="search" placeholder="Find a client">\n'
        '<input type="submit" value="Send">\n'
        '<button name="action" value="save">{% translate "Save" %}</button>\n'
        '<p aria-description="More words">\n\n  Two lines\n  of text</p>\n',
    )
    assert _found(page) == [
        (1, "Hello"),
        (2, 'alt="A chart"'),
        (3, 'aria-label="Go home"'),
        (3, 'title="Home page"'),
        (4, 'placeholder="Find a client"'),
        (5, 'value="Send"'),
        # line 6: a <button>'s value is the code it posts, not text
        (7, 'aria-description="More words"'),
        (9, "Two lines of text"),
    ]


def test_scanner_reports_text_between_template_tags(tmp_path):
    page = _write(
        tmp_path,
        "page.html",
        "{% if late %}Late{% else %}{% translate 'On time' %}{% endif %}<p>{{ count }} clients</p>",
    )
    assert _found(page) == [(1, "Late"), (1, "clients")]


def test_scanner_leaves_alone_what_is_translated_or_not_text(tmp_path):
    page = _write(
        tmp_path,
        "page.html",
        "{% load i18n %}<!doctype html>\n"
        '<html lang="{{ LANGUAGE_CODE }}"><head><title>{% translate "Home" %} · Alliance</title>\n'
        "<style>body { color: red; }</style><script>let words = 'not read';</script></head>\n"
        "<!-- a note for developers -->{# a template comment #}\n"
        "{% comment %}\nAn older paragraph.\n{% endcomment %}\n"
        "{% blocktranslate trimmed with name=person %}\n  Hello {{ name }},\n"
        "  <em>welcome</em>.\n{% endblocktranslate %}\n"
        '<p title="{% translate "A title" %}" aria-label="{{ label }}">9-8-8 · 911 &ndash; 42%'
        " &nbsp; ✓</p>\n"
        '<input type="text" value="Typed by the person"><input type="hidden" value="next">\n'
        '<a class="brand" href="/">Alliance</a><span data-note="not read">…</span>\n',
    )
    assert _found(page) == []


def test_scanner_reads_every_line_of_a_mail_template(tmp_path):
    mail = _write(
        tmp_path,
        "invite.txt",
        "{% load i18n %}{% blocktranslate trimmed %}\nHello,\n{% endblocktranslate %}\n\n"
        "Your link: {{ link }}\n{{ link }}\n-- {% translate 'The Alliance team' %}\n",
    )
    assert _found(mail) == [(5, "Your link:")]


def test_scanner_sees_every_template_of_the_package():
    found = {str(path.relative_to(PACKAGE)) for path in templates()}
    assert {"templates/base.html", "accounts/templates/accounts/mail/invite.txt"} <= found
    assert all("/templates/" in f"/{name}" for name in found)


@pytest.mark.parametrize("path", _template_params())
def test_template_has_no_untranslated_text(path):
    findings = scan_template(path)
    assert not findings, "Text outside {% translate %}:\n" + "\n".join(map(str, findings))


# The catalogue: complete, and compiled.


def extracted_catalogue(folder: Path) -> polib.POFile:
    """What `makemessages -l fr_CA` extracts from the package today, written under `folder`.

    makemessages walks the current folder and writes to the first of LOCALE_PATHS (or to a
    `locale` folder it meets on the way), so it runs from `folder`, through a link to the
    package, with the package's own locale folder left out: the real catalogue is not touched.
    """
    (folder / "alliance").symlink_to(PACKAGE, target_is_directory=True)
    with override_settings(LOCALE_PATHS=[str(folder / "locale")]), contextlib.chdir(folder):
        call_command(
            "makemessages",
            locale=["fr_CA"],
            symlinks=True,
            ignore_patterns=["alliance/locale"],
            verbosity=0,
        )
    return polib.pofile(str(folder / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"))


def _key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def test_french_catalogue_translates_every_extracted_string(tmp_path):
    extracted = extracted_catalogue(tmp_path)
    assert len(extracted) > 100  # the extraction itself worked
    ours = {_key(entry): entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete}
    problems = []
    for entry in extracted:
        mine = ours.get(_key(entry))
        if mine is None:
            problems.append(f"missing: {_key(entry)!r}")
        elif "fuzzy" in mine.flags:
            problems.append(f"fuzzy: {_key(entry)!r}")
        elif not (all(mine.msgstr_plural.values()) if mine.msgid_plural else mine.msgstr):
            problems.append(f"untranslated: {_key(entry)!r}")
    assert not problems, f"{len(problems)} strings:\n" + "\n".join(problems)
