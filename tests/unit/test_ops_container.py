"""The container image and the compose file, checked without a container engine: the Dockerfile read by the
official BuildKit parser (the ``dockerfile`` package), compose and Prometheus files as YAML, and every flag, port,
address and metric they name held to the code. The image itself is built where an engine runs (README)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import dockerfile
import pytest
import typer
import yaml

from sigma.main import _register, app
from validator.metrics import ValidatorMetrics

ROOT = Path(__file__).resolve().parents[2]


def stages() -> list[list[Any]]:
    """The Dockerfile's instructions, one list per stage (each starting with its FROM)."""
    found: list[list[Any]] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            found.append([])
        assert found, f"instruction before the first FROM: {command.original}"
        found[-1].append(command)
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_image_is_multi_stage_and_runs_the_sigma_cli_as_a_non_root_user() -> None:
    build, final = stages()[0], stages()[-1]
    assert len(stages()) == 2 and build[0].value[-2:] == ("AS", "build")
    final_commands = [c.cmd for c in final]
    user = [c for c in final if c.cmd == "USER"]
    assert len(user) == 1 and user[0].value[0].split(":")[0] not in {"root", "0"}
    uid, gid = user[0].value[0].split(":")
    assert any(f"--uid {uid}" in c.value[0] and f"--gid {gid}" in c.value[0] for c in final if c.cmd == "RUN")
    entrypoint = next(c for c in final if c.cmd == "ENTRYPOINT")
    assert entrypoint.json and entrypoint.value == ("sigma",)
    assert final_commands.index("USER") < final_commands.index("ENTRYPOINT")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sigma"] == "sigma.main:run"
    copies = [c for c in final if c.cmd == "COPY"]
    assert [(c.flags, c.value) for c in copies] == [(("--from=build",), ("/opt/sigma", "/opt/sigma"))]
    assert not any("gcc" in c.original or "cargo" in c.original for c in final), "no compiler in the runtime image"


def test_the_build_copies_every_package_and_nothing_the_context_leaves_out() -> None:
    build = stages()[0]
    sources = [c.value[0].rstrip("/") for c in build if c.cmd == "COPY" and not c.flags]
    sources += [v.rstrip("/") for c in build if c.cmd == "COPY" and not c.flags for v in c.value[1:-1]]
    for source in sources:
        assert (ROOT / source).exists(), source
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert not ignored & set(sources)
    assert {".venv", ".kafka", ".sigma", "native/target", ".git"} <= ignored
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {p.rstrip("*") for p in packages["include"]} <= set(sources)
    installs = [c.value[0] for c in build if c.cmd == "RUN" and "pip install" in c.value[0]]
    assert any("./native" in i for i in installs)
    assert any(re.search(r"pip install (--\S+ )*\.( |$)", i) for i in installs), "the project itself is installed"


def _validator_command() -> list[str]:
    command: list[str] = compose()["services"]["validator"]["command"]
    return command


def test_the_compose_validator_command_is_a_valid_sigma_command_line() -> None:
    _register()
    group = typer.main.get_command(app)
    root = group.context_class(group, info_name="sigma")
    args = _validator_command()
    validate = group.get_command(root, args[0])  # type: ignore[attr-defined]
    assert validate is not None and args[0] == "validate"
    parsed = validate.make_context("validate", list(args[1:]), parent=root).params
    assert parsed["metrics_address"] == "0.0.0.0"  # reachable from Prometheus's container
    assert parsed["to_end"] is False  # a service runs continuously


def test_compose_wires_broker_validator_metrics_and_prometheus_together() -> None:
    services = compose()["services"]
    assert {"kafka", "topics", "validator", "prometheus"} <= set(services)
    args = _validator_command()
    port = args[args.index("--metrics-port") + 1]
    exposed = next(c for c in stages()[-1] if c.cmd == "EXPOSE").value
    assert exposed == (port,)
    validator = services["validator"]
    assert validator["build"] == "." and validator["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(validator["healthcheck"]["test"])
    kafka_env = services["kafka"]["environment"]
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    for name in ("topics", "validator", "sigma"):
        assert services[name]["environment"]["SIGMA_BOOTSTRAP_SERVERS"] == advertised, name
        assert services[name]["image"] == "sigma:local"
    assert services["topics"]["command"] == ["topics", "apply"]
    assert validator["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    [job] = prometheus["scrape_configs"]
    assert job["static_configs"] == [{"targets": [f"validator:{port}"]}]
    for mount in services["prometheus"]["volumes"]:
        source, target = mount.split(":")[:2]
        assert (ROOT / source).is_file(), source
        assert target in prometheus["rule_files"] or target.endswith("prometheus.yml")
    for published in [p for s in services.values() for p in s.get("ports", [])]:
        assert published.startswith("127.0.0.1:"), "published on the loopback address only"


def exported_names() -> set[str]:
    """Every sample name the validator's registry exposes (counters with their _total, histogram series)."""
    names: set[str] = set()
    for family in ValidatorMetrics().registry.collect():
        names |= {family.name, *(s.name for s in family.samples)}
        if family.type == "counter":  # a labelled counter has no sample before its first increment
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count")}
    return names


@pytest.mark.parametrize("rule", yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"][0]["rules"],
                         ids=lambda rule: str(rule["alert"]))
def test_every_alert_rule_reads_metrics_the_validator_exports(rule: dict[str, Any]) -> None:
    used = set(re.findall(r"\bsigma_[a-z_]+", rule["expr"]))
    assert used and used <= exported_names(), used - exported_names()
    assert rule["labels"]["severity"] and rule["annotations"]["summary"]


def test_the_alert_rules_cover_lag_and_the_defect_rate() -> None:
    exprs = " ".join(r["expr"] for r in yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"][0]
                     ["rules"])
    assert "sigma_consumer_lag" in exprs
    assert "sigma_cases_defective" in exprs and "sigma_cases_checked" in exprs
