"""`sigma simulate` errors that need no broker: one line, the fix, the right exit code."""

from __future__ import annotations

from pathlib import Path

from tests.clirunner import sigma

UNREACHABLE = {"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_CONNECT_TIMEOUT": "2"}


def test_an_unreachable_broker_is_one_line_and_exit_1(tmp_path: Path) -> None:
    truth = tmp_path / "truth.jsonl"
    result = sigma("simulate", "--cases", "10", "--truth", str(truth), env=UNREACHABLE)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("sigma: error: cannot reach Kafka at 127.0.0.1:1")
    assert "check the address" in line
    assert not truth.exists()


def test_an_unknown_profile_is_a_usage_error_listing_the_known_ones() -> None:
    result = sigma("simulate", "--profile", "inspectie-2019", env=UNREACHABLE)
    assert result.returncode == 2, "checked before any connection is tried"
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("sigma: error: unknown profile 'inspectie-2019'")
    assert "ideal" in line and "inspectie-2018" in line


def test_a_broken_profile_file_is_a_usage_error(tmp_path: Path) -> None:
    custom = tmp_path / "custom.toml"
    custom.write_text('name = "custom"\n[rates.coa.escort]\nlate = 0.2\n')
    result = sigma("simulate", "--profile", str(custom), env=UNREACHABLE)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "coa is never responsible for escort" in line and "use kmar" in line


def test_help_names_the_options() -> None:
    result = sigma("simulate", "--help")
    assert result.returncode == 0
    for option in ("--cases", "--seed", "--profile", "--truth", "--speed", "--summary-json"):
        assert option in result.stdout
