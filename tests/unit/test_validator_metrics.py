"""The validator's case figures as verdicts change, its health checks, and the metrics server's errors (no
broker: the scrape against a real run is tests/integration/test_ops_metrics.py)."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from runtime.errors import UsageError
from runtime.metrics import MetricsServer
from tests.clirunner import sigma
from validator import metrics as measured
from validator.metrics import ValidatorMetrics

BELONGINGS = ("belongings-listed", "belongings", "coa", "missing")
MEDICAL = ("medical-shared", "medical", "medical-service", "late")


def figures(m: ValidatorMetrics) -> tuple[float | None, ...]:
    value = m.registry.get_sample_value
    return (value("sigma_cases_checked"), value("sigma_cases_defective"),
            value("sigma_cases_defective_by_category", {"category": "belongings"}),
            value("sigma_cases_defective_by_category", {"category": "medical"}))


def test_case_figures_follow_each_cases_latest_verdict() -> None:
    m = ValidatorMetrics()
    assert figures(m) == (0, 0, 0, 0)  # every category is exposed from the start, at zero
    m.judged(None, (BELONGINGS, MEDICAL))
    m.judged(None, ())
    assert figures(m) == (2, 1, 1, 1)
    m.judged((BELONGINGS, MEDICAL), (MEDICAL,))  # a late event fixed the belongings
    assert figures(m) == (2, 1, 0, 1)
    m.judged((MEDICAL,), ())
    assert figures(m) == (2, 0, 0, 0)
    resumed = ValidatorMetrics()
    resumed.resumed([(BELONGINGS, BELONGINGS), (), (MEDICAL,)])  # two defects of one category: one case
    assert figures(resumed) == (3, 2, 1, 1)


def test_health_says_starting_then_ok_then_stalled(monkeypatch: pytest.MonkeyPatch) -> None:
    m = ValidatorMetrics()
    assert m.alive() == (True, "starting: assigning partitions and loading the snapshot")
    assert m.ready()[0] is False
    now = time.monotonic()
    monkeypatch.setattr(m, "_last_poll", now)
    assert m.alive() == (True, "ok") and m.ready() == (True, "ok")
    monkeypatch.setattr(m, "_last_poll", now - measured.UNREADY_AFTER - 1)
    assert m.alive() == (True, "ok")
    assert m.ready()[0] is False and m.ready()[1].startswith("not consuming: no poll for")
    monkeypatch.setattr(m, "_last_poll", now - measured.STALLED_AFTER - 1)
    assert m.alive()[0] is False and m.alive()[1].startswith("stalled: no poll for")


def test_the_server_answers_checks_with_their_status_and_reason() -> None:
    m = ValidatorMetrics()
    with MetricsServer(m.registry, m.checks(), port=0) as server:
        base = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{base}/healthz") as answer:
            assert answer.status == 200 and answer.read().startswith(b"starting")
        with pytest.raises(urllib.error.HTTPError) as unready:
            urllib.request.urlopen(f"{base}/readyz")
        assert unready.value.code == 503
        with urllib.request.urlopen(f"{base}/metrics") as answer:
            page = answer.read().decode()
        assert "sigma_cases_checked 0.0" in page and "_created" not in page


def test_a_port_in_use_is_one_line_before_any_work(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError):
            MetricsServer(ValidatorMetrics().registry, {}, port=port)
        result = sigma("validate", "--metrics-port", str(port), "--state-dir", str(tmp_path),
                       env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode == 2
    assert result.stderr == (f"sigma: error: cannot serve metrics on 127.0.0.1:{port} (Address already in use): "
                             "choose another --metrics-port or --metrics-address\n")
    offline = sigma("validate", "--from-file", str(tmp_path / "r.jsonl"), "--metrics-port", "9464")
    assert offline.returncode == 2 and offline.stderr.startswith("sigma: error: --metrics-port serves the online")
