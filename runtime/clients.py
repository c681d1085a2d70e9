"""Kafka client factories with the project's defaults in one place.

Why: delivery guarantees (idempotence, acks=all, bounded retries) and latency settings (``linger_ms=5``;
only the validator's findings producer overrides it, to 0) must be the same for every producer and
consumer, and an unreachable cluster must become one clear error instead of a 30-second hang and a
traceback. Security options (TLS, SASL) come from ``runtime.security`` for every client alike; a refused
login becomes its own one-line error, naming the user but never the password. ``fetch_max_wait_ms`` stays
at Kafka's 500: with
``fetch_min_bytes=1`` the broker answers a waiting fetch as soon as a record arrives, so a shorter wait adds
no speed; measured, 10 ms cost an idle validator 15% of a core (500 ms: about 1%), at the same latency.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError, SaslAuthenticationFailedError

from runtime import poison
from runtime.errors import SigmaError
from runtime.probe import answers
from runtime.security import ClientSecurity, client_security
from runtime.settings import Settings

PRODUCER_DEFAULTS: dict[str, Any] = {
    "enable_idempotence": True,
    "acks": "all",
    "retries": 5,
    "delivery_timeout_ms": 60_000,
    "linger_ms": 5,
    "batch_size": 256 * 1024,
    "max_in_flight_requests_per_connection": 5,
}

CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "fetch_max_wait_ms": 500,
    "max_poll_records": 2000,
    # the validator writes findings, dead letters and its changelog in transactions: what an aborted one held
    # never happened, and nobody may read it (on topics written without transactions this changes nothing)
    "isolation_level": "read_committed",
}


def unreachable(settings: Settings, cause: BaseException | None = None) -> SigmaError:
    """The one error every command gives when the cluster does not answer."""
    where = "SIGMA_BOOTSTRAP_SERVERS" if settings.external else "the embedded broker"
    fix = (
        "check the address and that the cluster is up"
        if settings.external
        else "start it with `sigma broker start` (or `make demo`), or set SIGMA_BOOTSTRAP_SERVERS"
    )
    security = client_security(settings)
    if isinstance(cause, SaslAuthenticationFailedError) or (security.sasl and _listening(settings, security)):
        return SigmaError(f"Kafka at {settings.bootstrap} answers but did not accept the login of "
                          f"{security.username!r}",
                          fix="check the user and password (SIGMA_SASL_USERNAME, SIGMA_SASL_PASSWORD_FILE, --as)")
    detail = f" ({type(cause).__name__})" if cause else ""
    return SigmaError(f"cannot reach Kafka at {settings.bootstrap} ({where}){detail}", fix=fix)


def _listening(settings: Settings, security: ClientSecurity) -> bool:
    """True when the first bootstrap server answers: then a failed bootstrap means a refused login."""
    host, _, port = settings.bootstrap.split(",")[0].rpartition(":")
    return port.isdigit() and answers(host.strip("[]"), int(port), security.cafile, tls=security.tls)


def _common(settings: Settings) -> dict[str, Any]:
    timeout_ms = int(settings.connect_timeout * 1000)
    return {
        "bootstrap_servers": settings.bootstrap.split(","),
        "bootstrap_timeout_ms": timeout_ms,
        "request_timeout_ms": max(timeout_ms, 30_000),
        **client_security(settings).kafka_python(),
    }


def patient(settings: Settings) -> dict[str, Any]:
    """Producer settings that wait out an outage: retry without a count limit until the give-up time
    (``SIGMA_OUTAGE_GIVE_UP``) has passed for a record, and block in ``send`` no longer than the connect
    timeout, so a caller can look at why (``consumers.confirmed``)."""
    common = _common(settings)
    floor = common["request_timeout_ms"] + 1000  # kafka-python: at least linger + request timeout
    return {"retries": float("inf"), "delivery_timeout_ms": max(int(settings.outage_give_up * 1000), floor),
            "max_block_ms": int(settings.connect_timeout * 1000)}


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer (acks=all, bounded retries) tuned for small chain events."""
    try:
        return KafkaProducer(**{**_common(settings), **PRODUCER_DEFAULTS, **overrides})
    except (KafkaTimeoutError, KafkaError, OSError) as exc:
        raise unreachable(settings, exc) from exc


def abandon(producer: KafkaProducer) -> None:
    """Close ``producer`` without waiting for sends the cluster will not acknowledge (after an outage's give-up).

    kafka-python's ``close(timeout=0)`` flushes first and raises when that times out, and the producer's
    finalizer then tries again, printing a traceback; so its I/O thread is first told to drop what is pending
    (``force_close``, a private method), which completes those sends as failed, and the close returns.
    """
    producer._sender.force_close()
    with contextlib.suppress(KafkaError):
        producer.close(timeout=5)


def consumer(settings: Settings, *topics: str, **overrides: Any) -> KafkaConsumer:
    """A consumer with manual commits (offsets follow state, not time) and low fetch latency, that hands
    over records kafka-python cannot read as poison records instead of raising (``runtime.poison``)."""
    poison.install()
    try:
        return KafkaConsumer(*topics, **{**_common(settings), **CONSUMER_DEFAULTS, **overrides})
    except (KafkaTimeoutError, KafkaError, OSError) as exc:
        raise unreachable(settings, exc) from exc


def positions(consumer: KafkaConsumer, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
    """The position (next offset to read) of each of ``partitions``, as ``consumer.position`` gives it, for the
    price of one call.

    Why: kafka-python 3's ``position(tp)`` first refreshes committed offsets and resets and validates the
    positions of every assigned partition, and only then reads tp's from the consumer's subscription state;
    asked for each of the validator's 54 partitions (the topic plan then; 69 now) once per turn of its loop,
    that was 54 passes over all 54: 5 ms of a turn's 6.5 outside ``poll`` at 1,000 events/s (medians; three
    quarters of it checking leader epochs). So the first partition is asked for as usual, which does that work
    for all of them, and the others are read where ``position`` reads them (``SubscriptionState.position``,
    private, like ``abandon``'s ``force_close``). One left without a position there (reset in between) is
    asked for as usual, which waits until it has one, as before; so is one not assigned, which raises as before.
    """
    if not partitions:
        return {}
    first, *rest = partitions
    found = {first: consumer.position(first)}
    state = consumer._subscription
    for tp in rest:
        at = state.position(tp) if state.is_assigned(tp) else None
        found[tp] = at.offset if at is not None else consumer.position(tp)
    return found


def led(consumer: KafkaConsumer, partitions: Sequence[TopicPartition]) -> set[TopicPartition]:
    """Those of ``partitions`` whose leader ``consumer`` knows and is connected to: the ones whose last high
    watermark fetched can still be taken for their end.

    Why: kafka-python keeps a partition's last high watermark while its leader is gone (a node killed, until
    the cluster elects another: 9 s on Kafka's defaults), so a position there looks caught up; the validator
    took such a partition for a quiet one, moved its watermark and evicted cases past records that its
    partners' producers were still holding for it. The cluster metadata and connection state are read where
    the consumer keeps them (private, like ``positions``'s subscription state).
    """
    client = consumer._client
    found = set()
    for tp in partitions:
        leader = client.cluster.leader_for_partition(tp)
        if leader is not None and leader >= 0 and client.connected(leader):
            found.add(tp)
    return found


def topics(consumer: KafkaConsumer, timeout_ms: int) -> set[str]:
    """The cluster's topics, as ``consumer.topics()`` gives them, or ``KafkaTimeoutError`` after ``timeout_ms``.

    Why: kafka-python 3's ``topics()`` waits for the metadata without a time limit, so while the cluster is away
    it waited until the cluster came back: the validator, asking whether a topic still exists after a finding's
    send timed out (``consumers.confirmed``), never reached its give-up time. So the same request is made and
    waited for here with a limit (``_fetch_all_topic_metadata``'s steps, private, like ``positions``'s).
    """
    cluster = consumer._cluster
    stash = cluster.need_all_topic_metadata
    cluster.need_all_topic_metadata = True
    try:
        consumer._net.run(consumer._manager.wait_for, cluster.request_update(), timeout_ms)
    finally:
        cluster.need_all_topic_metadata = stash
    found: set[str] = cluster.topics()
    return found


def admin(settings: Settings) -> KafkaAdminClient:
    """An admin client, or the unreachable-cluster error."""
    try:
        return KafkaAdminClient(**_common(settings))
    except (KafkaTimeoutError, KafkaError, OSError) as exc:
        raise unreachable(settings, exc) from exc
