"""All configuration in one place: environment variables (``SIGMA_*``) overridden by CLI flags.

Why one object: every command must agree on which cluster it talks to. When ``bootstrap_servers`` is
set the project uses that cluster and starts nothing; otherwise it talks to the embedded broker on
``127.0.0.1:<broker_port>``, or to every node of the embedded cluster whose state is in that port's data folder
(``sigma broker start --nodes 3``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SECURITY_PROTOCOLS: tuple[str, ...] = get_args(SecurityProtocol)
EventClock = Literal["stream", "wall"]
"""What the validator judges a record's delivery by: its partition's event time (``stream``), or also the
broker's append time of the record (``wall``, a live chain; ``validator.arrival``)."""


class Settings(BaseSettings):
    """Settings read from ``SIGMA_<NAME>`` environment variables; flags pass overrides as kwargs."""

    model_config = SettingsConfigDict(env_prefix="SIGMA_", extra="ignore")

    bootstrap_servers: str | None = Field(
        default=None, description="Existing Kafka cluster (host:port,…). When set, nothing is started."
    )
    broker_port: int = Field(default=9092, ge=1, le=65535, description="Port of the embedded broker.")
    home: Path = Field(default=PROJECT_ROOT / ".sigma", description="State folder (broker data, logs).")
    kafka_dir: Path = Field(
        default=PROJECT_ROOT / ".kafka", description="Where Apache Kafka's jars are resolved to."
    )
    kafka_pom: Path = Field(default=PROJECT_ROOT / "kafka-dist" / "pom.xml", description="Maven pom of the broker.")
    broker_heap: str = Field(default="512m", description="Maximum JVM heap of the embedded broker.")
    broker_start_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for the broker.")
    connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for a cluster to answer.")
    outage_give_up: float = Field(
        default=300.0, gt=0, description="Seconds a running command waits out a cluster outage before it gives up."
    )
    group_session_timeout: float = Field(
        default=10.0, ge=6, le=300,
        description="Seconds a validator group member may go unheard (no heartbeat) before the group gives its "
        "partitions to the others: how soon a killed member's cases are taken over.",
    )
    eviction_grace_hours: float = Field(
        default=168.0, ge=0,
        description="Event-time hours the validator keeps a closed (or never handed over) case; 0 keeps every case.",
    )
    event_clock: EventClock = Field(
        default="stream", description="stream: lateness by each partition's event time (simulations, replays); "
        "wall: also by the broker's append time (a live chain recording in wall-clock time).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"
    topic_prefix: str = Field(default="", description="Prefix for every chain topic (sandboxes).")
    case_key_secret: SecretStr = Field(
        default=SecretStr("sigma-demo-case-key-secret"),
        description="Key of the keyed hash that turns a V-number into a case key.",
    )
    _context_file: Path | None = PrivateAttr(default=None)

    @property
    def prefix_from_context(self) -> Path | None:
        """The context file the topic prefix came from (``runtime.context``), None when it did not."""
        return self._context_file

    def with_context_prefix(self, prefix: str, file: Path) -> Settings:
        """A copy with the context file's prefix, remembering the file for messages that name the prefix."""
        copy = self.model_copy(update={"topic_prefix": prefix})
        copy._context_file = file
        return copy

    security_protocol: SecurityProtocol | None = Field(
        default=None, description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; unset: the embedded broker's "
        "(SASL_SSL unless it was started with --insecure), PLAINTEXT for an existing cluster.",
    )
    sasl_mechanism: SaslMechanism = Field(default="SCRAM-SHA-512", description="SASL mechanism.")
    sasl_username: str | None = Field(default=None, description="SASL user (default: the --as principal).")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (prefer the file).")
    sasl_password_file: Path | None = Field(default=None, description="File holding the SASL password.")
    ssl_cafile: Path | None = Field(default=None, description="CA certificate (PEM) that signed the brokers'.")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (PEM) for mutual TLS.")
    ssl_keyfile: Path | None = Field(default=None, description="Private key (PEM) of the client certificate.")
    principal: str | None = Field(
        default=None, description="Principal to act as on the embedded broker (--as); its password is "
        "read from the broker's data folder.",
    )
    insecure: bool = Field(default=False, description="Run the embedded broker (and talk to it) in plaintext.")

    @field_validator("bootstrap_servers")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        """Every address is HOST:PORT: kafka-python would fail on a bad port with a traceback, deep inside."""
        for address in value.split(",") if value else ():
            host, colon, port = address.strip().rpartition(":")
            if not (colon and host and port.isdigit() and 1 <= int(port) <= 65535):
                raise ValueError(f"{address.strip()!r} is not HOST:PORT with a port from 1 to 65535")
        return value

    @field_validator("case_key_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty: it keys the hash that turns a V-number into a case key")
        return value

    @property
    def external(self) -> bool:
        """True when an existing cluster is configured and the embedded broker must not be used."""
        return bool(self.bootstrap_servers)

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers every client connects to: for an embedded cluster every node, so that a client
        starting while one node is down still finds the others."""
        from runtime.broker.cluster import cluster_bootstrap

        if self.bootstrap_servers:
            return self.bootstrap_servers
        return cluster_bootstrap(self.broker_data_dir()) or f"127.0.0.1:{self.broker_port}"

    def broker_data_dir(self, port: int | None = None) -> Path:
        """Default data folder of the embedded broker, one per port so two brokers never share one."""
        return self.home / f"broker-{port or self.broker_port}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, with non-None flag values taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
