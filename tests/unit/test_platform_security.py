"""Security settings reach every client alike, and a password never reaches a log line or an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import clients
from runtime.broker.secrets import BrokerSecrets
from runtime.errors import SigmaError
from runtime.security import acting_as, client_security
from runtime.settings import load_settings


@pytest.fixture(autouse=True)
def _no_cluster_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests build their settings themselves: a SIGMA_BOOTSTRAP_SERVERS or identity of the calling shell
    (integration runs set one) must not decide which cluster or principal they see."""
    for name in ("BOOTSTRAP_SERVERS", "PRINCIPAL", "INSECURE", "SECURITY_PROTOCOL", "SASL_USERNAME", "SASL_PASSWORD",
                 "SASL_PASSWORD_FILE", "SSL_CAFILE"):
        monkeypatch.delenv(f"SIGMA_{name}", raising=False)


def test_explicit_settings_become_the_options_of_every_client_and_the_java_properties(tmp_path: Path) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text("s3cret-from-file\n")
    settings = load_settings(bootstrap_servers="k:9093", security_protocol="SASL_SSL", sasl_username="coa",
                             sasl_password_file=password_file, ssl_cafile=tmp_path / "ca.pem")
    options = clients._common(settings)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "coa" and options["sasl_plain_password"] == "s3cret-from-file"
    assert options["ssl_cafile"] == str(tmp_path / "ca.pem") and options["ssl_check_hostname"] is True
    assert client_security(settings).properties() == {
        "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "coa",
        "sasl.password": "s3cret-from-file", "ssl.ca.location": str(tmp_path / "ca.pem")}
    assert "s3cret" not in repr(client_security(settings)) and "s3cret" not in repr(settings)


def test_plaintext_by_default_for_an_existing_cluster() -> None:
    assert clients._common(load_settings(bootstrap_servers="k:9092"))["security_protocol"] == "PLAINTEXT"


def test_sasl_without_a_password_and_an_unreadable_password_file_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SigmaError, match="SASL_PLAINTEXT needs a user and a password: set SIGMA_SASL_USERNAME"):
        client_security(load_settings(bootstrap_servers="k:1", security_protocol="SASL_PLAINTEXT"))
    with pytest.raises(SigmaError, match=r"cannot read the password file .*missing \(FileNotFoundError\)"):
        client_security(load_settings(bootstrap_servers="k:1", security_protocol="SASL_SSL", sasl_username="u",
                                      sasl_password_file=tmp_path / "missing"))


def test_the_embedded_broker_folder_gives_the_as_principal_its_password(tmp_path: Path) -> None:
    store = BrokerSecrets.of(tmp_path / "broker-9555")
    store.create(["coa", "validator"])
    settings = load_settings(home=tmp_path, broker_port=9555, principal="coa")
    security = client_security(settings)
    assert (security.protocol, security.username, security.cafile) == ("SASL_SSL", "coa", store.ca_pem)
    assert security.password is not None and security.password == store.password("coa")
    assert client_security(load_settings(home=tmp_path, broker_port=9555)).username == "admin"
    assert client_security(load_settings(home=tmp_path, broker_port=9555, insecure=True)).protocol == "PLAINTEXT"
    with pytest.raises(SigmaError, match="unknown principal 'nobody' on the embedded broker: use one of: admin, coa"):
        client_security(load_settings(home=tmp_path, broker_port=9555, principal="nobody"))


def test_each_role_acts_as_itself_on_the_secured_embedded_broker_unless_told_otherwise(tmp_path: Path) -> None:
    BrokerSecrets.of(tmp_path / "broker-9556").create(["coa", "validator"])
    secured = load_settings(home=tmp_path, broker_port=9556)
    assert client_security(acting_as(secured, "validator")).username == "validator"
    assert client_security(acting_as(secured, "coa")).username == "coa"
    told = [load_settings(home=tmp_path, broker_port=9556, principal="admin"),  # --as
            load_settings(home=tmp_path, broker_port=9556, sasl_username="coa", sasl_password="x"),
            load_settings(home=tmp_path, broker_port=9556, insecure=True),
            load_settings(home=tmp_path, broker_port=9557),  # no secured broker there
            load_settings(bootstrap_servers="kafka.test:9092")]
    assert [acting_as(s, "validator") for s in told] == told

