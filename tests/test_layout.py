"""The house's rules, checked on the code: no import loop between top-level packages, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "ingest", "assistant", "evals", "ui")
# Each package may import only those below it.
ALLOWED = {
    "core": set(),
    "ingest": {"core"},
    "assistant": {"core", "ingest"},
    "evals": {"core", "ingest", "assistant"},
    "ui": {"core", "assistant"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_top_level_packages_import_only_the_floors_below():
    wrong = [
        f"{path.relative_to(ROOT)} imports {other}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for other in _imports(path) - ALLOWED[package] - {package}
    ]
    assert wrong == []


def test_no_module_is_much_over_400_lines():
    long = [
        f"{path.relative_to(ROOT)}: {n}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 440
    ]
    assert long == []
