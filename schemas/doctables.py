"""Markdown tables of a released record: its fields, the records nested in it and its enums.

Why apart from ``schemas.docs``: the chain's subjects and the validator's finding are both documented with
these tables, from their released Avro file (types, docs) and JSON Schema (required, constraints).
"""

from __future__ import annotations

from typing import Any


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def avro_type(schema: Any) -> str:
    """An Avro type as the tables show it."""
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return " | ".join(avro_type(s) for s in schema)
    if schema.get("logicalType"):
        return str(schema["logicalType"])
    if schema["type"] == "array":
        return f"array<{avro_type(schema['items'])}>"
    if schema["type"] in ("enum", "record"):
        return f"{schema['type']} {schema['name']}"
    return str(schema["type"])


def _constraints(prop: dict[str, Any]) -> str:
    parts = []
    for key, label in (("pattern", "pattern"), ("minLength", "min length"), ("maxLength", "max length"),
                       ("minimum", "≥"), ("maximum", "≤")):
        if key in prop:
            value = f"`{prop[key]}`" if key == "pattern" else str(prop[key])
            parts.append(f"{label} {value}")
    return cell(", ".join(parts))


def _named(schema: Any, enums: dict[str, list[str]], records: list[dict[str, Any]]) -> None:
    """Collect the enums and records defined inside ``schema``, in the order they are defined."""
    if isinstance(schema, list):
        for item in schema:
            _named(item, enums, records)
    elif isinstance(schema, dict):
        if schema.get("type") == "enum":
            enums[schema["name"]] = schema["symbols"]
        if schema.get("type") == "record":
            records.append(schema)
            for field in schema["fields"]:
                _named(field["type"], enums, records)
        _named(schema.get("items"), enums, records)
        _named(schema.get("type") if isinstance(schema.get("type"), dict | list) else None, enums, records)


def _fields(record: dict[str, Any], json_schema: dict[str, Any]) -> list[str]:
    props = json_schema.get("properties", {})
    required = set(json_schema.get("required", []))
    lines = ["| field | type | required | constraints | description |", "|---|---|---|---|---|"]
    for field in record["fields"]:
        lines.append(f"| `{field['name']}` | {cell(avro_type(field['type']))} | "
                     f"{'yes' if field['name'] in required else 'no'} | {_constraints(props.get(field['name'], {}))} | "
                     f"{cell(field.get('doc', ''))} |")
    return lines


def record_tables(avro: dict[str, Any], json_schema: dict[str, Any]) -> list[str]:
    """The fields of ``avro`` (a released record), then of each record nested in it, then its enums."""
    enums: dict[str, list[str]] = {}
    nested: list[dict[str, Any]] = []
    for field in avro["fields"]:
        _named(field["type"], enums, nested)
    lines = _fields(avro, json_schema)
    for record in nested:
        lines += ["", f"Record `{record['name']}`: {record['doc']}", "",
                  *_fields(record, json_schema.get("$defs", {}).get(record["name"], {}))]
    if enums:
        lines += ["", "| enum | symbols |", "|---|---|"]
        lines += [f"| {name} | {', '.join(f'`{s}`' for s in symbols)} |" for name, symbols in enums.items()]
    return lines
