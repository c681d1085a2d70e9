"""Fuzz of the record path, broker-free, for volume: 100,000 mutated records through the engine and the
dead-letter builder never raise, and every record is accounted for (processed, duplicate or dead-lettered,
each dead letter with a known stage and a letter that fits a produce request).

The same mutations go through a real broker, at a smaller volume, in
``tests/integration/test_validator_faults.py`` (there the dead letters are read back from the DLQ topic).
"""

from __future__ import annotations

import random
from collections import Counter

from bench.streams import chain_records
from consumers.dlq import LETTER_LIMIT, dead_letter
from consumers.records import ConsumedRecord
from runtime.poison import PoisonHeaders, RawHeaderKey
from schemas.deadletters import STAGES
from validator.engine import Engine

MUTATED = 100_000


def mutate(record: ConsumedRecord, rng: random.Random, others: list[ConsumedRecord]) -> ConsumedRecord:
    """One random change (or two) to a valid record: its key, value or headers, or a copy of it as is."""
    key, value, headers = record.key, record.value or b"", list(record.headers)
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(14)
        if kind == 0:
            value = bytes(b ^ (1 << rng.randrange(8)) if rng.random() < 0.05 else b for b in value)
        elif kind == 1:
            value = value[:rng.randrange(len(value) + 1)]
        elif kind == 2:
            value = value + rng.randbytes(rng.randrange(1, 40))
        elif kind == 3:
            value = rng.randbytes(rng.randrange(0, 300))
        elif kind == 4:
            at = rng.randrange(max(len(value), 1))
            value = value[:at] + bytes([rng.randrange(256)]) + value[at + 1:]
        elif kind == 5:
            key = rng.choice((None, b"", rng.randbytes(rng.randrange(1, 40)), b"\xff\xfe" + (key or b"")))
        elif kind == 6:
            key = rng.choice(others).key
        elif kind == 7:
            headers = [(k, v) for k, v in headers if rng.random() < 0.5]
        elif kind == 8:
            headers.append((rng.choice(("content-type", "ce_type", "ce_id", "x")), rng.randbytes(rng.randrange(30))))
        elif kind == 9:
            headers = [("content-type", rng.choice((b"application/json", b"text/plain", b"application/avro")))]
        elif kind == 10:
            headers.append((RawHeaderKey(b"\xff\xfek".decode("utf-8", "surrogateescape")), b"v"))
            headers = PoisonHeaders(headers, "header-key-not-utf8", "a header key is not UTF-8")
        elif kind == 11:
            value = rng.choice(others).value or b""
        elif kind == 12:
            value = record.value or b""  # a re-send: the original value under possibly changed key or headers
        else:
            return record  # an exact copy: a re-delivery
    return record._replace(key=key, value=value, headers=headers)


def test_a_hundred_thousand_mutated_records_never_crash_and_are_all_accounted_for() -> None:
    rng = random.Random(16)
    originals = chain_records(300)
    engine = Engine(eviction_grace_hours=168)
    engine.feed(originals)
    stages: Counter[str] = Counter()
    for n in range(MUTATED):
        record = mutate(rng.choice(originals), rng, originals)._replace(offset=10**7 + n)
        _, rejection = engine.process(record)
        if rejection is not None:
            assert rejection.stage in STAGES, rejection
            stages[rejection.stage] += 1
            letter = dead_letter(record, stage=rejection.stage, code=rejection.code, reason=rejection.reason,
                                 path=rejection.path)
            size = sum(len(k.encode()) + len(v) for k, v in letter.headers)
            assert size + len(letter.key or b"") + len(letter.value or b"") <= LETTER_LIMIT
    counters = engine.state.counters
    assert counters.consumed == len(originals) + MUTATED
    assert counters.consumed == counters.processed + counters.duplicates + counters.dead_lettered
    assert sum(engine.state.rejections.values()) == counters.dead_lettered == sum(stages.values())
    # every way of failing was reached, and so were duplicates and valid re-keyed records
    assert set(stages) == {"decode", "validate", "semantic"} and counters.duplicates > 1000
    assert {"event-id-conflict", "header-key-not-utf8", "key-mismatch", "no-key"} <= set(engine.state.rejections)
    engine.verdicts()  # the state the mutations left can still be judged
