"""Codec rates per event type next to plain fastavro on the same records (no broker needed).

Baselines, measured in the same run: fastavro ``schemaless_writer`` / ``schemaless_reader`` with the schema
parsed once, on the event's field dict and its bare Avro body. The codec adds the single-object framing,
the fingerprint lookup and (for models) ``model_construct``. Target: encode and ``decode`` within 25% of the
baseline's time. ``python -m bench.bench_codec [--quick]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from io import BytesIO

from fastavro import schemaless_reader, schemaless_writer

from schemas.catalogue import CATALOGUE
from schemas.codec import AvroSerializer, Deserializer
from schemas.events import EVENT_TYPES
from schemas.examples import example

TARGET_OVERHEAD = 0.25


def _rate(work: Callable[[], object], count: int, rounds: int) -> float:
    """Best of ``rounds`` runs of ``count`` calls, in calls per second (best: least disturbed by neighbours)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(count):
            work()
        best = min(best, time.perf_counter() - started)
    return count / best


def main(argv: list[str]) -> int:
    """Print a table of rates and overheads; exit 0 (the verdict is in the table, not the exit code)."""
    quick = "--quick" in argv
    count, rounds = (5_000, 3) if quick else (20_000, 5)
    encode, decoder = AvroSerializer(), Deserializer()
    print(f"codec vs plain fastavro, {count} records x best of {rounds}; overhead = codec time / fastavro time - 1")
    print(f"{'subject':<26} {'bytes':>5} {'enc fastavro/s':>14} {'enc codec/s':>12} {'ovh':>6} "
          f"{'dec fastavro/s':>14} {'dec codec/s':>12} {'ovh':>6} {'model/s':>9}")
    worst = 0.0
    for model in EVENT_TYPES:
        event = example(model)
        schema = CATALOGUE.avro_schema(model.subject, model.version)
        fields = dict(event.__dict__)
        value = encode(event)
        body = value[10:]

        def plain_write(fields: dict[str, object] = fields, schema: dict[str, object] = schema) -> bytes:
            out = BytesIO()
            schemaless_writer(out, schema, fields)
            return out.getvalue()

        def plain_read(body: bytes = body, schema: dict[str, object] = schema) -> object:
            return schemaless_reader(BytesIO(body), schema, None)

        enc_base = _rate(plain_write, count, rounds)
        enc_codec = _rate(partial(encode, event), count, rounds)
        dec_base = _rate(plain_read, count, rounds)
        dec_codec = _rate(partial(decoder.decode, value), count, rounds)
        dec_model = _rate(partial(decoder, value), count, rounds)
        enc_ovh, dec_ovh = enc_base / enc_codec - 1, dec_base / dec_codec - 1
        worst = max(worst, enc_ovh, dec_ovh)
        print(f"{model.subject:<26} {len(value):>5} {enc_base:>14,.0f} {enc_codec:>12,.0f} {enc_ovh:>+6.0%} "
              f"{dec_base:>14,.0f} {dec_codec:>12,.0f} {dec_ovh:>+6.0%} {dec_model:>9,.0f}")
    verdict = "within" if worst <= TARGET_OVERHEAD else "OVER"
    print(f"worst overhead {worst:+.0%}: {verdict} the {TARGET_OVERHEAD:.0%} target "
          "(model/s: decode into pydantic models with model_construct, not part of the target)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
