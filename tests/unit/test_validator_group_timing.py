"""A validator group member's session settings (``validator.online.group_timing``, ``SIGMA_GROUP_SESSION_TIMEOUT``).

Why: how soon a killed member's partitions are taken over is its session timeout (``bench_scaleout``); the
default must be the validator's 10 s, not Kafka's 45 s, and the heartbeat must stay well inside it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.settings import Settings
from validator.online import group_timing


def test_the_default_session_is_ten_seconds_with_a_heartbeat_every_three() -> None:
    assert group_timing(Settings().group_session_timeout) == {"session_timeout_ms": 10_000,
                                                              "heartbeat_interval_ms": 3_000}


def test_a_shorter_session_beats_three_times_within_it_and_the_environment_sets_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGMA_GROUP_SESSION_TIMEOUT", "6")
    assert group_timing(Settings().group_session_timeout) == {"session_timeout_ms": 6_000,
                                                              "heartbeat_interval_ms": 2_000}


@pytest.mark.parametrize("seconds", ["5", "301", "soon"])
def test_a_session_the_brokers_would_refuse_is_a_settings_error(monkeypatch: pytest.MonkeyPatch, seconds: str) -> None:
    monkeypatch.setenv("SIGMA_GROUP_SESSION_TIMEOUT", seconds)
    with pytest.raises(ValidationError, match="group_session_timeout"):
        Settings()
