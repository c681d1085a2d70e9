"""The consumers ``bench_validator`` measures the validator against: a bare floor and two peers, which are
what a competent engineer would write instead of running the validator.

Both peers read every chain topic from the beginning and, per event, decode the Avro value with plain
fastavro (writer schema found by the single-object fingerprint, parsed once at start), validate it and
append it to its case's list. Neither checks the Kafka key against the payload's case key or the topic
against the subject, keeps a dossier, judges a case, publishes a finding, dead-letters a bad record (the
first invalid one stops it), snapshots its state or commits offsets: that is the validator's extra work,
and their rates are to be read with it in mind. Every loop is timed from the creation of its consumer to
its last record, as the validator's run is timed from its start to its end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from io import BytesIO
from typing import Any

import jsonschema_rs
import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer
from confluent_kafka import TopicPartition as RdTopicPartition
from fastavro import schemaless_reader
from kafka.consumer.fetcher import ConsumerRecord

from consumers.bounded import chain_partitions, rewind
from runtime import clients
from runtime.settings import Settings
from schemas.catalogue import CATALOGUE, Subject
from schemas.codec import SINGLE_OBJECT_HEADER
from schemas.events.base import ChainEvent
from schemas.topics import CHAIN_TOPICS

STALL_SECONDS = 60.0
"""A loop that gets no record for this long has lost the broker: the bench stops instead of hanging."""

Readers = dict[bytes, tuple[Subject, dict[str, Any], dict[str, Any] | None]]
"""Single-object fingerprint -> (subject, writer schema, reader schema or None when the writer is the latest)."""


def avro_readers() -> Readers:
    """Every released writer schema by fingerprint, resolved into its subject's latest version."""
    readers: Readers = {}
    for subject in CATALOGUE.subjects():
        latest = CATALOGUE.avro_schema(subject.name, subject.latest)
        for version in subject.versions:
            reader = None if version == subject.latest else latest
            readers.setdefault(CATALOGUE.fingerprint(subject.name, version),
                               (subject, CATALOGUE.avro_schema(subject.name, version), reader))
    return readers


def decode(readers: Readers, value: bytes) -> tuple[Subject, dict[str, Any]]:
    """The subject and the Avro body of a single-object value, read by fastavro."""
    subject, writer, reader = readers[value[2:SINGLE_OBJECT_HEADER]]
    body = BytesIO(value)
    body.seek(SINGLE_OBJECT_HEADER)
    return subject, schemaless_reader(body, writer, reader)  # type: ignore[return-value]


def _stalled(name: str, n: int, expected: int) -> SystemExit:
    return SystemExit(f"bench_validator: {name} got no record for {STALL_SECONDS:.0f} s after {n:,} of {expected:,}")


def _kafka_python(settings: Settings, prefix: str, expected: int,
                  handle: Callable[[list[ConsumerRecord]], None] | None, name: str) -> float:
    """Seconds for a kafka-python consumer to read ``expected`` records, passing each batch to ``handle``."""
    started = time.perf_counter()
    consumer = clients.consumer(settings)
    rewind(consumer, chain_partitions(consumer, prefix))
    n, last = 0, time.monotonic()
    try:
        while n < expected:
            for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
                if handle is not None:
                    handle(batch)
                n += len(batch)
                last = time.monotonic()
            if time.monotonic() - last > STALL_SECONDS:
                raise _stalled(name, n, expected)
        return time.perf_counter() - started
    finally:
        consumer.close()


def bare(settings: Settings, prefix: str, expected: int) -> float:
    """The floor: kafka-python fetching the records and nothing else."""
    return _kafka_python(settings, prefix, expected, None, "the bare consumer")


def jsonschema_peer(settings: Settings, prefix: str, expected: int) -> float:
    """kafka-python + fastavro + the released JSON Schemas, each compiled once, with jsonschema-rs.

    Why jsonschema-rs and not the pure-Python ``jsonschema``: compiled once, the latter still checks only
    about 12,000 of these events a second (format checks on), jsonschema-rs over 1,000,000 (measured on
    this machine), and the project already depends on it for JSON values; an engineer who cares about
    throughput picks it. The JSON Schema describes the JSON form, so the decoded dict (datetimes) is first
    turned into that form with orjson, as the schema's users would.
    """
    readers = avro_readers()
    validators = {s.name: jsonschema_rs.validator_for(CATALOGUE.json_schema(s.name, s.latest), validate_formats=True)
                  for s in CATALOGUE.subjects()}
    cases: dict[str, list[Any]] = {}

    def handle(batch: list[ConsumerRecord]) -> None:
        for msg in batch:
            subject, data = decode(readers, msg.value)
            doc = orjson.loads(orjson.dumps(data))
            validators[subject.name].validate(doc)
            cases.setdefault(doc["case_key"], []).append(doc)

    return _kafka_python(settings, prefix, expected, handle, "the jsonschema-rs peer")


def pydantic_peer(settings: Settings, prefix: str, expected: int) -> float:
    """confluent-kafka (librdkafka) + fastavro + pydantic: each event validated into its model.

    The models are what the schemas are generated from, so validating into them checks what the JSON
    Schema checks and more (the model validators: timezone-aware times, partner allowed for the subject).
    """
    readers = avro_readers()
    cases: dict[str, list[ChainEvent]] = {}
    started = time.perf_counter()
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": f"peer-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([RdTopicPartition(prefix + t.name, p, OFFSET_BEGINNING)
                     for t in CHAIN_TOPICS for p in range(t.partitions)])
    n, last = 0, time.monotonic()
    try:
        while n < expected:
            batch = consumer.consume(num_messages=5000, timeout=0.2)
            for msg in batch:
                if msg.error() is not None:
                    raise SystemExit(f"bench_validator: the pydantic peer got {msg.error()}")
                subject, data = decode(readers, msg.value())  # type: ignore[arg-type]
                event = subject.model.model_validate(data)
                cases.setdefault(event.case_key, []).append(event)
            if batch:
                n += len(batch)
                last = time.monotonic()
            elif time.monotonic() - last > STALL_SECONDS:
                raise _stalled("the pydantic peer", n, expected)
        return time.perf_counter() - started
    finally:
        consumer.close()
