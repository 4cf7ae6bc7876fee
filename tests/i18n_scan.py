"""Finds words in templates that a person would read but that no translation tag covers.

`scan_template(path)` returns one `Finding` (file, line, text) for each text node with letters,
and each user-visible attribute (alt, title, aria-label, aria-description, placeholder, and the
value of a submit/reset/button input; a <button>'s value is the code it posts) with letters,
once everything Django handles is taken out: template tags and `{{ variables }}`,
`{# comments #}` and `{% comment %}` blocks,
the words inside `{% blocktranslate %}…{% endblocktranslate %}` (and `{% translate "…" %}`,
which is a tag), HTML comments, and the bodies of `<script>` and `<style>`. Mail templates
(`.txt`) have no HTML: each of their lines is text.

Every template tag is replaced by spaces of the same length before the HTML is parsed, so that
the line numbers stay those of the file, and "Hello {{ name }}" still shows "Hello".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "alliance"

# A template tag, variable or one-line comment: Django's own syntax never spans lines.
_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}")
_BLOCK_START = re.compile(r"\{%\s*(comment|blocktranslate|blocktrans|verbatim)\b")
_BLOCK_END = {
    "comment": re.compile(r"\{%\s*endcomment\s*%\}"),
    "blocktranslate": re.compile(r"\{%\s*endblocktranslate\s*%\}"),
    "blocktrans": re.compile(r"\{%\s*endblocktrans\s*%\}"),
    "verbatim": re.compile(r"\{%\s*endverbatim\s*%\}"),
}
_LETTER = re.compile(r"[^\W\d_]")

_READ_ATTRIBUTES = {"alt", "title", "aria-label", "aria-description", "placeholder"}
_BUTTON_INPUTS = {"submit", "reset", "button"}

# Words that are not to be translated. Keep it tiny, and say why for each: a text made only of
# these (and symbols) is not reported; a sentence around them still is.
ALLOWED_WORDS = {
    # The product's name, the same in every language (the brand link, "… · Alliance" titles).
    "Alliance",
}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(PACKAGE.parent)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.text}"


def blank_template_syntax(source: str) -> str:
    """The source with Django's syntax (and what blocktranslate/comment blocks hold) as spaces.

    Newlines stay where they are, so line numbers still match the file.
    """
    out: list[str] = []
    position = 0
    while True:
        start = _BLOCK_START.search(source, position)
        stop = start.start() if start else len(source)
        out.append(_TAG.sub(lambda m: " " * len(m.group()), source[position:stop]))
        if start is None:
            break
        end = _BLOCK_END[start.group(1)].search(source, start.end())
        block_end = end.end() if end else len(source)
        out.append(re.sub(r"[^\n]", " ", source[start.start() : block_end]))
        position = block_end
    return "".join(out)


def has_words(text: str) -> bool:
    return any(word not in ALLOWED_WORDS for word in _WORD.findall(text))


class _TextFinder(HTMLParser):
    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.findings: list[Finding] = []
        self._raw_depth = 0  # inside <script> or <style>

    def _add(self, line: int, text: str) -> None:
        self.findings.append(Finding(self.path, line, " ".join(text.split())))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)
        if tag in {"script", "style"}:
            self._raw_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._raw_depth:
            self._raw_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._raw_depth or not has_words(data):
            return
        line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self._add(line, data)

    def _check_attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        read = set(_READ_ATTRIBUTES)
        # A submit input shows its value; a <button> shows its content, and its value is the
        # code the form posts (name="action" value="stop"), never read by a person.
        if tag == "input" and named.get("type", "text").lower() in _BUTTON_INPUTS:
            read.add("value")
        for name in sorted(read & named.keys()):
            if has_words(named[name]):
                self._add(self.getpos()[0], f'{name}="{" ".join(named[name].split())}"')


def scan_template(path: Path) -> list[Finding]:
    """Every untranslated piece of text in one template."""
    source = blank_template_syntax(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        return [
            Finding(path, number, " ".join(line.split()))
            for number, line in enumerate(source.splitlines(), start=1)
            if has_words(line)
        ]
    finder = _TextFinder(path)
    finder.feed(source)
    finder.close()
    return finder.findings


def templates(root: Path = PACKAGE) -> Iterator[Path]:
    """Every page and mail template under `root` (alliance/**/templates/**)."""
    for path in sorted(root.rglob("*")):
        if path.suffix in {".html", ".txt"} and "templates" in path.relative_to(root).parts:
            yield path


def scan(paths: Iterable[Path]) -> list[Finding]:
    return [finding for path in paths for finding in scan_template(path)]
