"""Through a real broker: every event type, in Avro and JSON, arrives decodable with its key and headers intact,
in order per case, and an independent client (librdkafka) decodes the same records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import Consumer

from runtime import clients
from runtime.settings import Settings
from schemas.codec import AvroSerializer, Deserializer, JsonSerializer, SerializationContext
from schemas.envelope import to_record
from schemas.events import EVENT_TYPES, ChainEvent
from schemas.examples import example
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def _send_all(settings: Settings, topic: str) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    sent = []
    producer = clients.producer(settings)
    try:
        for index, model in enumerate(EVENT_TYPES):
            for codec in (AvroSerializer(), JsonSerializer()):
                record = to_record(example(model, index), codec)
                producer.send(topic, key=record.key, value=record.value, headers=record.headers)
                sent.append((record.key, record.value, record.headers))
        producer.flush()
    finally:
        producer.close()
    return sent


def test_every_event_type_survives_the_broker_with_key_and_headers(
    kafka_settings: Settings, topic_factory: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    topic = topic_factory(partitions=3)
    sent = _send_all(kafka_settings, topic)
    consumer = clients.consumer(kafka_settings, topic, group_id=unique_name("group"), consumer_timeout_ms=10_000,
                                auto_offset_reset="earliest")
    try:
        received = [m for m in consumer]
    finally:
        consumer.close()
    assert len(received) == len(sent)
    assert len({m.partition for m in received}) == 1  # one case key: one partition, in order
    decoder = Deserializer()
    for message, (key, value, headers) in zip(received, sent, strict=True):
        assert (message.key, message.value) == (key, value)
        assert [(k, v) for k, v in message.headers] == headers
        event = decoder(message.value, SerializationContext(message.topic, list(message.headers)))
        assert event.event_id == dict(headers)["ce_id"].decode()
    subjects = [decoder.decode(m.value, SerializationContext(m.topic, list(m.headers))).subject for m in received]
    assert subjects == [m.subject for m in EVENT_TYPES for _ in range(2)]


def test_librdkafka_reads_records_the_codec_wrote(
    kafka_cluster: KafkaCluster, kafka_settings: Settings, topic_factory: Callable[..., str],
    unique_name: Callable[[str], str]
) -> None:
    topic = topic_factory()
    sent = _send_all(kafka_settings, topic)
    consumer = Consumer({**kafka_cluster.librdkafka(), "group.id": unique_name("group"),
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    decoded: list[ChainEvent] = []
    try:
        while len(decoded) < len(sent):
            message = consumer.poll(10)
            assert message is not None, f"only {len(decoded)} of {len(sent)} records arrived"
            assert message.error() is None
            headers = message.headers() or []
            assert isinstance(headers, list)
            ctx = SerializationContext(topic, [(k, v) for k, v in headers if isinstance(v, bytes)])
            decoded.append(Deserializer()(message.value(), ctx))
    finally:
        consumer.close()
    assert [e.event_id for e in decoded] == [dict(h)["ce_id"].decode() for _, _, h in sent]
