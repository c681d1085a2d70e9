"""The rooms of the design import only downwards: one table, no exceptions.

Parses every module's imports (no execution), so an upward import fails here before review. The table is
the README's architecture table: ``runtime`` is the ground floor, the message book and the compatibility
checker stand on it, producers, consumers and the validator above them, and the ``sigma`` command line (the
composition root) on top, imported by nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED: dict[str, frozenset[str]] = {
    "runtime": frozenset(),
    "schemas": frozenset(),
    "compat": frozenset({"schemas", "runtime"}),
    "producers": frozenset({"schemas", "runtime"}),
    "consumers": frozenset({"schemas", "runtime"}),
    "validator": frozenset({"schemas", "consumers", "runtime"}),
    "sigma": frozenset({"runtime", "schemas", "compat", "producers", "consumers", "validator"}),
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


def offenders(room: str, paths: list[Path]) -> list[str]:
    """Every import in ``paths`` (modules of ``room``) of another room that the table does not allow."""
    found = []
    for path in paths:
        for name in sorted(_imports(path)):
            top = name.split(".")[0]
            if top in ALLOWED and top != room and top not in ALLOWED[room]:
                found.append(f"{path.name} imports {name}")
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_the_design_allows(room: str) -> None:
    paths = sorted((ROOT / room).rglob("*.py"))
    assert paths, f"room {room}/ has no modules: the table and the tree disagree"
    assert offenders(room, paths) == []


def test_every_python_folder_is_a_room_of_the_table() -> None:
    """A new top-level package must be placed in the table, or the test above would never look at it."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} == set(ALLOWED)


@pytest.mark.parametrize(
    ("room", "source", "caught"),
    [
        ("schemas", "from validator.engine import Engine\n", "validator.engine"),
        ("runtime", "import schemas.codec\n", "schemas.codec"),
        ("validator", "from sigma.main import app\n", "sigma.main"),
        ("consumers", "def f() -> None:\n    from validator import offline\n", "validator"),
        ("compat", "import producers.runner as r\n", "producers.runner"),
    ],
)
def test_the_checker_catches_an_upward_import(tmp_path: Path, room: str, source: str, caught: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    assert offenders(room, [bad]) == [f"bad.py imports {caught}"]


def test_the_checker_lets_a_downward_import_pass(tmp_path: Path) -> None:
    fine = tmp_path / "fine.py"
    fine.write_text("from schemas.codec import Codec\nfrom runtime import clients\nimport validator.engine\n")
    assert offenders("sigma", [fine]) == []
