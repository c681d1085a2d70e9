"""Generated documentation: committed copies are current, the AsyncAPI document holds together, the CLI lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from schemas import catalogue, layout, topics
from schemas.docs import ASYNCAPI_FILE, MARKDOWN_FILE, asyncapi, render_docs
from schemas.events import EVENT_TYPES, Partner
from schemas.wirecontract import VECTORS_FILE
from tests.clirunner import sigma

DOCS = layout.REPO_ROOT / "docs"


def test_committed_documents_are_current() -> None:
    for name, text in render_docs().items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, "run `sigma schemas docs --out docs`"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_asyncapi_document_is_self_consistent() -> None:
    document = yaml.safe_load((DOCS / ASYNCAPI_FILE).read_text())
    assert document == json.loads(json.dumps(asyncapi()))
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        _resolve(document, ref)
    for group in ("schemas", "messages"):
        assert all(re.fullmatch(r"[a-zA-Z0-9.\-_]+", key) for key in document["components"][group])
    assert set(document["channels"]) == {t.name for t in topics.CHAIN_TOPICS}
    assert set(document["components"]["messages"]) == {m.subject for m in EVENT_TYPES}


def test_asyncapi_messages_carry_payload_schema_and_cloudevents_headers() -> None:
    document = asyncapi()
    message = document["components"]["messages"]["fit_to_fly"]
    payload = _resolve(document, message["payload"]["$ref"])
    assert set(payload["properties"]) >= {"fit", "doctor_ref", "valid_until", "conditions", "case_key"}
    assert set(message["headers"]["properties"]) == {
        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema", "content-type"}
    assert message["headers"]["properties"]["ce_type"]["enum"] == ["nl.medical.fit_to_fly.v1"]
    assert message["x-readers"] == ["ind", "dtv", "kmar", "dji", "dvo"]
    assert message["bindings"]["kafka"]["key"]["pattern"].startswith("^ck_")


def test_asyncapi_has_a_send_operation_per_producing_partner_and_topic() -> None:
    operations = asyncapi()["operations"]
    expected = {f"{p.value}-sends-{s.topic}" for s in catalogue.subjects() for p in s.producers}
    sends = {name for name, op in operations.items() if op["action"] == "send"}
    assert sends == expected
    dtv_case = operations["dtv-sends-chain.case"]
    sent = {ref["$ref"].rsplit("/", 1)[1] for ref in dtv_case["messages"]}
    assert sent == {s.name for s in catalogue.subjects() if s.topic == "chain.case" and Partner.DTV in s.producers}
    assert operations["ind-reads-chain.medical.details"]["action"] == "receive"
    assert "kmar-reads-chain.medical.details" not in operations  # need-to-know


def test_message_book_describes_every_subject_and_field() -> None:
    book = render_docs()[MARKDOWN_FILE]
    for subject in catalogue.subjects():
        assert f"## {subject.name}\n" in book
        for field in subject.model.model_fields:
            assert f"| `{field}` |" in book
    assert "| `valid_until` | timestamp-micros | yes |" in book
    assert "ce_dataschema" in book


def test_cli_lists_subjects_as_a_table_and_as_json() -> None:
    table = sigma("schemas", "list")
    assert table.returncode == 0, table.stderr
    assert "fit_to_fly" in table.stdout and "chain.medical.details" in table.stdout
    listed = json.loads(sigma("schemas", "list", "--format", "json").stdout)
    row = next(r for r in listed if r["subject"] == "medical_details")
    assert row == {"subject": "medical_details", "versions": [1], "topic": "chain.medical.details",
                   "producers": ["medical"], "readers": ["ind", "medical"], "model": "MedicalDetails"}


def test_cli_docs_writes_the_documents_and_checks_them(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    stale = sigma("schemas", "docs", "--out", str(out), "--check")
    assert stale.returncode == 1 and "stale" in stale.stdout
    written = sigma("schemas", "docs", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([ASYNCAPI_FILE, MARKDOWN_FILE, VECTORS_FILE])
    assert sigma("schemas", "docs", "--out", str(out), "--check").returncode == 0
