"""One JSON Schema read under its own draft: references followed, the keywords its draft ignores dropped,
and what a subschema provably accepts (nothing at all; which JSON types; nothing in common with another).

Why sets and not keyword text: two schemas are compatible when one accepts every document the other does,
and many edits change the text without changing that set (a property that was ``false`` removed from a
closed object, a ``not`` of a type replaced by a ``not`` of a narrower type, an anyOf branch that can
match nothing). Everything here errs on one side only: ``empty`` and ``disjoint`` answer True only when it
is certain, and ``live_types`` may keep a type that has no value; so a wrong answer can only make the rules
look for a counter-example that does not exist (the check then says it cannot decide), never pass a break.
"""

from __future__ import annotations

import json
import math
from typing import Any

from compat import drafts
from compat.locate import Token

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
_NOT_MERGED = frozenset({"$ref", "$defs", "definitions", "$schema", "$id", "$comment", "title", "description",
                         "examples", "default"})
"""Siblings of ``$ref`` that do not constrain a value: following the reference ignores them."""
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "$schema", "$id",
                          "$defs", "definitions"})
_FINITE_ONLY = frozenset({"enum", "const", "type"}) | _ANNOTATIONS
"""A node with only these keywords accepts exactly its values of its types (no validator needed)."""
_DEFINITIONS = ("#/$defs/", "#/definitions/")
_MEMO = 4096
"""Judgements kept per schema (merged nodes are new objects each walk: the memo must not grow without end)."""
_DEPTH = 8
"""How deep ``empty`` and ``disjoint`` look into subschemas (recursive schemas stop there: 'not proven')."""


def resolve(node: Any, path: tuple[Token, ...], root: Any) -> tuple[Any, tuple[Token, ...]]:
    """Follow local ``$ref`` (``#/…``, or the root's own ``$id`` + ``#/…``). Up to draft-07 ``$ref`` replaces
    its object (siblings are ignored); from 2019-09 on its siblings apply too, so a ``$ref`` with constraining
    siblings becomes those siblings with the reference as one more ``allOf`` branch."""
    if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
        return node, path
    draft = drafts.of(root)
    base = root.get("$id" if draft != "draft-04" else "id", "") if isinstance(root, dict) else ""
    base = base if isinstance(base, str) else ""
    merge = drafts.siblings_of_ref_apply(draft)
    for _ in range(64):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node, path
        ref = node["$ref"]
        if base and ref.startswith(base + "#"):
            ref = ref[len(base):]
        if not ref.startswith("#"):
            return node, path
        target: Any = root
        target_path: tuple[Token, ...] = ()
        for raw in [p for p in ref[1:].split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target, target_path = target[int(part)], (*target_path, int(part))
            elif isinstance(target, dict) and part in target:
                target, target_path = target[part], (*target_path, part)
            else:
                return node, path
        extra = {k: v for k, v in node.items() if k not in _NOT_MERGED} if merge else {}
        if extra:  # both apply: the siblings, and the target as one more allOf branch (found at its own path)
            return {**extra, "allOf": [*extra.get("allOf", []), {"$ref": node["$ref"]}]}, path
        node, path = target, target_path
    return node, path


def count(node: dict[str, Any], key: str) -> int | None:
    """A length or count keyword's value (``2.0`` is ``2`` from draft-06 on), or None when absent."""
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        return None
    return int(value)


def finite(node: Any) -> list[Any] | None:
    """The values of ``const``/``enum``, when the node lists them."""
    if isinstance(node, dict):
        if "const" in node:
            return [node["const"]]
        if isinstance(node.get("enum"), list):
            return list(node["enum"])
    return None


def types(node: Any) -> frozenset[str]:
    """The declared JSON types (``number`` includes ``integer``); every type when none is declared."""
    if not isinstance(node, dict) or "type" not in node:
        return ALL_TYPES if node is not False else frozenset()
    declared = node["type"]
    found = {declared} if isinstance(declared, str) else set(declared)
    if "number" in found:
        found.add("integer")
    return frozenset(found)


def bound(node: dict[str, Any], side: str) -> tuple[float, bool, str] | None:
    """(value, exclusive, keyword) of the effective lower or upper bound (draft-04 boolean form included)."""
    plain, exclusive = ("minimum", "exclusiveMinimum") if side == "low" else ("maximum", "exclusiveMaximum")
    found: list[tuple[float, bool, str]] = []
    if isinstance(node.get(plain), int | float) and not isinstance(node.get(plain), bool):
        found.append((node[plain], node.get(exclusive) is True, plain))
    if isinstance(node.get(exclusive), int | float) and not isinstance(node.get(exclusive), bool):
        found.append((node[exclusive], True, exclusive))
    if not found:
        return None
    pick = max if side == "low" else min
    return pick(found, key=lambda b: (b[0], b[1]) if side == "low" else (b[0], not b[1]))


def items(node: dict[str, Any]) -> tuple[list[Any], str, Any, str]:
    """(tuple item schemas, their keyword, schema of the rest, its keyword): ``items`` arrays with
    ``additionalItems`` up to 2019-09, ``prefixItems`` with ``items`` in 2020-12 (the draft's validator
    has already dropped the keywords it does not know)."""
    if isinstance(node.get("items"), list):
        return node["items"], "items", node.get("additionalItems", True), "additionalItems"
    return node.get("prefixItems", []), "prefixItems", node.get("items", True), "items"


def dependencies(node: dict[str, Any]) -> tuple[dict[str, tuple[list[str], str]], dict[str, tuple[Any, str]]]:
    """Property dependencies as ({name: (names it needs, keyword)}, {name: (schema it needs, keyword)}):
    draft-07 and earlier ``dependencies`` (array or schema values), 2019-09 on ``dependentRequired`` and
    ``dependentSchemas``."""
    needs: dict[str, tuple[list[str], str]] = {}
    schemas: dict[str, tuple[Any, str]] = {}
    for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
        for name, value in (node.get(keyword) or {}).items():
            if isinstance(value, list):
                needs[name] = ([str(v) for v in value], keyword)
            else:
                schemas[name] = (value, keyword)
    return needs, schemas


class Side:
    """One schema (writer or reader) with its draft, validator and memoised judgements about subschemas."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.draft = drafts.of(root)
        self.ignored = drafts.ignored(self.draft)
        self._validator: Any = None
        self._live: dict[int, tuple[Any, frozenset[str]]] = {}
        self._text: dict[int, tuple[Any, str]] = {}
        self._plain: set[int] = set()
        """Ids of the document's own nodes with no enum or const below them (alive as long as the root)."""
        base = root.get("$id", "") if isinstance(root, dict) else ""
        foreign: list[Any] = []
        _survey(root, base if isinstance(base, str) else "", self._plain, foreign)
        self.local = not foreign
        """Does every ``$ref`` point into ``$defs``/``definitions``? Then, with equal definitions, equal
        subtrees of two schemas mean the same (a reference elsewhere, e.g. ``#``, depends on the rest of the
        document). Learnt in the same pass as the plain nodes: one walk of the document per schema."""

    def same(self, node: Any, other: Side, other_node: Any) -> bool:
        """Is the subschema equal as JSON to ``other_node`` of ``other``? Python's ``==`` also says
        ``False == 0``; in a valid schema only instance values (``enum``, ``const``) can mix booleans and
        numbers, so ``==`` settles it for subtrees without them, and canonical text for the rest."""
        if node != other_node:
            return False
        if id(node) in self._plain:
            return True
        return self.text(node) == other.text(other_node)

    def changed(self, mine: dict[str, Any], other: Side, theirs: dict[str, Any]) -> list[str]:
        """The names in both mappings whose subschemas are not ``same`` (inlined: a transitive check asks
        this for every shared property of every pair)."""
        plain, out = self._plain, []
        for name, node in mine.items():
            if name in theirs:
                their = theirs[name]
                if node != their or (id(node) not in plain and self.text(node) != other.text(their)):
                    out.append(name)
        return out

    def text(self, node: Any) -> str:
        """The subschema as canonical JSON text (memoised: a transitive check compares it many times)."""
        memo = self._text.get(id(node))
        if memo is not None and memo[0] is node:
            return memo[1]
        found = json.dumps(node, sort_keys=True)
        if len(self._text) > _MEMO:
            self._text.clear()
        self._text[id(node)] = (node, found)
        return found

    def resolve(self, node: Any, path: tuple[Token, ...] = ()) -> tuple[Any, tuple[Token, ...]]:
        return resolve(node, path, self.root)

    def known(self, node: Any) -> Any:
        """``node`` without the keywords its draft ignores (``node`` itself when it has none)."""
        if isinstance(node, dict) and not self.ignored.isdisjoint(node):
            return {k: v for k, v in node.items() if k not in self.ignored}
        return node

    def read(self, node: Any) -> Any:
        """Resolved and reduced to the draft's keywords: what the draft's validator applies."""
        return self.known(self.resolve(node)[0])

    def accepts(self, schema: Any, value: Any) -> bool:
        """The draft's real validator on ``value`` against a subschema of this root."""
        if self._validator is None:
            self._validator = drafts.validator(self.root)
        return bool(self._validator.evolve(schema=schema).is_valid(value))

    def anything(self, node: Any) -> bool:
        """Does the subschema accept every value (``true``, ``{}``, only annotations)?"""
        node = self.read(node)
        return node is True or (isinstance(node, dict) and set(node) <= _ANNOTATIONS)

    def empty(self, node: Any, depth: int = 0) -> bool:
        """Does the subschema certainly accept nothing? ``false``, ``not`` of anything, an empty enum or one
        whose values all fail, bounds that cross, types that exclude each other, a required property that
        can have no value, an allOf with an empty branch, an anyOf/oneOf whose branches are all empty."""
        return node is False or (isinstance(node, dict) and not self.live_types(node, depth))

    def live_types(self, node: Any, depth: int = 0) -> frozenset[str]:
        """The JSON types of which the subschema may accept a value (a superset: never misses one)."""
        node = self.read(node)
        if node is True or node is False or not isinstance(node, dict):
            return types(node)
        memo = self._live.get(id(node))
        if memo is not None and memo[0] is node:
            return memo[1]
        answer = self._live_types(node, depth) if depth <= _DEPTH else types(node)
        if len(self._live) > _MEMO:
            self._live.clear()
        self._live[id(node)] = (node, answer)
        return answer

    def _live_types(self, node: dict[str, Any], depth: int) -> frozenset[str]:
        if "not" in node and self.anything(node["not"]):
            return frozenset()
        live = set(types(node))
        for branch in node.get("allOf", []):
            live &= self.live_types(branch, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                found: set[str] = set()
                for branch in node[key]:
                    found |= self.live_types(branch, depth + 1)
                live &= found
        values = finite(node)
        if values is not None:
            plain = set(node) <= _FINITE_ONLY and not ("enum" in node and "const" in node)
            live &= {t for v in values if (_json_types(v) & live if plain else self.accepts(node, v))
                     for t in _json_types(v)}
        live -= self._dead(node, live, depth)
        return frozenset(live)

    def _dead(self, node: dict[str, Any], live: set[str], depth: int) -> set[str]:
        """Types the node's own bounds and requirements leave without a value."""
        dead: set[str] = set()
        if live & {"number", "integer"}:
            dead |= _dead_numbers(node)
        for low, high, kind in (("minLength", "maxLength", "string"), ("minItems", "maxItems", "array"),
                                ("minProperties", "maxProperties", "object")):
            least, most = count(node, low), count(node, high)
            if least is not None and most is not None and least > most:
                dead.add(kind)
        if "object" in live and "object" not in dead and self._object_dead(node, depth):
            dead.add("object")
        if "array" in live and "array" not in dead and self._array_dead(node, depth):
            dead.add("array")
        return dead

    def _object_dead(self, node: dict[str, Any], depth: int) -> bool:
        required = set(node.get("required", []))
        most = count(node, "maxProperties")
        if most is not None and len(required) > most:
            return True
        return any(self.absent(node, name, depth) for name in required)

    def absent(self, node: dict[str, Any], name: str, depth: int = 0) -> bool:
        """Can no object valid under ``node`` have property ``name`` (its schema, or the rest's, is empty)?"""
        properties = node.get("properties", {})
        if name in properties:
            return self.empty(self.read(properties[name]), depth + 1)
        if node.get("patternProperties"):
            return False
        return self.empty(self.read(node.get("additionalProperties", True)), depth + 1)

    def _array_dead(self, node: dict[str, Any], depth: int) -> bool:
        prefix, _, rest, _ = items(node)
        least = count(node, "minItems") or 0
        for k in range(min(least, len(prefix))):
            if self.empty(self.read(prefix[k]), depth + 1):
                return True
        return least > len(prefix) and self.empty(self.read(rest), depth + 1)

    def disjoint(self, node: Any, other: Side, other_node: Any, depth: int = 0) -> bool:
        """Is no value accepted both by ``node`` (of this schema) and by ``other_node`` (of ``other``)?"""
        a, b = self.read(node), other.read(other_node)
        if depth > _DEPTH:
            return False
        if self.empty(a, depth) or other.empty(b, depth):
            return True
        if not (self.live_types(a, depth) & other.live_types(b, depth)):
            return True
        values = finite(a)
        if values is not None and not any(self.accepts(a, v) and other.accepts(b, v) for v in values):
            return True
        values = finite(b)
        if values is not None and not any(other.accepts(b, v) and self.accepts(a, v) for v in values):
            return True
        if isinstance(a, dict) and isinstance(b, dict):
            if any(self.disjoint(branch, other, b, depth + 1) for branch in a.get("allOf", [])):
                return True
            return self._discriminated(a, other, b, depth)
        return False

    def _discriminated(self, a: dict[str, Any], other: Side, b: dict[str, Any], depth: int) -> bool:
        """Objects told apart by a property both require with disjoint schemas (a oneOf discriminator)."""
        if not (self.live_types(a, depth) <= {"object"} or other.live_types(b, depth) <= {"object"}):
            return False
        shared = set(a.get("required", [])) & set(b.get("required", []))
        return any(name in a.get("properties", {}) and name in b.get("properties", {}) and self.disjoint(
            a["properties"][name], other, b["properties"][name], depth + 1) for name in sorted(shared))


def _survey(node: Any, base: str, plain: set[int], foreign: list[Any]) -> bool:
    """Adds the ids of the nodes below ``node`` that hold no ``enum``/``const``, and to ``foreign`` each
    ``$ref`` that does not point into ``$defs``/``definitions``; True when ``node`` is plain."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and not (isinstance(ref, str) and ref.removeprefix(base).startswith(_DEFINITIONS)):
            foreign.append(ref)
        flag = "enum" not in node and "const" not in node
        for value in node.values():
            if not _survey(value, base, plain, foreign):
                flag = False
    elif isinstance(node, list):
        flag = True
        for value in node:
            if not _survey(value, base, plain, foreign):
                flag = False
    else:
        return True
    if flag:
        plain.add(id(node))
    return flag


def _json_types(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return {"integer", "number"}
    if isinstance(value, float):
        return {"number"}
    return {"string" if isinstance(value, str) else "array" if isinstance(value, list) else "object"}


def _dead_numbers(node: dict[str, Any]) -> set[str]:
    low, high = bound(node, "low"), bound(node, "high")
    if low is None or high is None:
        return set()
    if low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1])):
        return {"number", "integer"}
    least = math.ceil(low[0]) + (1 if low[1] and float(low[0]).is_integer() else 0)
    most = math.floor(high[0]) - (1 if high[1] and float(high[0]).is_integer() else 0)
    return {"integer"} if least > most else set()
