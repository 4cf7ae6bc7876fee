"""No private Django API in alliance/: what changes between Django releases without notice.

Allowed: ``_meta`` (the documented Model._meta API), ``_state.adding``, ``_base_manager`` and a
manager's ``self._db`` (all documented), and the project's own underscore names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "alliance"

FORBIDDEN = [
    # ``from django.x import _private`` (alone or in a list) and ``import django.x._private``
    (
        re.compile(r"^\s*from\s+django[\w.]*\s+import\s+\(?[^#\n]*\b_\w+", re.M),
        "an underscore name imported from django",
    ),
    (re.compile(r"^\s*(from|import)\s+django[\w.]*\._\w+", re.M), "a private django module"),
    (re.compile(r"\bdjango\.db\.models\.sql\b"), "django.db.models.sql (the SQL compiler)"),
    (re.compile(r"\.query\.\w"), "QuerySet.query internals"),
    (re.compile(r"\bget_related_populators\b"), "get_related_populators"),
    (re.compile(r"\bklass_info\b"), "the compiler's klass_info"),
    (re.compile(r"\bget_compiler\b|\bapply_converters\b|\bget_converters\b"), "compiler API"),
    (
        re.compile(
            r"\._(iterable_class|prefetch_related_lookups|known_related_objects|result_cache)"
        ),
        "QuerySet internals",
    ),
]

# Documented underscore attributes of Django objects the code may use.
ALLOWED_ATTRIBUTES = {"_meta", "_state", "_base_manager", "_db", "_default_manager"}


def sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def test_the_check_sees_the_code():
    assert len(sources()) > 50


@pytest.mark.parametrize(
    "line",
    [
        "from django.db.models.query import ModelIterable, get_related_populators",
        "from django.db.models.sql import Query",
        "from django.utils.functional import _lazy_proxy",
        "    sql, params = queryset.query.sql_with_params()",
        "    models = queryset._iterable_class is ModelIterable",
        "    populators = klass_info['select_fields']",
    ],
)
def test_the_check_catches_private_api(line):
    assert any(pattern.search(line) for pattern, _ in FORBIDDEN)


def test_no_private_django_api_in_alliance():
    found = []
    for path in sources():
        text = path.read_text()
        for pattern, what in FORBIDDEN:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {what}")
    assert found == []


def test_underscore_attributes_are_documented_ones_or_the_projects_own():
    """``something._name`` on an object that is not ``self``/``cls`` must be documented API."""
    attribute = re.compile(r"\b(?!self\b|cls\b)([A-Za-z_]\w*)\.(_[a-z]\w*)\b")
    found = []
    for path in sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for owner, name in attribute.findall(line):
                if name in ALLOWED_ATTRIBUTES or name.startswith("__"):
                    continue
                if owner in {"os"} and name == "_exit":
                    continue
                found.append(f"{path.relative_to(ROOT.parent)}:{number}: {owner}.{name}")
    assert found == []


def test_no_prepared_queries_module():
    assert not (ROOT / "prepared.py").exists()
