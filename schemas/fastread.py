"""A faster reader for Avro bodies written with the reader's own schema: the validator's hot path.

Why a native reader next to fastavro: ``sigma_native.AvroReader`` (Rust, ``native/src/avro.rs``) compiles a
schema into a tree of nodes and reads a chain event in about a quarter of fastavro's time (``make bench``'s
codec rows show the ratio per event type), and offline validation of a recording is mostly decoding.
fastavro stays the project's Avro library for writing, for schema resolution (a writer older than the
reader) and for every error: the native reader only ever answers "here is the value" or "ask fastavro"
(None), and the codec then asks fastavro, so errors read exactly as before and a value is accepted only if
fastavro accepts it too. ``tests/unit/test_schemas_fastread.py`` checks both: equal values (never a decline)
for random records of every released schema and of a schema with every node kind, and a decline or
fastavro's value on every single-byte corruption and on thousands of random corruptions of a value.

The native reader is strict: it reads the canonical encoding of the Avro specification and declines where
fastavro is lenient (a boolean byte other than 0 or 1, a negative enum or union index, a varint longer than
its shortest form, …), which fastavro then reads; so it need not copy fastavro's quirks to agree with it.

It also checks the constraints Avro cannot express (``schemas.constraints``: patterns, lengths, ranges) on
the raw values, and declines a value breaking one; fastavro then reads it and ``schemas.constraints`` names
the broken constraint, so the error is the one the Python path gives. Why there: the Python checks (a
compiled function per schema, a regex search per pattern) cost about a tenth of offline validation. A
constraint it cannot check exactly (a pattern beyond its small subset, ``native/src/constraints.rs``) makes
``body_reader`` return None for that schema, never a laxer check; a test checks that every released
version gets a native reader.

Without the native module (not installed, or ``SIGMA_NATIVE=0``: ``schemas.native``) ``body_reader``
returns None and fastavro reads everything: slower, never different.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from schemas import native
from schemas.constraints import Constraints

if native.UNUSED is None:
    from sigma_native import AvroReader


class BodyReader(Protocol):
    """Reads one writer schema's bodies: the value in ``value[offset:]``, or None meaning "ask fastavro"."""

    def read(self, value: bytes, offset: int, /) -> dict[str, Any] | None: ...


def body_reader(document: dict[str, Any], constraints: Constraints | None = None) -> BodyReader | None:
    """The fast reader for the released ``.avsc`` ``document``, declining values that break ``constraints``
    (the same version's limits Avro cannot express); None when fastavro must read it all."""
    if native.UNUSED is not None:
        return None
    try:
        reader: BodyReader = AvroReader(json.dumps(document),
                                        None if constraints is None else json.dumps(constraints.spec()))
    except ValueError:  # a type the native reader does not read (a logical type it does not know), or a
        return None    # constraint it does not check (a pattern beyond its subset)
    return reader
