"""Finds words the command line shows that no gettext call covers (the CLI's `i18n_scan`).

`scan_module(path)` reads one Python module and returns a `Finding` (file, line, text) for each
string literal with words in a place a person reads it:

- the ``help=``, ``description=``, ``epilog=`` and ``usage=`` of any call (argparse's and
  Django's ``add_argument``, ``add_parser``, ``ArgumentParser``);
- a class's ``help = ...`` (a management command's description);
- the message of ``print``, ``….write`` (``self.stdout``/``self.stderr``), ``CommandError``
  (and ``BackupError``, which the backup and restore commands print as theirs; ``InputError``
  and ``ArgumentTypeError``, which ``alliance stats`` prints),
  ``….error`` (``parser.error``), ``sys.exit``/``SystemExit`` and the worker's ``say``.

Within such an expression a literal counts as marked when it is inside a gettext call (Django's
``gettext``/``gettext_lazy``/``ngettext``/``pgettext``… and the CLI's ``_``/``ngettext``). The
expression is followed through ``+``, ``%``, f-strings, ``x if c else y``, ``"…".format(…)`` and
the arguments of other calls; a dict (the values of ``%(name)s`` placeholders), a subscript and
a comprehension are not read. A line that is deliberately not translated (a URL, a tag that
scripts look for) says so with a ``# untranslated:`` comment and its reason, at the end of its
line or alone on the line before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.i18n_scan import PACKAGE, Finding, has_words

GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
READ_KEYWORDS = {"help", "description", "epilog", "usage"}
# BackupError: alliance backup and alliance restore print its message as their CommandError.
OUTPUT_CALLS = {
    "print",
    "write",
    "CommandError",
    "BackupError",
    # What `alliance stats` says about its input and its options.
    "InputError",
    "ArgumentTypeError",
    "error",
    "exit",
    "SystemExit",
    "say",
}
EXEMPT = "# untranslated:"


def cli_modules(root: Path = PACKAGE) -> list[Path]:
    """The modules whose words the command line shows: the `alliance` command and its helpers,
    and every management command of the package."""
    named = [
        root / name
        for name in (
            "cli.py",
            "commands.py",
            "demo.py",
            "server.py",
            "worker.py",
            "stats_cli.py",
            "ops/backup.py",
        )
    ]
    commands = sorted(
        path
        for path in root.rglob("management/commands/*.py")
        if path.name != "__init__.py" and "migrations" not in path.parts
    )
    return named + commands


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _unmarked(node: ast.AST) -> Iterator[tuple[int, str]]:
    """The line and text of each literal with words in a message expression, outside gettext."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and has_words(node.value):
            yield node.lineno, node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        if has_words(text):
            yield node.lineno, text
    elif isinstance(node, ast.BinOp):
        yield from _unmarked(node.left)
        yield from _unmarked(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _unmarked(node.body)
        yield from _unmarked(node.orelse)
    elif isinstance(node, ast.Call):
        name = _called_name(node)
        if name in GETTEXT:
            return
        if name == "format" and isinstance(node.func, ast.Attribute):
            yield from _unmarked(node.func.value)
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            yield from _unmarked(argument)
    elif isinstance(node, ast.Starred):
        yield from _unmarked(node.value)


def _messages(tree: ast.AST) -> Iterator[ast.AST]:
    """Every expression in the module that a person reads as it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in READ_KEYWORDS:
                    yield keyword.value
            if _called_name(node) in OUTPUT_CALLS:
                yield from node.args
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == "help"
                    for target in statement.targets
                ):
                    yield statement.value


def _exempt(lines: list[str], line: int) -> bool:
    """The literal's line carries the comment, or the line before it is that comment."""
    return EXEMPT in lines[line - 1] or (line > 1 and lines[line - 2].strip().startswith(EXEMPT))


def scan_source(source: str, path: Path) -> list[Finding]:
    lines = source.splitlines()
    found = {
        (line, " ".join(text.split()))
        for message in _messages(ast.parse(source, str(path)))
        for line, text in _unmarked(message)
        if not _exempt(lines, line)
    }
    return [Finding(path, line, text) for line, text in sorted(found)]


def scan_module(path: Path) -> list[Finding]:
    """Every untranslated piece of text the command line would show from one module."""
    return scan_source(path.read_text(encoding="utf-8"), path)
