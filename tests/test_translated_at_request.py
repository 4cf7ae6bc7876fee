"""Words are translated when a page is made, never once when a module is imported.

``gettext`` called in a class body or at the top of a module (a form field's label, a choice,
a model's verbose name) runs once, at import, in the default language: every French page
would then show those words in English. Such places must use ``gettext_lazy``. This test
reads every module of the package and names each eager call made outside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "alliance"
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def eager_calls(source: str, filename: str = "<source>") -> list[int]:
    """The line of each eager gettext call (under any name it is imported as) made at import."""
    tree = ast.parse(source, filename)
    names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in EAGER
    }
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, SCOPES):
                # A default value is computed at import; the body runs at request time.
                for default in child.args.defaults + child.args.kw_defaults:
                    if default is not None:
                        visit_expr(default)
                continue
            visit_expr(child)

    def visit_expr(node: ast.AST) -> None:
        called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if called and node.func.id in names:  # type: ignore[attr-defined]
            found.append(node.lineno)
        if isinstance(node, SCOPES):
            return
        visit(node)

    visit(tree)
    return sorted(found)


def test_no_module_translates_at_import() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line in eager_calls(path.read_text(encoding="utf-8"), str(path)):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert found == [], "gettext at import time (use gettext_lazy): " + ", ".join(found)


def test_the_check_finds_a_label_translated_at_import() -> None:
    source = (
        "from django.utils.translation import gettext as _, gettext_lazy\n"
        "from django import forms\n"
        "TITLE = _('Alliance')\n"
        "class F(forms.Form):\n"
        "    name = forms.CharField(label=_('Name'))\n"
        "    other = forms.CharField(label=gettext_lazy('Other'))\n"
        "    def clean(self, default=_('Eager default')):\n"
        "        return _('Fine: at request time')\n"
        "def view(request):\n"
        "    return (lambda: _('Fine too'))()\n"
    )
    assert eager_calls(source) == [3, 5, 7]


def _choices_classes() -> list[type]:
    import importlib

    from django.apps import apps
    from django.db import models

    found: list[type] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("alliance"):
            continue
        try:
            module = importlib.import_module(f"{config.name}.models")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, models.Choices):
                found.append(value)
                found += [
                    inner
                    for inner in vars(value).values()
                    if isinstance(inner, type) and issubclass(inner, models.Choices)
                ]
        for model in config.get_models():
            found += [
                inner
                for inner in vars(model).values()
                if isinstance(inner, type) and issubclass(inner, models.Choices)
            ]
    return list(dict.fromkeys(found))


def test_every_choice_label_is_translated_when_shown() -> None:
    """A status, a role, an audit action: the label a page shows is a lazy translation."""
    from django.utils.functional import Promise

    classes = _choices_classes()
    assert len(classes) >= 15, [c.__name__ for c in classes]
    plain = [
        f"{cls.__module__}.{cls.__qualname__}.{member.name}"
        for cls in classes
        for member in cls
        if not isinstance(member.label, Promise) and not str(member.label).isdigit()
    ]
    assert plain == [], "choice labels never translated (wrap them in gettext_lazy): " + ", ".join(
        plain
    )
