"""The secured embedded broker's secrets: a local CA, the broker's key pair, and one password per principal.

Why generated locally and kept in the data folder: the chain exchanges health data and detention facts, so
even a local broker speaks TLS and authenticates every client (SCRAM-SHA-512), and nothing is shared with
other installations. Files in ``<data dir>/security/`` (the folder is 0700):

* ``ca.pem`` — the CA certificate clients trust (public, 0644)
* ``ca-key.pem``, ``broker.pem`` — the CA's key; the broker's key with its certificate chain (0600)
* ``credentials.json`` — each principal's password (0600)

Keys are made in-process with ``cryptography`` (no JVM start per step), in PEM, which Kafka reads directly
(``ssl.keystore.type=PEM``). Secrets never reach a process argument: the java launcher reads the SCRAM
credentials for ``kafka-storage format`` from an argument file (``java @file``, 0600, removed afterwards).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from runtime.errors import SigmaError

BROKER_CN = "sigma-broker"
"""Common name of the broker's certificate; ``User:CN=sigma-broker`` is the principal of the broker's own
mutual-TLS connections (controller and inter-broker listeners), a super user like ``admin``."""
ADMIN = "admin"
SCRAM_MECHANISM = "SCRAM-SHA-512"
_VALIDITY = datetime.timedelta(days=3650)


class BrokerSecrets:
    """Read (and, once, create) the security folder of one embedded broker."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of(cls, data_dir: Path) -> BrokerSecrets:
        """The secrets of the broker whose data folder is ``data_dir``."""
        return cls(data_dir / "security")

    @property
    def ca_pem(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def keystore(self) -> Path:
        """The broker's private key followed by its certificate and the CA's (Kafka's PEM key store)."""
        return self.folder / "broker.pem"

    @property
    def _credentials_file(self) -> Path:
        return self.folder / "credentials.json"

    def exists(self) -> bool:
        """True once the CA, the broker's key store and the credentials were created."""
        return self._credentials_file.is_file() and self.ca_pem.is_file() and self.keystore.is_file()

    def _users(self) -> dict[str, str]:
        try:
            data = json.loads(self._credentials_file.read_text())
        except (OSError, ValueError) as exc:
            raise SigmaError(f"cannot read the broker's credentials in {self.folder} ({type(exc).__name__})",
                             fix="check the file's owner and permissions, or remove the broker's data folder "
                             "to start afresh") from exc
        return {str(k): str(v) for k, v in data["principals"].items()}

    def principals(self) -> tuple[str, ...]:
        """Every principal that has a SCRAM credential on this broker."""
        return tuple(sorted(self._users()))

    def password(self, principal: str) -> SecretStr:
        """The principal's password; a clear error for a principal the broker does not know."""
        users = self._users()
        if principal not in users:
            raise SigmaError(f"unknown principal {principal!r} on the embedded broker",
                             fix=f"use one of: {', '.join(sorted(users))}")
        return SecretStr(users[principal])

    def create(self, principals: Iterable[str]) -> None:
        """Create the CA, the broker's certificate (for 127.0.0.1 and localhost) and one password per principal."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sigma local CA")])
        ca_cert = (_builder(ca_name, ca_name, ca_key.public_key())
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                  critical=True)
                   .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        cert = (_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, BROKER_CN)]), ca_name, key.public_key())
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(ca_key, hashes.SHA256()))
        write_private(self.folder / "ca-key.pem", _key_pem(ca_key))
        write_private(self.keystore, _key_pem(key) + _cert_pem(cert) + _cert_pem(ca_cert))
        self.ca_pem.write_text(_cert_pem(ca_cert))
        self.ca_pem.chmod(0o644)
        users = {name: secrets.token_urlsafe(24) for name in sorted({ADMIN, *principals})}
        write_private(self._credentials_file, json.dumps({"principals": users}, indent=2))

    def set_password(self, principal: str, password: SecretStr) -> None:
        """Record a known principal's new password (after the broker accepted it)."""
        users = self._users()
        self.password(principal)
        users[principal] = password.get_secret_value()
        write_private(self._credentials_file, json.dumps({"principals": users}, indent=2))

    def scram_arguments(self) -> list[str]:
        """``--add-scram`` arguments of ``kafka-storage format``: one SCRAM-SHA-512 credential per principal."""
        return [arg for name, password in sorted(self._users().items())
                for arg in ("--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]")]


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + _VALIDITY))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, created so from the start (no window with wider rights)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
