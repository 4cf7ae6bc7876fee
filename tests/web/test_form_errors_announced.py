"""Every form's mistakes are announced: a screen reader hears them without hunting for them.

A form that takes input and posts back to its own page (which shows it again with its mistakes)
must have an error summary that is announced: ``form_errors.html`` (role=alert), or its own
``role="alert"`` or ``aria-live`` summary. A form that posts to another address reports through
the page it is sent back to, whose messages base.html announces (an error as role=alert). The
templates are read as text, partials included, so a new form cannot skip its summary.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.template.loader import get_template

import alliance

TEMPLATES = sorted(Path(alliance.__file__).parent.rglob("templates/**/*.html"))
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S)
TAKES_INPUT = re.compile(
    r'<input(?![^>]*type="(?:hidden|submit)")|<textarea|<select|\{\{ ?(?:field|form|row\.form)\b'
    r'|\{% include "[^"]*(?:field|_fields|_questions|_scale|_parts|_which_time)[^"]*"'
)
ANNOUNCED = re.compile(r'form_errors\.html|role="alert"|aria-live=')
INCLUDE = re.compile(r'\{% include "(?P<name>[^"]+)"')


def _with_partials(text: str, seen: set[str] | None = None) -> str:
    """The template's text with the text of every partial it includes, recursively."""
    seen = seen if seen is not None else set()
    parts = [text]
    for match in INCLUDE.finditer(text):
        name = match["name"]
        if name not in seen:
            seen.add(name)
            source = Path(get_template(name).origin.name).read_text()
            parts.append(_with_partials(source, seen))
    return "\n".join(parts)


def _silent_forms(path: Path) -> list[str]:
    text = path.read_text()
    whole = _with_partials(text)
    silent = []
    for form in FORM.finditer(text):
        posts_here = 'method="post"' in form["attrs"] and "action=" not in form["attrs"]
        body = _with_partials(form["body"])
        if posts_here and TAKES_INPUT.search(body) and not ANNOUNCED.search(whole):
            silent.append(f"{path.name}: form at character {form.start()}")
    return silent


def test_every_form_that_shows_its_own_mistakes_announces_them() -> None:
    assert len(TEMPLATES) > 80
    silent = [problem for path in TEMPLATES for problem in _silent_forms(path)]
    assert silent == [], "forms whose mistakes no screen reader would hear: " + "; ".join(silent)


def test_the_check_finds_a_form_without_a_summary(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<form method="post">{% csrf_token %}<input name="x"><button>Go</button></form>'
    )
    assert _silent_forms(page) == ["page.html: form at character 0"]
    page.write_text('<form method="post">{% include "form_errors.html" %}<input name="x"></form>')
    assert _silent_forms(page) == []
    page.write_text('<form method="post"><input type="hidden" name="x"><button>Go</button></form>')
    assert _silent_forms(page) == []  # a button alone: nothing to get wrong


def test_the_error_summary_is_an_alert_that_links_to_each_field() -> None:
    from django import forms

    class Form(forms.Form):
        name = forms.CharField(label="Your name")

    form = Form(data={})
    html = get_template("form_errors.html").render({"form": form})
    assert 'role="alert"' in html
    assert '<a href="#id_name">Your name</a>: This field is required.' in html
    assert get_template("form_errors.html").render({"form": Form(data={"name": "R"})}).strip() == ""


def test_a_page_that_lists_the_fields_itself_gets_no_empty_alert() -> None:
    """``fields_listed``: the page has its own summary of the fields (the reach-out form); the
    shared one shows only the form's own errors, and nothing at all when there are none."""
    from django import forms

    class Form(forms.Form):
        name = forms.CharField(label="Your name")

        def clean(self) -> dict[str, object]:
            if self.data.get("name") == "robot":
                raise forms.ValidationError("Nothing was sent.")
            return super().clean()

    template = get_template("form_errors.html")
    assert template.render({"form": Form(data={}), "fields_listed": True}).strip() == ""
    html = template.render({"form": Form(data={"name": "robot"}), "fields_listed": True})
    assert 'role="alert"' in html and "<p>Nothing was sent.</p>" in html and "<ul>" not in html
