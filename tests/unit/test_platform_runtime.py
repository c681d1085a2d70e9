"""Settings precedence, logging as data, and the CLI's error contract (no broker needed)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from runtime import logs
from runtime.broker import embedded
from runtime.settings import load_settings
from tests.clirunner import sigma


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGMA_BOOTSTRAP_SERVERS", "env-host:9092")
    monkeypatch.setenv("SIGMA_BROKER_PORT", "19092")
    assert load_settings().bootstrap == "env-host:9092"
    assert load_settings(bootstrap_servers="flag-host:9092").bootstrap == "flag-host:9092"
    monkeypatch.delenv("SIGMA_BOOTSTRAP_SERVERS")
    settings = load_settings()
    assert settings.bootstrap == "127.0.0.1:19092" and not settings.external
    assert settings.broker_data_dir().name == "broker-19092"


def test_logs_are_json_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    logs.configure("info", "auto", stream=out)
    structlog.get_logger("t").info("topics applied", count=3)
    structlog.get_logger("t").debug("hidden at info level")
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "topics applied" and record["count"] == 3 and record["level"] == "info"


def test_kafka_python_never_logs_records_even_at_debug() -> None:
    """kafka-python's DEBUG lines dump fetch responses with the record bytes: personal data."""
    logs.configure("debug", "json", stream=io.StringIO())
    assert not logging.getLogger("kafka.net.connection").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("kafka.net.connection").isEnabledFor(logging.INFO)
    logs.configure("info", "json", stream=io.StringIO())
    assert not logging.getLogger("kafka.net.connection").isEnabledFor(logging.WARNING)


def test_standard_library_records_follow_the_log_format() -> None:
    """kafka-python logs through the standard library: its lines are JSON too, with the logger's name."""
    out = io.StringIO()
    logs.configure("info", "json", stream=out)
    logging.getLogger("kafka.net.connection").critical("Connection lost: %s", "111 ECONNREFUSED")
    logging.getLogger("other.library").error("failed")
    structlog.get_logger("t").info("ours")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r.get("logger"), r["level"], r["event"]) for r in records] == [
        ("kafka.net.connection", "critical", "Connection lost: 111 ECONNREFUSED"),
        ("other.library", "error", "failed"), (None, "info", "ours")]
    assert all(r["timestamp"].endswith("Z") for r in records)
    console = io.StringIO()
    logs.configure("info", "console", stream=console)
    logging.getLogger("other.library").error("failed")
    assert "[other.library]" in console.getvalue() and "[error" in console.getvalue()
    ours = [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME]
    assert len(ours) == 1, "configuring again replaces the handler"


def test_every_log_line_of_a_cli_run_is_json_when_stderr_is_not_a_terminal() -> None:
    """At debug level kafka-python logs every connection attempt; the only other line is sigma's error."""
    result = sigma("--log-level", "debug", "topics", "apply",
                   env={"SIGMA_LOG_FORMAT": "auto", "SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                        "SIGMA_CONNECT_TIMEOUT": "2"})
    *log_lines, error = result.stderr.splitlines()
    assert result.returncode == 1 and error.startswith("sigma: error: cannot reach Kafka at 127.0.0.1:1")
    loggers = {json.loads(line).get("logger", "") for line in log_lines}
    assert any(name.startswith("kafka.") for name in loggers), loggers


def test_personal_fields_are_redacted_whatever_the_caller_passes() -> None:
    out = io.StringIO()
    logs.configure("info", "json", stream=out)
    structlog.get_logger("t").warning("bad record", v_number="1234567890", details="diabetes", case="ck_1")
    record = json.loads(out.getvalue())
    assert record["v_number"] == "[redacted]" and record["details"] == "[redacted]"
    assert "1234567890" not in out.getvalue() and "diabetes" not in out.getvalue()
    assert record["case"] == "ck_1"


def test_capture_logs_sees_structured_events() -> None:
    with capture_logs() as captured:
        structlog.get_logger("t").info("resolved", version="4.1.1")
    assert captured == [{"event": "resolved", "version": "4.1.1", "log_level": "info"}]


def test_bad_setting_is_one_line_with_exit_2() -> None:
    result = sigma("broker", "status", env={"SIGMA_BROKER_PORT": "not-a-port"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sigma: error: invalid setting SIGMA_BROKER_PORT: Input should be a valid integer, unable to parse "
        "string as an integer: correct the environment variable"
    ]


def test_usage_error_exits_2() -> None:
    result = sigma("broker", "start", "--port", "abc")
    assert result.returncode == 2
    assert "Invalid value for '--port'" in result.stderr


def test_help_lists_every_group(repo_root: Path) -> None:
    result = sigma("--help")
    assert result.returncode == 0
    for group in ("broker", "topics"):
        assert group in result.stdout


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """kafka-storage reads ``-t -abc…`` as an option: one random id in 64 used to break ``broker start``."""
    dashed = uuid.UUID(bytes=b"\xf8" + b"\x00" * 15)  # base64 of 0xF8… begins with "-"
    plain = uuid.UUID(bytes=b"\x00" * 16)
    draws = iter([dashed, dashed, plain])
    monkeypatch.setattr(embedded.uuid, "uuid4", lambda: next(draws))
    cluster_id = embedded.new_cluster_id()
    assert cluster_id == "AAAAAAAAAAAAAAAAAAAAAA" and not cluster_id.startswith("-")
