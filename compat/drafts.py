"""JSON Schema drafts: which one a schema is written in, its validator, and which keywords it ignores.

Why this matters for compatibility: the same text means different sets of documents in different drafts.
``items: [...]`` is a tuple in draft-07 and invalid in 2020-12; ``dependencies`` constrains in draft-07 and
is an unknown (ignored) keyword in 2020-12; siblings of ``$ref`` are ignored up to draft-07 and applied from
2019-09 on. A schema names its draft with ``$schema``; one without it gets the configured default, draft-07
as in Confluent Schema Registry. ``load`` writes the chosen draft into the document's ``$schema``, so every
later step (the rules, the real validator that verifies counter-examples) reads the same draft from it.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import validators

from compat.model import CompatInputError


def _additional_items(cls: Any) -> Any:
    """``cls`` with ``additionalItems`` ignored next to a boolean ``items`` (as the drafts say: it only acts
    after an ``items`` array), where ``jsonschema`` 4.26 raises a TypeError instead."""
    legacy = cls.VALIDATORS["additionalItems"]

    def additional_items(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if isinstance(schema.get("items"), bool):
            return iter(())
        return legacy(validator, value, instance, schema)

    return validators.extend(cls, {"additionalItems": additional_items})


VALIDATORS: dict[str, Any] = {
    "draft-04": validators.Draft4Validator,
    "draft-06": _additional_items(validators.Draft6Validator),
    "draft-07": _additional_items(validators.Draft7Validator),
    "2019-09": _additional_items(validators.Draft201909Validator),
    "2020-12": validators.Draft202012Validator,
}
"""Every draft a schema registry accepts, oldest first, with the ``jsonschema`` validator of its semantics."""
DEFAULT = "draft-07"
NAMES = tuple(VALIDATORS)
_ALIASES = {"4": "draft-04", "6": "draft-06", "7": "draft-07", "201909": "2019-09", "202012": "2020-12"}
_BY_URI = {cls.META_SCHEMA["$schema" if "$schema" in cls.META_SCHEMA else "$id"].rstrip("#"): name
           for name, cls in VALIDATORS.items()}


def parse_name(text: str) -> str:
    """The canonical draft name from what a user types: ``7``, ``draft-07``, ``draft7``, ``2020-12``…"""
    key = str(text).strip().lower().removeprefix("draft").strip("-").replace("-", "").lstrip("0")
    name = _ALIASES.get(key)
    if name is None:
        raise CompatInputError(f"unknown JSON Schema draft {text!r}; use one of {', '.join(NAMES)}")
    return name


def uri(name: str) -> str:
    """The ``$schema`` URI of a draft."""
    meta = VALIDATORS[name].META_SCHEMA
    return str(meta["$schema"] if "$schema" in meta else meta["$id"])


@functools.lru_cache(maxsize=64)
def _named(schema_uri: str) -> str | None:
    found = validators.validator_for({"$schema": schema_uri}, default=None)
    return next((name for name, cls in VALIDATORS.items() if found is not None and cls.META_SCHEMA is
                 found.META_SCHEMA), _BY_URI.get(schema_uri.rstrip("#")))


def of(document: Any, default: str = DEFAULT) -> str:
    """The draft of a schema: its ``$schema`` when it names a known draft, else ``default``."""
    declared = document.get("$schema") if isinstance(document, dict) else None
    if isinstance(declared, str):
        return _named(declared) or default
    return default


def with_draft(document: Any, name: str) -> Any:
    """The document with ``$schema`` set to ``name`` when it has none (booleans mean the same in every draft)."""
    if isinstance(document, dict) and "$schema" not in document:
        return {"$schema": uri(name), **document}
    return document


def validator(document: Any) -> Any:
    """A validator of the document's own draft (``DEFAULT`` when it names none)."""
    cls = VALIDATORS[of(document)]
    return cls(document)


@functools.lru_cache(maxsize=8)
def ignored(name: str) -> frozenset[str]:
    """Keywords of other drafts that this draft's validator does not know, and so ignores."""
    return frozenset(set().union(*map(_known, NAMES)) - _known(name))


def _known(name: str) -> set[str]:
    """The draft's keywords: its validator's table, and those that act through another one there."""
    known = set(VALIDATORS[name].VALIDATORS)
    if "if" in known:
        known |= {"then", "else"}
    if name == "draft-04":  # the boolean modifiers of minimum/maximum
        known |= {"exclusiveMinimum", "exclusiveMaximum"}
    if name in ("2019-09", "2020-12"):  # the bounds of contains
        known |= {"minContains", "maxContains"}
    return known


def siblings_of_ref_apply(name: str) -> bool:
    """From 2019-09 on, keywords next to ``$ref`` constrain too; before, ``$ref`` replaces its object."""
    return name in ("2019-09", "2020-12")
