"""The line of a schema file a violation points at (for file:line annotations)."""

from __future__ import annotations

import re


def line_of(text: str, path: str) -> int:
    """Best line for a ``$.a.b.c`` path: the last named key found, searching in path order; else line 1."""
    names = [p for p in re.split(r"[.\[\]]", path) if p and p != "$" and not p.isdigit()]
    skip = {"properties", "fields", "type", "items", "required", "anyOf", "oneOf", "symbols", "enum"}
    position, line = 0, 1
    for name in names:
        if name in skip and name != names[-1]:
            continue
        match = re.compile(rf'"(?:name"\s*:\s*")?{re.escape(name)}"').search(text, position)
        if match:
            position = match.start()
            line = text.count("\n", 0, position) + 1
    return line
