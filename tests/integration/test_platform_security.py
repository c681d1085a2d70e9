"""The secured embedded broker: TLS with a local CA, SCRAM-SHA-512 logins, deny by default.

Every claim is checked with sigma's client (kafka-python) and with confluent-kafka (librdkafka), an
independent client, against a real broker.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from kafka.errors import TopicAuthorizationFailedError

from runtime import clients
from runtime.errors import SigmaError
from runtime.topics import apply_topics
from schemas.access import PRINCIPALS
from schemas.topics import TopicSpec
from tests.clirunner import sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def _secrets(cluster: KafkaCluster) -> list[str]:
    assert cluster.broker is not None
    return [cluster.broker.secrets.password(p).get_secret_value() for p in PRINCIPALS]


def _cli_env(cluster: KafkaCluster) -> dict[str, str]:
    """Point the CLI at the embedded broker itself (its data folder), not at it as an external cluster."""
    assert cluster.broker is not None
    return {"SIGMA_HOME": str(cluster.broker.data_dir.parent), "SIGMA_BROKER_PORT": str(cluster.broker.port)}


NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)


def _topic(cluster: KafkaCluster, name: str) -> str:
    apply_topics(cluster.settings(), [TopicSpec(name, 1, "security test")])
    return name


def test_admin_logs_in_over_tls_and_both_clients_produce_and_consume(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    topic = _topic(secured_cluster, unique_name("topic"))
    producer = clients.producer(secured_cluster.settings())
    producer.send(topic, b"kafka-python").get(30)
    producer.close()
    cp = Producer(secured_cluster.librdkafka())
    cp.produce(topic, b"librdkafka")
    assert cp.flush(30) == 0
    consumer = Consumer({**secured_cluster.librdkafka(), "group.id": unique_name("group"),
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen: list[bytes] = []
    try:
        while len(seen) < 2:
            msg = consumer.poll(30)
            assert msg is not None, f"timed out after {seen}"
            assert msg.error() is None, msg.error()
            seen.append(msg.value())
    finally:
        consumer.close()
    assert sorted(seen) == [b"kafka-python", b"librdkafka"]


def test_wrong_password_and_missing_credentials_are_refused(secured_cluster: KafkaCluster) -> None:
    with pytest.raises(SigmaError, match="did not accept the login of 'coa'"):
        clients.admin(secured_cluster.settings(principal="coa", sasl_password="wrong", connect_timeout=3))
    with pytest.raises(SigmaError, match="cannot reach Kafka"):
        clients.admin(secured_cluster.settings(security_protocol="SSL", connect_timeout=3))
    errors: list[KafkaError] = []
    wrong = {**secured_cluster.librdkafka("coa"), "sasl.password": "wrong", "error_cb": errors.append}
    refused = AdminClient(wrong)
    with pytest.raises(KafkaException):
        refused.list_topics(timeout=5)
    refused.poll(1)  # serves the error callback
    assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors
    for protocol in ("PLAINTEXT", "SSL"):
        anonymous = {"bootstrap.servers": secured_cluster.bootstrap, "security.protocol": protocol,
                     "socket.timeout.ms": 3000}
        if protocol == "SSL":
            anonymous["ssl.ca.location"] = secured_cluster.librdkafka()["ssl.ca.location"]
        with pytest.raises(KafkaException):
            AdminClient(anonymous).list_topics(timeout=5)


def test_a_principal_without_an_acl_is_refused(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    topic = _topic(secured_cluster, unique_name("topic"))
    producer = clients.producer(secured_cluster.settings(principal="coa"), max_block_ms=10_000)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(topic, b"forged").get(30)
    finally:
        producer.close()
    delivered: list[KafkaError | None] = []
    cp = Producer({**secured_cluster.librdkafka("coa"), "message.timeout.ms": 10_000})
    cp.produce(topic, b"forged", on_delivery=lambda err, _msg: delivered.append(err))
    cp.flush(30)
    assert delivered and delivered[0] is not None
    assert delivered[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_credentials_command_gives_a_partner_system_a_working_configuration(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    topic = _topic(secured_cluster, unique_name("topic"))
    result = sigma("credentials", "admin", "--format", "json", env=_cli_env(secured_cluster), drop=NO_CLUSTER)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "SCRAM-SHA-512"
    assert config["bootstrap.servers"] == secured_cluster.bootstrap and config["sasl.username"] == "admin"
    assert topic in AdminClient(config).list_topics(timeout=10).topics
    props = sigma("credentials", "kmar", env=_cli_env(secured_cluster), drop=NO_CLUSTER)
    assert props.returncode == 0 and "sasl.username=kmar\n" in props.stdout
    unknown = sigma("credentials", "nobody", env=_cli_env(secured_cluster), drop=NO_CLUSTER)
    assert unknown.returncode == 1
    assert unknown.stderr.strip().startswith("sigma: error: unknown principal 'nobody' on the embedded broker: use")


def test_no_password_or_private_key_in_process_arguments_logs_or_errors(secured_cluster: KafkaCluster) -> None:
    assert secured_cluster.broker is not None
    wrong = sigma("--as", "coa", "topics", "apply", env={**secured_cluster.env("coa"), "SIGMA_SASL_PASSWORD": "x",
                                                          "SIGMA_CONNECT_TIMEOUT": "3"})
    assert wrong.returncode == 1 and "did not accept the login of 'coa'" in wrong.stderr
    listed = sigma("--as", "dji", "--log-level", "debug", "topics", "list", env=_cli_env(secured_cluster),
                   drop=NO_CLUSTER)
    assert listed.returncode == 0, listed.stderr
    key_lines = [line for path in secured_cluster.broker.secrets.folder.glob("*.pem")
                 for line in path.read_text().splitlines() if not line.startswith("-----")]
    secrets = _secrets(secured_cluster) + key_lines
    texts = {"stderr of sigma": wrong.stderr + listed.stderr}
    for path in (secured_cluster.broker.data_dir / "logs").rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(errors="replace")
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                texts[f"ps {proc.name}"] = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
    leaks = [(where, secret[:4]) for where, text in texts.items() for secret in secrets if secret in text]
    assert leaks == []
    assert len(texts) > 3 and "kafka.Kafka" in "".join(texts.values())


def test_keys_and_passwords_only_their_owner_can_read(secured_cluster: KafkaCluster) -> None:
    assert secured_cluster.broker is not None
    folder = secured_cluster.broker.secrets.folder
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == {"ca.pem": 0o644, "ca-key.pem": 0o600, "broker.pem": 0o600, "credentials.json": 0o600}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_rotating_a_password_refuses_the_old_one_and_accepts_the_new(secured_cluster: KafkaCluster) -> None:
    assert secured_cluster.broker is not None
    old = secured_cluster.librdkafka("police")
    result = sigma("credentials", "police", "--rotate", "--format", "json", env=_cli_env(secured_cluster),
                   drop=NO_CLUSTER)
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert new["sasl.password"] != old["sasl.password"]
    assert new["sasl.password"] == secured_cluster.broker.secrets.password("police").get_secret_value()
    AdminClient(new).list_topics(timeout=10)
    errors: list[KafkaError] = []
    refused = AdminClient({**old, "error_cb": errors.append})
    with pytest.raises(KafkaException):
        refused.list_topics(timeout=5)
    refused.poll(1)
    assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors
