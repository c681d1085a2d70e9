"""Every CLI error path without a broker: exactly one line on stderr, ``sigma: error: <what>: <fix>``, the
documented exit code (1 failure, 2 usage or input), no traceback, and nothing the user pointed at damaged."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from tests.clirunner import sigma

UNREACHABLE = {"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_CONNECT_TIMEOUT": "2"}
"""No broker: a command that got as far as connecting would fail with exit 1, "cannot reach Kafka"."""


def one_error(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """The one stderr line of a failed command, after checking the contract around it."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == exit_code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sigma: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "chain.jsonl"
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in chain_records(20):
            writer.write(record)
    return path


def _symlink(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    real = tmp_path / "real.txt"
    real.write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(real)
    return link, lambda: None if link.is_symlink() and real.read_text() == "keep me" else pytest.fail("link changed")


def _fifo(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    """A FIFO stands for a device node: both are special files, and a write to a FIFO nobody reads blocks."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo, lambda: None if stat.S_ISFIFO(fifo.lstat().st_mode) else pytest.fail("FIFO replaced")


def _directory(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    folder = tmp_path / "folder"
    folder.mkdir()
    return folder, lambda: None if folder.is_dir() and not any(folder.iterdir()) else pytest.fail("folder changed")


def _under_a_file(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    plain = tmp_path / "plain"
    plain.write_text("keep me")
    return plain / "report", lambda: None if plain.read_text() == "keep me" else pytest.fail("file changed")


def _proc(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    """/proc takes no new files, even from root (for whom permission bits mean nothing)."""
    return Path("/proc/sigma-report"), lambda: None


BAD_DESTINATIONS = {
    "symlink": (_symlink, "is a symbolic link"),
    "fifo": (_fifo, "is a FIFO (named pipe)"),
    "directory": (_directory, "is a directory"),
    "under a file": (_under_a_file, "plain is not a directory"),
    "unwritable folder": (_proc, "cannot create files in /proc"),
}


@pytest.mark.parametrize(("flag", "kind"), [("--report-json", kind) for kind in BAD_DESTINATIONS]
                         + [("--report-html", "directory")])
def test_offline_report_destinations(tmp_path: Path, recording: Path, flag: str, kind: str) -> None:
    make, says = BAD_DESTINATIONS[kind]
    path, untouched = make(tmp_path)
    line = one_error(sigma("validate", "--from-file", str(recording), flag, str(path), "-q"), 2)
    assert f"{flag} {path}" in line and says in line
    untouched()


@pytest.mark.parametrize(("args", "flag"), [
    (("validate", "--to-end"), "--report-json"),
    (("simulate", "--cases", "5"), "--truth"),
    (("simulate", "--cases", "5"), "--summary-json"),
    (("record", "--topics", "chain.*", "--to-end"), "--out"),
])
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_destinations_are_refused_before_any_work(tmp_path: Path, args: tuple[str, ...], flag: str, kind: str) -> None:
    """Refused with exit 2 before connecting (that would be exit 1 here): a long run is never lost at its end."""
    make, says = BAD_DESTINATIONS[kind]
    path, untouched = make(tmp_path)
    line = one_error(sigma(*args, flag, str(path), env=UNREACHABLE), 2)
    assert f"{flag} {path} {says}" in line
    untouched()


def test_docs_refuses_a_linked_document_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "message-book.md").write_text("old book")
    link, untouched = _symlink(tmp_path)
    (out / "asyncapi.yaml").symlink_to(link)
    line = one_error(sigma("schemas", "docs", "--out", str(out)), 2)
    assert "asyncapi.yaml is a symbolic link" in line
    untouched()
    assert (out / "message-book.md").read_text() == "old book", "checked all before writing any"


def test_docs_replaces_regular_files_through_a_rename(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "message-book.md").write_text("old book")
    result = sigma("schemas", "docs", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == ["asyncapi.yaml", "message-book.md", "wire-contract-vectors.json"], (
        "no temporary file is left")
    assert (out / "message-book.md").read_text() != "old book"


def test_docs_check_of_an_unreadable_document_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "asyncapi.yaml").mkdir()
    line = one_error(sigma("schemas", "docs", "--out", str(tmp_path), "--check"), 1)
    assert f"{tmp_path / 'asyncapi.yaml'}: Is a directory" in line


@pytest.mark.parametrize(("value", "bad"), [
    ("localhost:abc", "'localhost:abc'"), ("localhost", "'localhost'"), ("a:9092,,b:9092", "''"),
    ("[::1]:x", "'[::1]:x'"), ("host:99999", "'host:99999'"), (" :9092", "':9092'"),
])
def test_bad_bootstrap_addresses(value: str, bad: str) -> None:
    line = one_error(sigma("topics", "apply", env={"SIGMA_BOOTSTRAP_SERVERS": value}), 2)
    assert line == (f"sigma: error: invalid setting SIGMA_BOOTSTRAP_SERVERS: {bad} is not HOST:PORT with a port "
                    "from 1 to 65535: correct the environment variable")


def test_a_bad_bootstrap_flag_names_the_flag() -> None:
    line = one_error(sigma("-b", "localhost:abc", "topics", "apply"), 2)
    assert line == ("sigma: error: invalid --bootstrap-servers: 'localhost:abc' is not HOST:PORT with a port from 1 "
                    "to 65535: see `sigma --help`")


def test_an_empty_case_key_secret() -> None:
    line = one_error(sigma("simulate", env={**UNREACHABLE, "SIGMA_CASE_KEY_SECRET": ""}), 2)
    assert "invalid setting SIGMA_CASE_KEY_SECRET: must not be empty" in line


@pytest.mark.parametrize("args", [
    ("validate", "--bogus"), ("broker", "status", "--port", "abc"), ("simulate", "--cases", "-1"),
    ("--log-format", "xml", "topics", "list"), ("record",),
])
def test_click_usage_errors_are_one_line_too(args: tuple[str, ...]) -> None:
    line = one_error(sigma(*args), 2)
    assert line.endswith("--help`")


def test_no_arguments_still_shows_the_help() -> None:
    result = sigma("broker")
    assert result.returncode == 2 and "start" in result.stdout and result.stderr == ""


def test_an_unwritable_home_stops_broker_start_before_resolving_kafka(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    kafka = tmp_path / "kafka"
    line = one_error(sigma("broker", "start", env={"SIGMA_HOME": str(home), "SIGMA_KAFKA_DIR": str(kafka)},
                           drop=("SIGMA_BOOTSTRAP_SERVERS",)), 2)
    assert f"the broker data folder {home}/broker-" in line and f"{home} is not a directory" in line
    assert line.endswith("set SIGMA_HOME (or --data-dir) to a writable folder")
    assert not kafka.exists(), "checked before Maven was asked for the jars"


@pytest.mark.parametrize("content", [b"{garbage", b"", b"[1, 2]", b'{"cluster_id": "x"}', b"\xff\xfe"])
def test_a_corrupt_broker_state_file(tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "broker"
    data.mkdir()
    (data / "sigma-broker.json").write_bytes(content)
    kafka = tmp_path / "kafka"
    env = {"SIGMA_KAFKA_DIR": str(kafka)}
    args = ("--port", "1", "--data-dir", str(data))
    drop = ("SIGMA_BOOTSTRAP_SERVERS",)
    line = one_error(sigma("broker", "start", *args, env=env, drop=drop), 1)
    assert f"broker state file {data}/sigma-broker.json is " in line and f"or remove {data}" in line
    assert not kafka.exists()
    status = sigma("broker", "status", *args, env=env, drop=drop)
    assert status.returncode == 1 and status.stderr == "" and "Traceback" not in status.stdout
    assert status.stdout.startswith("not running: 127.0.0.1:1") and "broker state file" in status.stdout
    stop = sigma("broker", "stop", *args, env=env, drop=drop)
    assert stop.returncode == 0 and stop.stdout.startswith("not running")


@pytest.mark.parametrize(("name", "text"), [
    ("deep.json", '{"type": "object", "properties": {"a": ' * 3000 + "{}" + "}}" * 3000),
    ("deep.avsc", '{"type": "array", "items": ' * 150 + '"int"' + "}" * 150),
    ("lists.json", "[" * 100_000 + "]" * 100_000),
])
def test_a_deeply_nested_schema_names_its_depth(tmp_path: Path, name: str, text: str) -> None:
    deep = tmp_path / name
    deep.write_text(text)
    fine = tmp_path / ("fine.avsc" if name.endswith(".avsc") else "fine.json")
    fine.write_text('"int"' if name.endswith(".avsc") else '{"type": "object", "properties": {}}')
    for old, new in ((fine, deep), (deep, fine)):
        line = one_error(sigma("schemas", "compat", str(old), str(new)), 2)
        assert f"{deep}: objects and arrays nested " in line and "a schema may nest at most 100 levels" in line


def test_a_schema_at_the_depth_limit_is_compared(tmp_path: Path) -> None:
    old, new = tmp_path / "v1.avsc", tmp_path / "v2.avsc"
    old.write_text(json.dumps(_nested_arrays(99, "int")))
    new.write_text(json.dumps(_nested_arrays(99, "string")))
    result = sigma("schemas", "compat", str(old), str(new), "--level", "FULL")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr


def _nested_arrays(depth: int, leaf: str) -> object:
    schema: object = leaf
    for _ in range(depth):
        schema = {"type": "array", "items": schema}
    return schema


def test_check_against_a_folder_without_a_catalogue(tmp_path: Path) -> None:
    (tmp_path / "schemas" / "avro").mkdir(parents=True)
    for against in (tmp_path, tmp_path / "schemas"):
        line = one_error(sigma("schemas", "check", "--against", str(against)), 2)
        assert f"--against {against} holds no schema catalogue" in line and "give the root of a checkout" in line


@pytest.mark.parametrize("flag", ["--baseline", "--config"])
def test_check_with_a_missing_baseline_or_config_file(tmp_path: Path, flag: str) -> None:
    line = one_error(sigma("schemas", "check", "--against", "HEAD", flag, str(tmp_path / "none.toml")), 2)
    assert f"{flag} {tmp_path / 'none.toml'}: no such file" in line


@pytest.mark.parametrize(("spec", "says"), [
    ("stage=decoding", "bad filter 'stage=decoding': use one of decode, validate, semantic, process"),
    ("topic=(", "bad filter 'topic=('"),
    ("colour=red", "bad filter 'colour=red'"),
])
def test_bad_dlq_filters_before_connecting(spec: str, says: str) -> None:
    assert says in one_error(sigma("dlq", "list", "--filter", spec, env=UNREACHABLE), 2)
