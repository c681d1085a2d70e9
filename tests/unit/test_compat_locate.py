"""Paths inside a schema and the line they are on (what CI annotations point at)."""

from __future__ import annotations

import json

from compat.locate import line_of, parse, render

TEXT = json.dumps({"type": "object", "properties": {
    "type": {"type": "string", "maxLength": 3},
    "odd.name": {"items": [{"type": "integer"}, {"enum": ["a", "b"]}]},
}}, indent=2)
LINES = TEXT.splitlines()


def line(path: str) -> str:
    return LINES[line_of(TEXT, path) - 1].strip()


def test_each_path_points_at_its_own_line_even_with_repeated_names() -> None:
    assert line("$.properties.type.maxLength") == '"maxLength": 3'
    assert line("$.properties.type.type") == '"type": "string",'
    assert line("$.type") == '"type": "object",'
    assert line("$.properties['odd.name'].items[1].enum[1]") == '"b"'


def test_missing_parts_fall_back_to_the_deepest_existing_one() -> None:
    assert line("$.properties.type.pattern") == '"type": {'
    assert line("$.properties.gone.type") == '"properties": {'
    assert line_of("not json", "$.a") == 1


def test_render_and_parse_round_trip() -> None:
    for tokens in [(), ("properties", "a.b", 0, "$defs"), ("x", "it's", "back\\slash"), ("fields", 3, "type")]:
        assert parse(render(tokens)) == tokens
    assert render(("fields", 3, "type")) == "$.fields[3].type"
