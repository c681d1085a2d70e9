"""Paths inside a schema (``$.properties.bags.minimum``, ``$.fields[3].type``) and the file line they are on.

Why a position-tracking scan instead of searching for names: the same name occurs many times in a schema
(``type``, ``items``, a field called ``name``), and a CI annotation on the wrong line is worse than none.
The line is that of the deepest part of the path that exists in the file, so a removed property points at
the object that lost it.
"""

from __future__ import annotations

import functools
import importlib
import re
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

Token = str | int

_scanstring: Any = importlib.import_module("json.decoder").scanstring  # the stdlib's scanner: every escape
_PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_SEGMENT = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*')\]")


def render(tokens: Sequence[Token]) -> str:
    """``$`` followed by ``.name``, ``[index]`` or ``['odd name']`` per token."""
    out = ["$"]
    for token in tokens:
        if isinstance(token, int):
            out.append(f"[{token}]")
        elif _PLAIN.match(token):
            out.append(f".{token}")
        else:
            out.append("['" + token.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(out)


def parse(path: str) -> tuple[Token, ...]:
    """The tokens of a rendered path (the inverse of ``render``); unknown syntax ends the path there."""
    tokens: list[Token] = []
    position = 1 if path.startswith("$") else 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if not match:
            break
        name, index, quoted = match.groups()
        if name is not None:
            tokens.append(name)
        elif index is not None:
            tokens.append(int(index))
        else:
            tokens.append(re.sub(r"\\(.)", r"\1", quoted[1:-1]))
        position = match.end()
    return tuple(tokens)


def line_of(text: str, path: str) -> int:
    """1-based line of the deepest existing part of ``path`` in the JSON ``text`` (1 when nothing matches)."""
    lines = _line_map(text)
    tokens = parse(path)
    for end in range(len(tokens), -1, -1):
        found = lines.get(tokens[:end])
        if found is not None:
            return found
    return 1


@functools.lru_cache(maxsize=512)
def _line_map(text: str) -> dict[tuple[Token, ...], int]:
    """Line of every member key and array element in ``text``; empty when the text is not JSON."""
    try:
        return _Scanner(text).run()
    except (IndexError, ValueError):
        return {}


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.out: dict[tuple[Token, ...], int] = {}

    def line(self, position: int) -> int:
        return bisect_left(self.newlines, position) + 1

    def skip(self, position: int) -> int:
        while self.text[position] in " \t\r\n":
            position += 1
        return position

    def run(self) -> dict[tuple[Token, ...], int]:
        start = self.skip(0)
        self.out[()] = self.line(start)
        self.value(start, ())
        return self.out

    def value(self, position: int, key: tuple[Token, ...]) -> int:
        position = self.skip(position)
        char = self.text[position]
        if char == "{":
            return self.members(position + 1, key)
        if char == "[":
            return self.elements(position + 1, key)
        if char == '"':
            return int(_scanstring(self.text, position + 1)[1])
        while position < len(self.text) and self.text[position] not in ",]} \t\r\n":
            position += 1
        return position

    def members(self, position: int, key: tuple[Token, ...]) -> int:
        position = self.skip(position)
        if self.text[position] == "}":
            return position + 1
        while True:
            position = self.skip(position)
            name, after = _scanstring(self.text, position + 1)
            self.out[(*key, name)] = self.line(position)
            position = self.skip(after)
            if self.text[position] != ":":
                raise ValueError("expected ':'")
            position = self.skip(self.value(position + 1, (*key, name)))
            if self.text[position] == "}":
                return position + 1
            position += 1

    def elements(self, position: int, key: tuple[Token, ...]) -> int:
        position = self.skip(position)
        if self.text[position] == "]":
            return position + 1
        index = 0
        while True:
            position = self.skip(position)
            self.out[(*key, index)] = self.line(position)
            position = self.skip(self.value(position, (*key, index)))
            if self.text[position] == "]":
                return position + 1
            position += 1
            index += 1
