"""The rooms of the design card import only downwards; nothing imports the CLI.

Parses every module's imports (no execution), so an upward import fails here before review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("schemas", "producers", "consumers", "validator", "sigma")
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "producers": {"schemas", "sigma"},
    "consumers": {"schemas", "sigma"},
    "validator": {"schemas", "consumers", "sigma"},
    "sigma": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


@pytest.mark.parametrize("room", ROOMS)
def test_room_imports_only_what_the_design_allows(room: str) -> None:
    offenders = []
    for path in _modules(room):
        in_cli = room == "sigma" and "cli" in path.relative_to(ROOT / "sigma").parts
        for name in _imports(path):
            top = name.split(".")[0]
            if top not in ROOMS or (top == room and not name.startswith("sigma.cli")):
                continue
            if in_cli:
                continue
            if name.startswith("sigma.cli") or (top != room and top not in ALLOWED[room]):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from validator.engine import Engine\nimport sigma.cli.main\n")
    assert _imports(bad) == {"validator.engine", "sigma.cli.main"}
