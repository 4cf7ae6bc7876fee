"""Layout rules the code review asked for, checked on the source itself.

- ``alliance.core`` is the pure core: no Django, nothing of the apps, no command line.
- The change statistics have one copy of the sudden-gain test and of its critical-t table.
- Views do not query models: reads are in selectors, writes in services, records come through
  ``alliance.access``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import alliance
import alliance.core
from alliance.core import change, signals

PACKAGE = Path(alliance.__file__).parent
ROOT = PACKAGE.parent


def _modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


# --- the pure core -------------------------------------------------------------------------------


def test_core_modules_import_only_the_core_and_plain_libraries() -> None:
    """Django, the apps (which are Django) and a command line have no place in the core."""
    core = _modules(Path(alliance.core.__file__).parent)
    assert len(core) > 10  # the walk found the package
    found = []
    for path in core:
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top == "django" or top == "argparse":
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
            elif top == "alliance" and not (
                name == "alliance.core" or name.startswith("alliance.core.")
            ):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name} (outside the core)")
    assert found == []


def test_every_core_module_imports_with_django_blocked() -> None:
    """Imported in a fresh interpreter where ``import django`` fails, whatever imports it."""
    script = """
import importlib, json, pkgutil, sys
sys.modules["django"] = None  # any import of django or django.* now raises ImportError
import alliance.core
failed = {}
names = [m.name for m in pkgutil.walk_packages(alliance.core.__path__, "alliance.core.")]
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed[name] = str(error)
print(json.dumps({"names": names, "failed": failed}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(result.stdout)
    assert "alliance.core.signals" in report["names"]
    assert "alliance.core.change" in report["names"]
    assert report["failed"] == {}


def test_the_stats_command_line_is_outside_the_core() -> None:
    from alliance import stats_cli

    assert not (Path(alliance.core.__file__).parent / "stats_cli.py").exists()
    assert stats_cli.main.__module__ == "alliance.stats_cli"


# --- one copy of the sudden-gain test ------------------------------------------------------------


def test_one_critical_t_table_in_the_code() -> None:
    """The critical t values appear as numbers in one module only (text may quote them)."""
    values = {4.303, 3.182, 2.776}
    holders = set()
    for path in _modules(PACKAGE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and type(node.value) is float
                and node.value in values
            ):
                holders.add(str(path.relative_to(ROOT)))
    assert holders == {"alliance/core/change.py"}


def test_the_app_and_the_command_share_the_sudden_gain_test() -> None:
    from alliance import stats_cli

    assert signals.sudden_change is change.sudden_change
    assert stats_cli.sudden_change is change.sudden_change
    # The settings keep a validated copy of the table they are given.
    assert dict(signals.DEFAULT_SETTINGS.sudden_alpha_t) == dict(change.CRITICAL_T_05)
    assert stats_cli.CRITICAL_T_05 is change.CRITICAL_T_05


# --- views do not query models -------------------------------------------------------------------

# Calls that build or run a query of their own. Evaluating a query a selector returned (a loop,
# a paginator, ``.count()`` on it) is fine; choosing the rows is not the view's job.
QUERY_METHODS = frozenset(
    {
        "filter",
        "exclude",
        "select_related",
        "prefetch_related",
        "annotate",
        "alias",
        "aggregate",
        "order_by",
        "values_list",
        "only",
        "defer",
        "distinct",
        "extra",
        "raw",
        "none",
        "select_for_update",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "in_bulk",
    }
)

# (views module, function) -> why it may still query. Each entry must still be needed: once the
# query has moved, the test fails until the entry is removed.
ALLOWED: dict[tuple[str, str], str] = {}


def _query_places(path: Path) -> list[tuple[str, int, str]]:
    """(function, line, what) for each ``.objects`` or query-building call in a views module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    places: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name if function == "<module>" else function
            if isinstance(child, ast.Attribute) and child.attr == "objects":
                places.append((inner, child.lineno, ast.unparse(child)))
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in QUERY_METHODS
            ):
                places.append((inner, child.lineno, f"{ast.unparse(child.func)}(...)"))
            visit(child, inner)

    visit(tree, "<module>")
    return places


def _views_modules() -> list[Path]:
    return [path for path in _modules(PACKAGE) if path.name == "views.py"]


def test_views_do_not_query_models() -> None:
    assert len(_views_modules()) >= 8  # every app's views, and alliance/views.py
    found = []
    for path in _views_modules():
        name = str(path.relative_to(ROOT))
        for function, line, what in _query_places(path):
            if (name, function) not in ALLOWED:
                found.append(f"{name}:{line} in {function}: {what}")
    assert found == [], "move these queries into the app's selectors.py (reads) or services"


def test_each_allowed_view_query_is_still_there() -> None:
    stale = []
    for name, function in ALLOWED:
        places = _query_places(ROOT / name)
        if not any(place[0] == function for place in places):
            stale.append(f"{name} {function}: no query left; remove it from ALLOWED")
    assert stale == []


def test_the_view_check_sees_a_query(tmp_path: Path) -> None:
    """The checker itself: it finds each way a view could query (so the tests above can fail)."""
    sample = tmp_path / "views.py"
    sample.write_text(
        "def page(request, alert):\n"
        "    a = Alert.objects.get(pk=1)\n"
        "    b = access.alerts_for(request.user).filter(state='open')\n"
        "    c = alert.events.select_related('actor')\n"
        "    d = selectors.alert_events(alert).count()\n",
        encoding="utf-8",
    )
    places = _query_places(sample)
    assert [(function, line) for function, line, _ in places] == [
        ("page", 2),
        ("page", 3),
        ("page", 4),
    ]
