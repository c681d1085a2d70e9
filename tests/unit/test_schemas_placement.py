"""The validator's murmur2 is Kafka's: the same partition as kafka-python's reference for any key."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as reference

from schemas.placement import Placement, kafka_partition, murmur2


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_murmur2_is_kafka_pythons_for_any_key(key: bytes) -> None:
    assert murmur2(key) == reference(key) & 0xFFFFFFFF


@pytest.mark.native
@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_the_native_murmur2_is_the_python_one_for_any_key(key: bytes) -> None:
    from sigma_native import murmur2 as native

    assert native(key) == murmur2(key)


def test_known_keys_land_where_the_java_client_puts_them() -> None:
    # partitions among 1,000 from Kafka's Java partitioner (the vectors of kafka-python's own tests)
    keys = [b"", b"a", b"ab", b"abc", b"123456789", b"\x00 "]
    assert [kafka_partition(key, 1000) for key in keys] == [681, 524, 434, 107, 566, 742]


def test_placement_remembers_and_still_answers_after_forgetting() -> None:
    placement = Placement()
    placement.LIMIT = 3
    keys = [f"ck_{n:024x}".encode() for n in range(10)]
    for key in keys * 2:
        assert placement.partition(key, 12) == (reference(key) & 0x7FFFFFFF) % 12
