"""Counter-examples: a document valid under the writer's schema that the reader's schema rejects *at the
place the violation is about*, checked with the ``jsonschema`` validator before anyone sees it.

Why "at the place": with two violations in one change, a document that only misses a newly required
property is also "rejected by the new schema", yet says nothing about a narrowed enum elsewhere. So a
candidate counts only when the reader reports an error at the probe's document path (or at its parent, for
errors about the presence of a property or the length of an array). Nothing unverified is ever shown.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from compat import drafts, samples
from compat.finding import Probe
from compat.jsonschema_side import resolve
from compat.locate import Token

_ABOUT_CHILDREN = frozenset({"additionalProperties", "unevaluatedProperties", "propertyNames", "maxProperties",
                             "items", "prefixItems", "additionalItems", "unevaluatedItems", "maxItems"})
"""Keywords that reject a parent because of one of its members (reported at the parent's path; a ``false``
subschema under ``properties`` is reported there too, with no keyword)."""
MAX_CANDIDATES = 80
"""Candidates tried per probe: the search stays fast when a violation has no counter-example."""


def find(writer: Any, reader: Any, probe: Probe) -> tuple[bool, Any]:
    """(verified, document): verified only when ``writer`` accepts it and ``reader`` rejects it at the probe."""
    writer_text, reader_text = json.dumps(writer, sort_keys=True), json.dumps(reader, sort_keys=True)
    old, new = _validator(writer_text), _validator(reader_text)
    for base in _bases(writer_text, reader_text) or (None,):  # no example of the writer: containers are made
        for doc in _documents(base, probe, writer, reader):
            if old.is_valid(doc) and _rejected_at(new, doc, probe.where):
                return True, doc
    return False, None


@functools.lru_cache(maxsize=1024)
def _validator(text: str) -> Any:
    return drafts.validator(json.loads(text))


@functools.lru_cache(maxsize=1024)
def _bases(writer_text: str, reader_text: str) -> tuple[Any, ...]:
    """Small valid documents of the writer; one the reader accepts too comes first (it isolates the probe).

    Memoised per schema pair (callers only copy them): one change often has a violation per added property.
    """
    writer, reader = json.loads(writer_text), json.loads(reader_text)
    old, new = _validator(writer_text), _validator(reader_text)
    found = []
    for source in (writer, reader):
        value = samples.example(source, source)
        if value is not samples.MISSING and old.is_valid(value):
            found.append(value)
    found.sort(key=lambda doc: not new.is_valid(doc))
    return tuple(found[:2])


def _documents(base: Any, probe: Probe, writer: Any, reader: Any) -> list[Any]:
    if probe.action == "omit":
        holder = _place(base, probe.where, samples.MISSING, writer)
        if holder is samples.MISSING:
            return []
        parent = _get(holder, probe.where)
        if isinstance(parent, dict):
            parent.pop(probe.name, None)
        return [holder]
    docs, seen = [], set()
    for value in samples.candidates(probe.writer, probe.reader, writer):
        marker = samples.key(value)
        if marker in seen:
            continue
        seen.add(marker)
        doc = _place(base, probe.where, value, writer)
        if doc is not samples.MISSING:
            docs.append(doc)
        if len(seen) >= MAX_CANDIDATES:
            break
    return docs


def _rejected_at(validator: Any, doc: Any, where: tuple[Token, ...]) -> bool:
    """Does the reader reject ``doc`` at ``where`` (or below), or at its parent for a reason about the child's
    presence (a closed object, an array that may not have that item)?"""
    return any(_at(error, tuple(where)) for error in validator.iter_errors(doc))


def _at(error: Any, where: tuple[Token, ...]) -> bool:
    """Is the error at ``where`` — itself, or through the branch errors of an anyOf/oneOf that failed?"""
    path = tuple(error.absolute_path)
    if path[:len(where)] == where:
        return True
    if where and path == where[:-1] and (error.validator in _ABOUT_CHILDREN or error.validator is None):
        return True
    return any(_at(sub, where) for sub in error.context or ())


def _get(doc: Any, where: tuple[Token, ...]) -> Any:
    for token in where:
        doc = doc[token]
    return doc


def _place(base: Any, where: tuple[Token, ...], value: Any, root: Any) -> Any:
    """A copy of ``base`` with ``value`` at ``where`` (``MISSING``: only make sure the containers exist)."""
    if not where:
        return copy.deepcopy(base) if value is samples.MISSING else copy.deepcopy(value)
    doc = copy.deepcopy(base)
    holder: Any = {"": doc}
    parent: Any = holder
    slot: Token = ""
    for depth, token in enumerate(where):
        current = parent[slot]
        wanted = list if isinstance(token, int) else dict
        if not isinstance(current, wanted):
            current = _container(root, where[:depth], wanted)
            if current is samples.MISSING:
                return samples.MISSING
            parent[slot] = current
        if isinstance(token, int):
            while len(current) <= token:
                item = samples.example(_sub(root, (*where[:depth], len(current))), root)
                current.append(None if item is samples.MISSING else item)
        elif token not in current:
            item = samples.example(_sub(root, where[: depth + 1]), root)
            current[token] = None if item is samples.MISSING else item
        parent, slot = current, token
    if value is samples.MISSING:
        container = parent[slot]
        if not isinstance(container, dict):
            container = _container(root, where, dict)
            if container is samples.MISSING:
                return samples.MISSING
            parent[slot] = container
    else:
        parent[slot] = copy.deepcopy(value)
    return holder[""]


def _container(root: Any, where: tuple[Token, ...], wanted: type) -> Any:
    """An example object or array for the writer's schema at ``where``."""
    node = _pick(resolve(_sub(root, where), (), root)[0], root, "object" if wanted is dict else "array")
    value = samples.example({**node, "type": "object" if wanted is dict else "array"}, root) \
        if isinstance(node, dict) else samples.MISSING
    if isinstance(value, wanted):
        return value
    return wanted()


def _pick(node: Any, root: Any, kind: str) -> Any:
    """The anyOf/oneOf branch of ``node`` that can be a ``kind`` (objects and arrays live in one branch)."""
    if isinstance(node, dict):
        for key in ("anyOf", "oneOf"):
            for branch in node.get(key, []):
                resolved = resolve(branch, (), root)[0]
                declared = resolved.get("type") if isinstance(resolved, dict) else None
                if declared == kind or (isinstance(declared, list) and kind in declared) or (
                        isinstance(resolved, dict) and declared is None and
                        ("properties" in resolved if kind == "object" else "items" in resolved)):
                    return resolved
    return node


def _sub(root: Any, where: tuple[Token, ...]) -> Any:
    """The writer's schema at a document path (through $ref, anyOf/oneOf, properties and items)."""
    node = root
    for token in where:
        node = _pick(resolve(node, (), root)[0], root, "array" if isinstance(token, int) else "object")
        if not isinstance(node, dict):
            return True
        if isinstance(token, int):
            prefix = node.get("prefixItems", node["items"] if isinstance(node.get("items"), list) else [])
            rest = node.get("items", True) if not isinstance(node.get("items"), list) else \
                node.get("additionalItems", True)
            node = prefix[token] if isinstance(prefix, list) and token < len(prefix) else rest
        else:
            node = node.get("properties", {}).get(token, node.get("additionalProperties", True))
    return node
