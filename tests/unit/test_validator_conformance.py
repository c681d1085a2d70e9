"""``sigma conformance`` on a recording salted with one record of every kind of non-conformity, and on a clean one.

The salted records sit among a partner's clean output; the command must name each of them (coordinates and
rule) and nothing else, in every format, and say so in its exit code.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from runtime import poison
from schemas.codec import AvroSerializer, JsonSerializer
from schemas.envelope import to_record
from schemas.events import EVENT_TYPES, Belongings, ChainEvent, FitToFly, Partner
from schemas.examples import example
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_PARTITIONS
from tests.clirunner import sigma
from tests.forged import on_topic
from validator.conformance import FIXES, check_recording

AVRO, JSON = AvroSerializer(), JsonSerializer()


def _record(event: ChainEvent, offset: int, codec: Any = AVRO, topic: str | None = None) -> ConsumedRecord:
    out = to_record(event, codec) if topic is None else on_topic(topic, event, codec)
    return ConsumedRecord(out.topic, kafka_partition(out.key, CHAIN_PARTITIONS), offset, 0, 0, out.key, out.value,
                          list(out.headers))


def _broken(model: type[ChainEvent], **changes: Any) -> ChainEvent:
    return model.model_construct(**(example(model).__dict__ | changes))


def _clean() -> list[ConsumedRecord]:
    return [_record(example(model, i), i) for i, model in enumerate(EVENT_TYPES * 3)]


def _salts(start: int) -> dict[str, ConsumedRecord]:
    """One record per error code the validator can give a partner's record, at offsets from ``start``."""
    fit = example(FitToFly, 90)
    good = _record(fit, 0)
    headers = list(good.headers)
    salts: dict[str, ConsumedRecord] = {
        "no-key": good._replace(key=None),
        "not-avro": good._replace(value=b"\x00"[:0] + b"hello"),
        "truncated": good._replace(value=good.value[:20] if good.value else b""),
        "unknown-schema": good._replace(value=b"\xc3\x01" + bytes(8) + (good.value or b"")[10:]),
        "content-type": good._replace(headers=[(k, b"text/plain" if k == "content-type" else v) for k, v in headers]),
        "schema-invalid": _record(_broken(Belongings, bag_count=25, event_id="00000000-0000-4000-8000-0000000000b1"),
                                  0),
        "bad-key": good._replace(key=b"\xff\xfe"),
        "bad-case-key": _record(_broken(FitToFly, case_key="ck_NOT_A_CASE_KEY", event_id=fit.event_id[:-1] + "c"),
                                0),
        "key-mismatch": good._replace(key=b"ck_000000000000000000000000"),
        "partner-not-allowed": _record(_broken(Belongings, partner=Partner.KMAR), 0, JSON, "chain.coa.belongings"),
        "source-mismatch": _record(_broken(Belongings, partner=Partner.DTV,
                                           event_id="00000000-0000-4000-8000-0000000000b2"),
                                   0, AVRO, "chain.coa.belongings"),  # COA's topic, in DT&V's name
        "wrong-topic": good._replace(topic="chain.medical.medical"),  # the medical service's, not fit_to_fly's
        "missing-header": good._replace(headers=[(k, v) for k, v in headers if k != "ce_source"]),
        "bad-header": good._replace(headers=[*headers, ("ce_subject", b"x")]),
        "header-mismatch": good._replace(headers=[(k, b"nl.medical.fit_to_fly.v7" if k == "ce_type" else v)
                                                  for k, v in headers]),
        "wrong-partition": good._replace(partition=(good.partition + 1) % CHAIN_PARTITIONS),
        "event-id-conflict": _record(_broken(FitToFly, doctor_ref="BIG-other", event_id=example(
            FitToFly, EVENT_TYPES.index(FitToFly)).event_id), 0),  # the id of a clean fit_to_fly, other content
    }
    return {code: record._replace(offset=start + i) for i, (code, record) in enumerate(salts.items())}


def _write(path: Path, records: list[ConsumedRecord]) -> Path:
    with RecordingWriter(path, {"cluster": "test", "topics": {}}) as writer:
        for record in records:
            writer.write(record)
    return path


KAFKA_ONLY = {poison.HEADER_KEY_NOT_UTF8, poison.UNREADABLE}
"""Codes of records the Kafka client cannot read (``runtime.poison``): ``--topics`` meets them, a recording
cannot hold them (it holds what was read)."""


def test_every_code_a_partner_can_cause_is_salted() -> None:
    assert set(_salts(0)) == set(FIXES) - KAFKA_ONLY


def test_a_salted_recording_yields_each_seeded_non_conformity_and_nothing_else(tmp_path: Path) -> None:
    clean = _clean()
    salts = _salts(len(clean))
    path = _write(tmp_path / "salted.jsonl", [*clean, *salts.values()])
    result = check_recording(path)
    assert result.records == len(clean) + len(salts)
    found = {(f.topic, f.partition, f.offset): f.rule for f in result.findings}
    assert found == {(r.topic, r.partition, r.offset): code for code, r in salts.items()}
    assert result.rules == dict.fromkeys(sorted(salts), 1)
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["schema-invalid"].where == "$.bag_count"
    assert by_rule["missing-header"].where == "header ce_source"
    assert all(f.fix == FIXES[f.rule] for f in result.findings)

    json_run = sigma("conformance", str(path), "--format", "json")
    assert json_run.returncode == 1, json_run.stderr
    document = json.loads(json_run.stdout)
    assert (document["records"], document["nonconforming"]) == (len(clean) + len(salts), len(salts))
    assert {(f["offset"], f["rule"]) for f in document["findings"]} == {(r.offset, c) for c, r in salts.items()}

    junit = sigma("conformance", str(path), "--format", "junit", "--out", str(tmp_path / "junit.xml"))
    assert junit.returncode == 1 and junit.stdout == ""
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("failures") == str(len(salts))
    failing = {case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert failing == set(salts)

    text = sigma("conformance", str(path))
    assert text.returncode == 1
    line = next(x for x in text.stdout.splitlines() if " wrong-partition " in x)
    wrong = salts["wrong-partition"]
    assert line.startswith(f"chain.medical.fit-to-fly/{wrong.partition}@{wrong.offset}")
    assert "fix: leave Kafka's Java partitioner" in line


def test_a_clean_recording_conforms_exit_0(tmp_path: Path) -> None:
    path = _write(tmp_path / "clean.jsonl", [*_clean(), *(_record(example(FitToFly, 500 + i), 100 + i, JSON)
                                                          for i in range(3))])
    run = sigma("conformance", str(path), "--format", "json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["findings"] == []
    assert sigma("conformance", str(path)).stdout.strip().endswith("conform, 0 do not")


def test_neither_or_both_sources_is_a_one_line_usage_error(tmp_path: Path) -> None:
    for args in ((), (str(tmp_path / "x.jsonl"), "--topics", "chain\\..*")):
        run = sigma("conformance", *args)
        assert run.returncode == 2 and run.stderr.startswith("sigma: error: give a recording or --topics")


def test_every_code_of_the_wire_contracts_table_has_a_fix_here() -> None:
    from schemas import layout

    page = (layout.REPO_ROOT / "docs" / "wire-contract.md").read_text(encoding="utf-8")
    codes = re.findall(r"^\| `([a-z0-9-]+)` \| (?:decode|validate|semantic|process) \|", page, flags=re.M)
    assert set(codes) == set(FIXES)
