"""Levels as in Confluent Schema Registry: which directions each checks, per-subject config, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat.compare import compare
from compat.levels import LEVELS, Config, directions, load_config, parse, transitive
from compat.load import parse as parse_schema
from compat.model import CompatInputError

OLD: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
                       "required": ["a"]}
STRICTER = {**OLD, "required": ["a", "b"]}
"""Old documents may lack b: breaks BACKWARD. New documents are all old-valid: FORWARD holds."""


def verdict(old: Any, new: Any, level: str) -> bool:
    result = compare(parse_schema(json.dumps(old), "o.json"), parse_schema(json.dumps(new), "n.json"), level)
    return result.compatible


@pytest.mark.parametrize(("level", "tightened_ok", "loosened_ok"), [
    ("NONE", True, True),
    ("BACKWARD", False, True), ("BACKWARD_TRANSITIVE", False, True),
    ("FORWARD", True, False), ("FORWARD_TRANSITIVE", True, False),
    ("FULL", False, False), ("FULL_TRANSITIVE", False, False),
])
def test_each_level_checks_its_directions(level: str, tightened_ok: bool, loosened_ok: bool) -> None:
    assert verdict(OLD, STRICTER, level) is tightened_ok
    assert verdict(STRICTER, OLD, level) is loosened_ok
    assert verdict(OLD, OLD, level)


def test_directions_and_transitivity() -> None:
    assert [directions(level) for level in LEVELS] == [
        (), ("backward",), ("backward",), ("forward",), ("forward",), ("backward", "forward"),
        ("backward", "forward")]
    assert [transitive(level) for level in LEVELS] == [False, False, True, False, True, False, True]
    assert parse(" full_transitive ") == "FULL_TRANSITIVE"


def test_unknown_level_is_an_input_error_naming_the_valid_ones() -> None:
    with pytest.raises(CompatInputError, match="unknown compatibility level 'SIDEWAYS'; use one of NONE, BACKWARD"):
        parse("SIDEWAYS")


def test_config_both_spellings_and_default(tmp_path: Path) -> None:
    path = tmp_path / "compat.toml"
    assert load_config(path) == Config("BACKWARD", {})
    path.write_text('default_level = "FORWARD"\n[subjects]\nfit_to_fly = "FULL"\n'
                    '[subjects.belongings]\nlevel = "backward_transitive"\n')
    config = load_config(path)
    assert config.level("fit_to_fly") == "FULL" and config.level("belongings") == "BACKWARD_TRANSITIVE"
    assert config.level("other") == "FORWARD"


@pytest.mark.parametrize(("text", "message"), [
    ('default_level = "SOMETIMES"\n', "unknown compatibility level 'SOMETIMES'"),
    ('[subjects.x]\nlevel = "NEAR"\n', "unknown compatibility level 'NEAR'"),
    ("default_level = \n", "not valid TOML"),
])
def test_bad_config_is_an_input_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "compat.toml"
    path.write_text(text)
    with pytest.raises(CompatInputError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_the_repository_config_is_valid() -> None:
    load_config(Path(__file__).resolve().parents[2] / "schemas/compat.toml")
