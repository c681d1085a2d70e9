"""docs/wire-contract.md against the code: every test vector on the page is what the code computes, and every
error code, dead-letter header, finding field and report field the code can produce is on the page.

Partners implement the page, not the code; a page that drifted from the code would send them wrong. The
tables are parsed, not searched for loose values, so a value next to the wrong input fails too.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
import pytest

from consumers.dlq import dead_letter, dead_letter_headers
from consumers.records import ConsumedRecord
from runtime import poison
from schemas import layout, topics
from schemas.catalogue import CATALOGUE
from schemas.codec import AvroSerializer
from schemas.deadletters import HEADERS, REASON_LIMIT, STAGES, TRUNCATED
from schemas.errors import CodecError
from schemas.events import FitToFly
from schemas.examples import EXAMPLE_CASE_KEY, example
from schemas.findings import DefectChange, ValidationFinding
from schemas.wirecontract import PREFIX_EXAMPLE, kafka_partition, vectors
from validator import revision
from validator.engine import Counters, Engine
from validator.online import _finding_value
from validator.report.model import build_report
from validator.rules import Finding, Verdict

DOC = (layout.REPO_ROOT / "docs" / "wire-contract.md").read_text(encoding="utf-8")
VECTORS = vectors()


def section(title: str) -> str:
    """The text of the ``## title`` section, up to the next one."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC, flags=re.S | re.M)
    assert found, f"the page has no section '{title}'"
    return found.group(1)


def rows(text: str, pattern: str) -> list[tuple[str, ...]]:
    """Every table row of ``text`` matching ``pattern`` (anchored to the whole line), as its groups."""
    return [m.groups() for m in re.finditer(rf"^{pattern}$", text, flags=re.M)]


def code(text: str) -> str:
    return f"`{text}`"


def test_case_key_table_is_the_derivation_the_code_performs() -> None:
    expected = [(row["v_number"], row["secret"], row["secret_utf8_hex"], row["case_key"])
                for row in VECTORS["case_keys"]]
    table = rows(section("The key: case-key derivation"),
                 r"\| `(\d{10})` \| `([^`]+)` \| `([0-9a-f]+)` \| `(ck_[0-9a-f]{24})` \|")
    assert table == expected
    for v_number, secret, secret_hex, key in table:
        # the page's recipe, step by step: UTF-8 secret, HMAC-SHA256 over the V-number, first 24 hex characters
        assert secret.encode("utf-8").hex() == secret_hex
        digest = hmac.new(secret.encode("utf-8"), v_number.encode("ascii"), hashlib.sha256).hexdigest()
        assert key == "ck_" + digest[:24]
    assert any(not secret.isascii() for _, secret, _, _ in table), "a vector must pin the secret's encoding"


def test_partition_table_is_kafkas_placement_and_differs_from_librdkafkas_default() -> None:
    expected = [(row["key"], str(row["murmur2"]), str(row["positive"]), *(str(p) for p in row["partition"].values()),
                 " / ".join(str(p) for p in row["crc32_partition_not_this"].values()))
                for row in VECTORS["partitions"]]
    table = rows(section("Partitioning"),
                 r"\| `(ck_[0-9a-f]{24})` \| (-?\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+ / \d+ / \d+) \|")
    assert table == expected
    assert any(int(murmur) < 0 for _, murmur, *_ in table), "a vector must show the sign bit cleared, not abs()"
    assert any(len({p3, p6, p12}) == 3 for _, _, _, p3, p6, p12, _ in table)
    assert any(crc.split(" / ")[1] != p6 for _, _, _, _, p6, _, crc in table)


def test_crc64_table_and_every_released_fingerprint_are_on_the_page() -> None:
    crc = rows(section("The value: Avro single-object encoding"),
               r"\| (\(no bytes\)|`[^`]+`) \| `([0-9a-f]{16})` \| `([0-9a-f]{16})` \|")
    assert crc == [("(no bytes)" if not row["text"] else code(row["text"]), row["crc64_hex"], row["fingerprint_hex"])
                   for row in VECTORS["crc64_avro"]]
    fingerprints = rows(section("The value: Avro single-object encoding"),
                        r"\| ([a-z_]+) \| v(\d+) \| `([0-9a-f]{16})` \|")
    released = [(s.name, str(v), CATALOGUE.fingerprint(s.name, v).hex()) for s in CATALOGUE.subjects()
                for v in s.versions]
    assert fingerprints == released
    case_closed = next(row for row in VECTORS["schemas"] if row["subject"] == "case_closed")
    assert f"```text\n{case_closed['canonical_form']}\n```" in DOC


def test_whole_record_example_is_what_the_publisher_writes() -> None:
    avro = VECTORS["records"]["avro"]
    text = section("A whole record")
    assert f"| topic | {code(avro['topic'])} |" in text
    assert f"| key | {code(avro['key'])} (ASCII) |" in text
    partitions = next(t.partitions for t in topics.CHAIN_TOPICS if t.name == avro["topic"])
    assert f"| partition | {kafka_partition(avro['key'].encode(), partitions)} of {partitions} |" in text
    value = bytes.fromhex(avro["value_hex"])
    assert f"The value, {len(value)} bytes (hex):" in text
    assert "```text\n" + "\n".join(textwrap.wrap(avro["value_hex"], 64)) + "\n```" in text
    offset = 0  # the byte-by-byte table covers the value exactly: spelled-out bytes, then "+ N bytes" skipped
    for spelled, skipped in rows(text, r"\| ((?:`[0-9a-f]+` ?)+)(?: \+ (\d+) bytes)? \|.*\|.*\|"):
        part = bytes.fromhex(spelled.replace("`", "").replace(" ", ""))
        assert value[offset:offset + len(part)] == part, f"at byte {offset}"
        offset += len(part) + int(skipped or 0)
    assert offset == len(value)


def test_headers_table_lists_each_header_with_the_examples_value() -> None:
    table = rows(section("Headers"), r"\| `([a-z_-]+)` \| .+ \| `([^`]+)` \|")
    assert table == [(h["name"], h["value"]) for h in VECTORS["records"]["avro"]["headers"]]


def test_json_alternative_shows_the_json_codecs_value_and_the_headers_it_changes() -> None:
    json_record = VECTORS["records"]["json"]
    text = section("The JSON alternative")
    assert f"```json\n{json_record['value_text']}\n```" in text
    avro_headers = {h["name"]: h["value"] for h in VECTORS["records"]["avro"]["headers"]}
    changed = [(h["name"], h["value"]) for h in json_record["headers"] if avro_headers[h["name"]] != h["value"]]
    assert rows(text, r"\| `([a-z_-]+)` \| `([^`]+)` \|") == changed


def test_prefix_joining_row() -> None:
    prefix, topic = PREFIX_EXAMPLE
    assert rows(section("Topics and the prefix"), r"\| `([^`]+\.)` \| `([^`]+)` \| `([^`]+)` \|") == [
        (prefix, topic, VECTORS["topic_prefix"]["joined"])]


def test_topics_table_names_every_topic_and_subject() -> None:
    text = section("Topics and the prefix")
    for spec in topics.ALL_TOPICS:
        assert f"| {code(spec.name)} |" in text
    for subject in CATALOGUE.subjects():
        for producer, topic in subject.topics.items():
            assert re.search(rf"^\| `{re.escape(topic)}` \| {producer.value} \|.*\b{subject.name}\b", text,
                             flags=re.M), (topic, subject.name)


# -- error codes ---------------------------------------------------------------------------------------------

DYNAMIC_CODES = {"exc.code": "the codec's errors", "wrong.code": "the header checks' problems",
                 "headers.code": "what kafka-python could not read (runtime.poison)"}
"""Every ``Rejection`` whose code is not written literally in the engine, and where its codes come from: each
source is collected below, so a new one must be added here (and its codes to the page)."""


def _calls(path: str, name: str) -> list[ast.Call]:
    tree = ast.parse((layout.REPO_ROOT / path).read_text())
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name]


def _semantic_rejections() -> dict[str, str]:
    """Code -> stage of every ``Rejection(stage, code, ...)`` written literally in the engine, of the header
    checks and of the records kafka-python could not read."""
    found: dict[str, str] = {}
    dynamic = set()
    for node in _calls("validator/engine.py", "Rejection"):
        stage, kind = node.args[0], node.args[1]
        if isinstance(stage, ast.Constant) and isinstance(kind, ast.Constant):
            found[str(kind.value)] = str(stage.value)
        else:
            dynamic.add(ast.unparse(kind))
    assert dynamic == set(DYNAMIC_CODES), "a Rejection with a code from a new source: collect its codes here"
    for node in _calls("runtime/poison.py", "PoisonHeaders"):  # the engine rejects these in the decode stage
        code_node = node.args[1]
        assert isinstance(code_node, ast.Name), ast.unparse(code_node)
        found[str(getattr(poison, code_node.id))] = "decode"
    # the header checks' codes, which the engine dead-letters in the semantic stage
    for node in _calls("schemas/envelope.py", "HeaderProblem"):
        assert isinstance(node.args[0], ast.Constant)
        found[str(node.args[0].value)] = "semantic"
    return found


def _codec_codes() -> set[str]:
    pending, codes = [CodecError], set()
    while pending:
        for sub in pending.pop().__subclasses__():
            codes.add(sub.code)
            pending.append(sub)
    return codes


def _record(value: bytes, headers: list[tuple[str, bytes]]) -> ConsumedRecord:
    return ConsumedRecord("chain.medical.fit-to-fly", 0, 0, 0, 0, EXAMPLE_CASE_KEY.encode(), value, headers)


CODEC_TRIGGERS: dict[str, ConsumedRecord] = {
    "truncated": _record(b"", []),
    "not-avro": _record(b"xyz", []),
    "unknown-schema": _record(b"\xc3\x01" + bytes(8) + b"\x00", []),
    "content-type": _record(b"{}", [("content-type", b"text/plain")]),
    "schema-invalid": _record(b'{"fit": true}', [("content-type", b"application/json"),
                                                 ("ce_type", b"nl.medical.fit_to_fly.v1")]),
    "bad-case-key": _record(AvroSerializer()(FitToFly.model_construct(**(example(FitToFly).__dict__
                                                                          | {"case_key": "ck_NOT"}))), []),
}
"""One record per codec error code: the engine says which stage it dead-letters it in."""


def test_error_code_table_is_every_code_the_validator_and_codec_can_emit_with_its_stage() -> None:
    assert set(CODEC_TRIGGERS) == _codec_codes(), "a new codec error code needs a trigger here and a row on the page"
    emitted = dict(_semantic_rejections())
    for expected_code, record in CODEC_TRIGGERS.items():
        _, rejection = Engine().process(record)
        assert rejection is not None and rejection.code == expected_code, expected_code
        emitted[rejection.code] = rejection.stage
    table = rows(section("What the validator checks, and the error codes"),
                 r"\| `([a-z0-9-]+)` \| (decode|validate|semantic|process) \| .+ \| .+ \|")
    assert dict(table) == emitted
    assert len(table) == len(emitted), "a code is listed twice"
    assert set(emitted.values()) | {"process"} == set(STAGES)


def _dlq_literals() -> set[str]:
    """Every ``dlq_…`` string written in sigma's code: the headers it can put on a dead letter or read from one."""
    found = set()
    for room in ("runtime", "schemas", "consumers", "validator", "sigma", "producers", "compat"):
        for path in (layout.REPO_ROOT / room).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and re.fullmatch(r"dlq_[a-z_]+", node.value):
                    found.add(node.value)
    return found


def test_every_dead_letter_header_in_the_code_is_in_the_message_book_and_on_this_page() -> None:
    """A ``dlq_`` header added anywhere in the code fails here until ``schemas.deadletters.HEADERS`` (which the
    message book and the AsyncAPI document are generated from) and this page's table have it."""
    names = [h.name for h in HEADERS]
    assert _dlq_literals() <= set(names), "document the header in schemas/deadletters.py and on the page"
    table = [name for name, in rows(section("Dead letters"), r"\| `(dlq_[a-z_]+)` \| .+ \|")]
    assert table == names
    assert f"at most {REASON_LIMIT} characters" in section("Dead letters")


@pytest.mark.parametrize("path", [None, "$.case_key"])
def test_the_writer_adds_the_headers_in_the_documented_order(path: str | None) -> None:
    record = _record(b"x", [("ce_id", b"1")])
    written = [name for name, _ in dead_letter_headers(record, stage="decode", code="not-avro", reason="r" * 999,
                                                       path=path)][1:]
    cut = dead_letter(_record(b"x" * 5000, [("ce_id", b"1")]), stage="decode", code="not-avro", reason="r",
                      path=path, limit=1000)
    assert [name for name, _ in cut.headers][1:] == [*written, TRUNCATED]
    assert written == [h.name for h in HEADERS if h.always or (h.name == "dlq_json_path" and path)]
    for header in HEADERS:
        value = dict(cut.headers).get(header.name)
        if value is not None and header.pattern:
            assert re.fullmatch(header.pattern, value.decode()), header.name


def _verdict() -> Verdict:
    departure = datetime(2024, 3, 6, 9, 30, 15, 123456, tzinfo=UTC)
    return Verdict(EXAMPLE_CASE_KEY, departure, departure - timedelta(hours=48),
                   (Finding("PHY-001", "physical_features", "dtv", "missing"),))


def test_findings_example_and_fields_are_what_the_validator_publishes() -> None:
    text = section("Findings")
    verdict = _verdict()
    value = _finding_value(verdict, watermark=verdict.checkpoint + timedelta(hours=1)).decode()
    assert f"```json\n{value}\n```" in text
    document: dict[str, Any] = json.loads(value)
    assert [name for name, in rows(text, r"\| `([a-z_]+)` \| .+ \|")] == sorted(document) \
        == sorted(ValidationFinding.model_fields)
    for name in DefectChange.model_fields:
        assert f"`{name}`" in text
    released = layout.json_path(ValidationFinding.subject, ValidationFinding.version)
    assert f"(../{released})" in text
    schema = json.loads((layout.REPO_ROOT / released).read_text(encoding="utf-8"))
    jsonschema_rs.validator_for(schema, validate_formats=True).validate(document)


def test_a_revision_as_the_validator_builds_it_is_valid_against_the_released_schema() -> None:
    """The revision fields from the code that fills them (``validator.revision``): a late delivery and a late
    statement arrived, and the defect changed kind."""
    verdict = _verdict()
    before = revision.signature(verdict.defects)
    late = Verdict(verdict.case, verdict.departure, verdict.checkpoint,
                   (Finding("PHY-001", "physical_features", "dtv", "late"),))
    news = [revision.Arrival("belongings", "coa", verdict.checkpoint - timedelta(hours=2)),
            revision.Arrival("physical_features", "dtv", verdict.checkpoint + timedelta(hours=3))]
    watermark = verdict.checkpoint + timedelta(hours=9)
    value = _finding_value(late, watermark=watermark, revision=1,
                           reason=revision.reason(news, verdict.checkpoint, watermark),
                           changes=revision.changes(before, revision.signature(late.defects)))
    schema = json.loads((layout.REPO_ROOT / layout.json_path(ValidationFinding.subject, ValidationFinding.version))
                        .read_text(encoding="utf-8"))
    document = json.loads(value)
    jsonschema_rs.validator_for(schema, validate_formats=True).validate(document)
    assert [c["change"] for c in document["changes"]] == ["removed", "added"]
    assert "late arrival from COA" in document["reason"]


def test_the_report_section_links_its_schema() -> None:
    assert f"(../{layout.REPORT_SCHEMA})" in section("The report")


def test_report_table_is_every_field_of_the_report() -> None:
    report = build_report([_verdict()], Counters(3, 2, 1), checkpoint_hours=48.0, dead_letters={"key-mismatch": 1})
    text = section("The report")
    assert [name for name, in rows(text, r"\| `([a-z_]+)` \| .+ \|")] == list(report)
    for name in (*report["records"], *report["baseline"], *report["over_time"][0], *report["cases"][0]):
        assert f"`{name}`" in text, name
