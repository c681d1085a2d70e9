"""A faster reader for Avro bodies written with the reader's own schema: the validator's hot path.

Why a native reader next to fastavro: ``sigma_native.AvroReader`` (Rust, ``native/src/avro.rs``) compiles a
schema into a tree of nodes and reads a chain event in about a quarter of fastavro's time (``make bench``'s
codec rows show the ratio per event type), and offline validation of a recording is mostly decoding.
fastavro stays the project's Avro library for writing, for schema resolution (a writer older than the
reader) and for every error: the native reader only ever answers "here is the value" or "ask fastavro"
(None), and the codec then asks fastavro, so errors read exactly as before and a value is accepted only if
fastavro accepts it too. ``tests/unit/test_schemas_fastread.py`` checks both: equal values for random
records of every released schema and of a schema with every node kind, and the same answer as fastavro on
every single-byte corruption and on thousands of random corruptions of a value.

Without the native module (``pip install`` on a machine without Rust), ``body_reader`` returns None and
fastavro reads everything: slower, never different.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

try:
    from sigma_native import AvroReader
    NATIVE = True
    """Whether the native reader is installed (the test suite requires it; ``make bench`` says so)."""
except ImportError:  # pragma: no cover - the project's own installs build it (make venv)
    NATIVE = False


class BodyReader(Protocol):
    """Reads one writer schema's bodies: the value in ``value[offset:]``, or None meaning "ask fastavro"."""

    def read(self, value: bytes, offset: int, /) -> dict[str, Any] | None: ...


def body_reader(document: dict[str, Any]) -> BodyReader | None:
    """The fast reader for the released ``.avsc`` ``document``; None when fastavro must read it all."""
    if not NATIVE:
        return None
    try:
        reader: BodyReader = AvroReader(json.dumps(document))
    except ValueError:  # a type the native reader does not read (a logical type it does not know)
        return None
    return reader
