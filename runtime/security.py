"""How a client authenticates: the one place that turns settings into security options for every client.

Why one place: every sigma client (producers, consumers, admin) and every client configuration handed to a
partner system must agree. Explicit settings (``SIGMA_SECURITY_PROTOCOL``, ``SIGMA_SASL_*``,
``SIGMA_SSL_*``) win; otherwise, for the embedded broker, the broker's data folder says what to use: SASL_SSL
with its CA and the password of the ``--as`` principal (``admin`` by default), or plaintext for a broker
started with ``--insecure``. Passwords stay ``SecretStr`` until handed to a client, so they never reach a
log line or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from runtime.broker.secrets import ADMIN, BrokerSecrets
from runtime.errors import SigmaError
from runtime.settings import Settings


@dataclass(frozen=True)
class ClientSecurity:
    """Security options of one client connection, independent of the client library."""

    protocol: str
    mechanism: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def _secret(self) -> str:
        return self.password.get_secret_value() if self.password else ""

    def kafka_python(self) -> dict[str, Any]:
        """Options of kafka-python's clients."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.sasl:
            options |= {"sasl_mechanism": self.mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self._secret()}
        if self.tls:
            options |= {"ssl_check_hostname": True, "ssl_cafile": _str(self.cafile),
                        "ssl_certfile": _str(self.certfile), "ssl_keyfile": _str(self.keyfile)}
        return options

    def properties(self) -> dict[str, str]:
        """The Java client's property names (librdkafka, confluent-kafka, .NET and Go use the same ones)."""
        props = {"security.protocol": self.protocol}
        if self.sasl:
            props |= {"sasl.mechanism": str(self.mechanism), "sasl.username": str(self.username),
                      "sasl.password": self._secret()}
        if self.tls and self.cafile:
            props["ssl.ca.location"] = str(self.cafile)
        if self.tls and self.certfile:
            props["ssl.certificate.location"] = str(self.certfile)
        if self.tls and self.keyfile:
            props["ssl.key.location"] = str(self.keyfile)
        return props


def _str(path: Path | None) -> str | None:
    return str(path) if path else None


def _password(settings: Settings) -> SecretStr | None:
    if settings.sasl_password is not None:
        return settings.sasl_password
    if settings.sasl_password_file is None:
        return None
    try:
        return SecretStr(settings.sasl_password_file.read_text().strip())
    except OSError as exc:
        raise SigmaError(f"cannot read the password file {settings.sasl_password_file} ({type(exc).__name__})",
                         fix="check SIGMA_SASL_PASSWORD_FILE: the file must exist and be readable") from exc


def embedded_secrets(settings: Settings) -> BrokerSecrets | None:
    """The embedded broker's secrets, or None for an existing cluster or an embedded broker run insecure."""
    if settings.external or settings.insecure:
        return None
    store = BrokerSecrets.of(settings.broker_data_dir())
    return store if store.exists() else None


def client_security(settings: Settings) -> ClientSecurity:
    """The security options every client of this invocation uses."""
    store = embedded_secrets(settings)
    username = settings.sasl_username or settings.principal
    password = _password(settings)
    if store is not None and settings.security_protocol is None:
        username = username or ADMIN
        return ClientSecurity("SASL_SSL", settings.sasl_mechanism, username, password or store.password(username),
                              settings.ssl_cafile or store.ca_pem, settings.ssl_certfile, settings.ssl_keyfile)
    protocol = settings.security_protocol or "PLAINTEXT"
    if protocol.startswith("SASL_") and (username is None or password is None):
        raise SigmaError(f"{protocol} needs a user and a password",
                         fix="set SIGMA_SASL_USERNAME and SIGMA_SASL_PASSWORD_FILE (or SIGMA_SASL_PASSWORD)")
    return ClientSecurity(protocol, settings.sasl_mechanism, username, password, settings.ssl_cafile,
                          settings.ssl_certfile, settings.ssl_keyfile)


def acting_as(settings: Settings, principal: str) -> Settings:
    """The settings of a client that acts as ``principal`` on the secured embedded broker: each sigma role logs
    in as itself (a partner, the validator, the tools). Unchanged when ``--as``/``SIGMA_PRINCIPAL`` or a SASL
    user was given explicitly, and for a plaintext or an existing cluster, whose identities are its own."""
    if settings.principal or settings.sasl_username or settings.security_protocol or embedded_secrets(settings) is None:
        return settings
    return settings.model_copy(update={"principal": principal})

