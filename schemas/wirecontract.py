"""The wire contract's test vectors, computed by the code that puts records on the wire.

Why generated: partners in Java, .NET or Go implement the contract (``docs/wire-contract.md``) from text,
and check their implementation against these values in their own tests; values copied by hand would drift
from the code. ``sigma schemas docs`` writes them to ``docs/wire-contract-vectors.json`` beside the message
book, and a unit test holds the tables of the contract to the same values.

The partition is Kafka's built-in partitioner for keyed records, as the Java client (and kafka-python,
which the publisher uses) computes it: murmur2 of the key bytes, the sign bit cleared, modulo the partition
count. librdkafka's default (``consistent_random``: CRC-32 of the key) is shown next to it, as the placement
a C, Python (confluent-kafka) or .NET client would choose when left at its default.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from typing import Any

from fastavro.schema import to_parsing_canonical_form
from kafka.partitioner.default import murmur2

from schemas.casekey import case_key
from schemas.catalogue import CATALOGUE, Catalogue
from schemas.codec import AvroSerializer, JsonSerializer
from schemas.envelope import to_record
from schemas.events import FitToFly
from schemas.examples import EXAMPLE_SECRET, EXAMPLE_V_NUMBER, example
from schemas.fingerprint import crc64_avro, fingerprint_bytes
from schemas.placement import kafka_partition

VECTORS_FILE = "wire-contract-vectors.json"
PARTITION_COUNTS = (3, 6, 12)
"""The chain's topics and the dead-letter topic have 3 partitions; 6 and 12 show a topic grown later."""

CASE_KEY_INPUTS: tuple[tuple[str, str], ...] = (
    (EXAMPLE_V_NUMBER, EXAMPLE_SECRET.decode()),
    (EXAMPLE_V_NUMBER, "sigma-demo-case-key-secret"),
    ("0000000003", EXAMPLE_SECRET.decode()),
    ("0000000007", EXAMPLE_SECRET.decode()),
    ("0000000001", "geheim-sleutel-é"),
)
"""(V-number, secret as text): the example and demo secrets, two more keys for spread, a non-ASCII secret."""

CRC_INPUTS = ("", '"string"', '"long"')
"""The specification's empty input and two primitive schemas' canonical forms."""

PREFIX_EXAMPLE = ("demo-20240304093015.", "chain.medical.fit-to-fly")


def signed32(value: int) -> int:
    """An unsigned 32-bit value as Java's ``int`` (what ``Utils.murmur2`` returns)."""
    return value - (1 << 32) if value & 0x80000000 else value



def crc32_partition(key: bytes, partitions: int) -> int:
    """librdkafka's default placement (``consistent_random``): CRC-32 of the key modulo the partition count."""
    return zlib.crc32(key) % partitions


def _case_keys() -> list[dict[str, Any]]:
    rows = []
    for v_number, secret in CASE_KEY_INPUTS:
        secret_bytes = secret.encode("utf-8")
        digest = hmac.new(secret_bytes, v_number.encode("utf-8"), hashlib.sha256).hexdigest()
        rows.append({"v_number": v_number, "secret": secret, "secret_utf8_hex": secret_bytes.hex(),
                     "hmac_sha256_hex": digest, "case_key": case_key(v_number, secret_bytes)})
    return rows


def _partitions(keys: list[str]) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        raw = key.encode("ascii")
        rows.append({"key": key, "key_hex": raw.hex(), "murmur2": signed32(murmur2(raw)),
                     "positive": murmur2(raw) & 0x7FFFFFFF,
                     "partition": {str(n): kafka_partition(raw, n) for n in PARTITION_COUNTS},
                     "crc32_partition_not_this": {str(n): crc32_partition(raw, n) for n in PARTITION_COUNTS}})
    return rows


def _schemas(catalogue: Catalogue) -> list[dict[str, Any]]:
    rows = []
    for subject in catalogue.subjects():
        for version in subject.versions:
            canonical = to_parsing_canonical_form(catalogue.avro_document(subject.name, version))
            rows.append({"subject": subject.name, "version": version, "canonical_form": canonical,
                         "fingerprint_hex": fingerprint_bytes(canonical).hex(),
                         "single_object_header_hex": "c301" + catalogue.fingerprint(subject.name, version).hex()})
    return rows


def _records() -> dict[str, Any]:
    event = example(FitToFly)
    found: dict[str, Any] = {}
    for name, codec in (("avro", AvroSerializer()), ("json", JsonSerializer())):
        record = to_record(event, codec)
        found[name] = {"topic": record.topic, "key": record.key.decode("ascii"),
                       "headers": [{"name": k, "value": v.decode("utf-8")} for k, v in record.headers],
                       "value_hex": record.value.hex()}
    found["json"]["value_text"] = bytes.fromhex(found["json"]["value_hex"]).decode("utf-8")
    found["avro"]["payload"] = json.loads(event.model_dump_json())
    return found


def vectors(catalogue: Catalogue = CATALOGUE) -> dict[str, Any]:
    """Every test vector of the wire contract, as plain data."""
    keys = _case_keys()
    prefix, topic = PREFIX_EXAMPLE
    return {
        "about": "Test vectors of docs/wire-contract.md, generated by `sigma schemas docs` from the code that "
                 "writes the records; do not edit.",
        "case_keys": keys,
        "partitions": _partitions([row["case_key"] for row in keys if row["secret"] == EXAMPLE_SECRET.decode()]),
        "crc64_avro": [{"text": text, "crc64_hex": f"{crc64_avro(text.encode()):016x}",
                        "fingerprint_hex": fingerprint_bytes(text).hex()} for text in CRC_INPUTS],
        "schemas": _schemas(catalogue),
        "topic_prefix": {"prefix": prefix, "topic": topic, "joined": prefix + topic},
        "records": _records(),
    }


def render_vectors(catalogue: Catalogue = CATALOGUE) -> str:
    """The vectors as JSON text (deterministic)."""
    return json.dumps(vectors(catalogue), indent=2, ensure_ascii=False) + "\n"
