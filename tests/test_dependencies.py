"""pyproject.toml asks for what the code needs: floors that have each feature used, and the
development tools pinned to the series in use so a new release cannot break CI."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import gunicorn.config
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(lines: list[str]) -> dict[str, Requirement]:
    return {Requirement(line).name.lower(): Requirement(line) for line in lines}


RUNTIME = _requirements(PROJECT["dependencies"])
TEST = _requirements(PROJECT["optional-dependencies"]["test"])


def _floor(specifier: SpecifierSet) -> Version:
    floors = [Version(spec.version) for spec in specifier if spec.operator in (">=", "==", "~=")]
    assert floors, f"{specifier} has no lower bound"
    return max(floors)


def _gunicorn_settings_used() -> dict[str, int]:
    """The keys of the ``options`` dict that alliance/server.py gives gunicorn, with lines."""
    tree = ast.parse((ROOT / "alliance" / "server.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AnnAssign | ast.Assign)
            and isinstance(node.value, ast.Dict)
            and "options"
            in {t.id for t in getattr(node, "targets", [node.target]) if isinstance(t, ast.Name)}
        ):
            return {
                key.value: key.lineno
                for key in node.value.keys
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            }
    raise AssertionError("no options dict in alliance/server.py")


def test_the_gunicorn_floor_has_every_setting_the_server_uses() -> None:
    used = _gunicorn_settings_used()
    assert "control_socket_disable" in used and "worker_class" in used  # the dict was found
    floor = _floor(RUNTIME["gunicorn"].specifier)
    known = {setting.name: setting for setting in gunicorn.config.KNOWN_SETTINGS}
    too_new = []
    for name, line in sorted(used.items()):
        assert name in known, f"alliance/server.py:{line}: gunicorn has no setting {name!r}"
        added = re.search(r"versionadded::\s*([0-9][0-9.]*)", known[name].desc or "")
        if added and Version(added.group(1)) > floor:
            too_new.append(f"{name} (gunicorn {added.group(1)}, floor {floor})")
    assert too_new == [], "raise the gunicorn floor in pyproject.toml"


def test_every_development_tool_has_an_upper_bound() -> None:
    unbounded = [
        str(requirement)
        for requirement in TEST.values()
        if not any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier)
    ]
    assert unbounded == []


def test_django_stubs_follow_the_django_series() -> None:
    django = RUNTIME["django"].specifier
    series = _floor(django).release[:2]  # (5, 2)
    major, minor = series
    assert django.contains(f"{major}.{minor}.99") and not django.contains(f"{major}.{minor + 1}")
    for name in ("django-stubs", "django-stubs-ext"):
        stubs = TEST[name].specifier
        assert stubs.contains(f"{major}.{minor}.99"), f"{name} {stubs} misses Django {series}"
        assert not stubs.contains(f"{major}.{minor + 1}.0"), f"{name} {stubs} allows a later series"
        assert not stubs.contains(f"{major + 1}.0.0"), f"{name} {stubs} allows a later series"
    assert "compatible-mypy" in TEST["django-stubs"].extras


def _third_party_imports() -> dict[str, str]:
    """Top-level modules that alliance/ imports from outside the standard library and itself,
    each with one file that imports it."""
    import sys

    def runtime_nodes(node: ast.AST) -> list[ast.AST]:
        # Imports under ``if TYPE_CHECKING:`` never run.
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return [n for child in node.orelse for n in runtime_nodes(child)]
        return [node, *(n for child in ast.iter_child_nodes(node) for n in runtime_nodes(child))]

    found: dict[str, str] = {}
    for path in sorted((ROOT / "alliance").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in runtime_nodes(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "alliance" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    declared = set(RUNTIME)
    missing = []
    for module, where in sorted(_third_party_imports().items()):
        names = {name.lower() for name in distributions.get(module, [module])}
        if not names & declared:
            missing.append(f"{module} ({where}; distribution {sorted(names)})")
    assert missing == [], "add these to [project] dependencies in pyproject.toml"
