"""Messages a person reads are translated: no plain English text in an error raised or added.

The template scanner (tests/i18n_scan.py) reads templates; this one reads the Python code for the
messages that reach a page from a service or a form: ``raise SomeError("…")``,
``form.add_error(field, "…")`` and ``ValidationError("…")``. Each must be written with gettext
(``_("…")``), or it shows in English on a French page. It fails on a string literal or an
f-string there. Errors meant for a programmer (``ValueError``, ``TypeError``, …) are not read,
and a few errors that never reach a person are listed below, each with why. The core
(``alliance/core``) writes its messages with ``gettext_noop`` and a ``Wording`` and is read by
its own tests. The command line's modules are read here too (their help and printed lines by
tests/i18n_cli_scan.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "alliance"

# Errors a programmer or an operator's log reads, never a page.
FOR_PROGRAMMERS = {
    "AssertionError",
    "ImproperlyConfigured",
    "KeyError",
    "LookupError",
    "NotImplementedError",
    "RuntimeError",
    "TypeError",
    "ValueError",
    "ArgumentTypeError",
}

# (module, error): why its messages need no translation.
NEVER_SHOWN = {
    ("audit/guards.py", "NoteIsFinal"): "a database guard: no page offers to edit these records",
    ("messaging/services.py", "DeliveryError"): "the outbox's log of a failed delivery",
    ("messaging/services.py", "MessagingError"): "a message kind or channel the code misnamed",
    ("outcomes/services.py", "DefinitionError"): (
        "an instrument file's structure, as the core's own checks of it say it (alliance/core/"
        "instruments.py): English for now, for the clinic's IT person importing a file"
    ),
    ("crypto.py", "DecryptionError"): "a key or storage fault, for the operator's log",
    ("exports/fhir.py", "UnknownInstrument"): "a lookup's key, caught and said in words there",
}
# Lines of a module whose error a page never shows: a value the code itself chose was wrong.
PROGRAMMING_CHECKS = {
    ("people/services.py", "Unknown session status"),
    ("people/services.py", "Unknown clinic settings"),
    ("people/services.py", "Unknown region"),
    # The forms offer only these choices, and the API checks them first, in words.
    ("ruptures/services.py", "Severity must be"),
    ("ruptures/services.py", "Unknown marker or strategy"),
}


def _skipped(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return parts[0] == "core" or "migrations" in parts or parts[-1] == "settings.py"


def _plain_text(node: ast.AST | None) -> bool:
    """A string literal or f-string with words in it (``f"{path}: {error}"`` has none)."""
    if isinstance(node, ast.JoinedStr):
        literal = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        return any(c.isalpha() for c in literal)
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() != ""
    )


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def untranslated(source: str, module: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            error = _name(node.exc.func)
            first = node.exc.args[0] if node.exc.args else None
            if error in FOR_PROGRAMMERS or (module, error) in NEVER_SHOWN:
                continue
            if error == "ValidationError":
                continue  # read below, as a call
            text = ast.unparse(first) if first is not None else ""
            if any(m == module and words in text for m, words in PROGRAMMING_CHECKS):
                continue
            if _plain_text(first):
                found.append((node.lineno, f"raise {error}(plain text)"))
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "add_error" and len(node.args) >= 2 and _plain_text(node.args[1]):
                found.append((node.lineno, "add_error(…, plain text)"))
            if name == "ValidationError" and node.args and _plain_text(node.args[0]):
                found.append((node.lineno, "ValidationError(plain text)"))
    return [f"{module}:{line}: {what}" for line, what in sorted(found)]


def test_every_message_raised_or_added_for_a_page_is_translated() -> None:
    modules = [p for p in sorted(ROOT.rglob("*.py")) if not _skipped(p)]
    found = [
        line
        for path in modules
        for line in untranslated(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert (len(modules) > 150, found) == (True, [])


def test_the_scanner_finds_each_kind_of_plain_message() -> None:
    planted = """
def f(form, email):
    raise AddressInUse(f"Someone with {email} has an account.")
    raise WrongCredentials("That password isn't right.")
    form.add_error("until", "The end date is before the start date.")
    raise ValidationError("Too long.")
    raise WrongCredentials(_("That password isn't right."))
    form.add_error("until", _("The end date is before the start date."))
    raise ValueError("a programmer's mistake")
"""
    assert [line.split(": ", 1)[1] for line in untranslated(planted, "x.py")] == [
        "raise AddressInUse(plain text)",
        "raise WrongCredentials(plain text)",
        "add_error(…, plain text)",
        "ValidationError(plain text)",
    ]
