"""Generated documentation: committed copies are current, the AsyncAPI document holds together, the CLI lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from schemas import access, catalogue, layout, topics
from schemas.deadletters import ERROR_CODES_SECTION, HEADERS, STAGES
from schemas.docs import ASYNCAPI_FILE, MARKDOWN_FILE, asyncapi, render_docs
from schemas.events import EVENT_TYPES, Partner
from schemas.findings import Defect, DefectChange, ValidationFinding
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
    assert set(document["channels"]) == {t.name for t in topics.ALL_TOPICS}
    assert set(document["components"]["messages"]) == {m.subject for m in EVENT_TYPES} | {
        "validation_finding", "finding_withdrawn", "dead_letter"}


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
    outputs = {t.name for t in topics.OUTPUT_TOPICS}
    expected = {f"{p.value}-sends-{t}" for s in catalogue.subjects() for p, t in s.topics.items()}
    expected |= {f"{g.principal}-sends-{g.name}" for g in access.plan(catalogue.CATALOGUE)
                 if g.name in outputs and g.operation == "write"}
    sends = {name for name, op in operations.items() if op["action"] == "send"}
    assert sends == expected
    dtv_case = operations["dtv-sends-chain.dtv.case"]
    sent = {ref["$ref"].rsplit("/", 1)[1] for ref in dtv_case["messages"]}
    assert sent == {s.name for s in catalogue.subjects() if s.topics.get(Partner.DTV) == "chain.dtv.case"}
    assert "kmar-sends-chain.dtv.case" not in operations  # one producer per topic
    assert operations["ind-reads-chain.medical.medical.details"]["action"] == "receive"
    assert "kmar-reads-chain.medical.medical.details" not in operations  # need-to-know
    assert operations["kmar-reads-chain.coa.medical"]["action"] == "receive"  # the decision in the message book
    assert {"validator-sends-chain.validation.findings", "validator-sends-chain.dlq",
            "tools-reads-chain.validation.findings", "tools-reads-chain.dlq"} <= set(operations)
    assert not [name for name in operations if name.endswith("-reads-chain.validation.findings")
                and not name.startswith("tools-")]  # no partner reads findings: the ACL plan grants none


def test_asyncapi_finding_is_the_released_schema_with_one_header_and_a_valid_example() -> None:
    document = asyncapi()
    message = document["components"]["messages"]["validation_finding"]
    payload = _resolve(document, message["payload"]["$ref"])
    assert list(payload["properties"]) == sorted(ValidationFinding.model_fields)
    assert payload["required"] == list(ValidationFinding.model_fields)
    assert payload["externalDocs"]["url"] == layout.uri("schemas/jsonschema/validation_finding/v1.json")
    assert message["contentType"] == "application/json" and list(message["headers"]["properties"]) == ["content-type"]
    released = json.loads((layout.REPO_ROOT / "schemas/jsonschema/validation_finding/v1.json").read_text())
    example = message["examples"][0]["payload"]
    jsonschema_rs.validator_for(released, validate_formats=True).validate(example)
    assert example["revision"] > 0 and example["changes"] and example["reason"]  # every field filled


def test_asyncapi_a_withdrawal_is_a_tombstone_on_the_findings_channel_with_its_reason_header() -> None:
    """The validator's own header name is the one documented (``schemas.findings.WITHDRAWN_HEADER``, which the
    broker test of withdrawals reads)."""
    document = asyncapi()
    message = document["components"]["messages"]["finding_withdrawn"]
    assert message["payload"] == {"type": "null"} and message["headers"]["required"] == ["withdrawn_reason"]
    assert message["examples"][0]["payload"] is None and " from " in message["examples"][0]["headers"][
        "withdrawn_reason"]
    channel = document["channels"]["chain.validation.findings"]["messages"]
    assert set(channel) == {"validation_finding", "finding_withdrawn"}
    sends = document["operations"]["validator-sends-chain.validation.findings"]["messages"]
    assert {"$ref": "#/channels/chain.validation.findings/messages/finding_withdrawn"} in sends


def _slug(heading: str) -> str:
    """A Markdown heading's anchor, as GitHub makes it."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def test_dead_letters_are_documented_with_every_header_and_a_link_to_the_error_codes() -> None:
    """The headers come from ``schemas.deadletters`` (which a wire-contract test holds to every ``dlq_`` header
    the code writes); the codes are linked, to a heading the wire contract has."""
    document = asyncapi()
    message = document["components"]["messages"]["dead_letter"]
    assert list(message["headers"]["properties"]) == [h.name for h in HEADERS]
    assert message["headers"]["required"] == [h.name for h in HEADERS if h.always]
    assert message["headers"]["properties"]["dlq_stage"]["enum"] == list(STAGES)
    book = render_docs()[MARKDOWN_FILE]
    section = book[book.index("\n## Dead letters\n"):]
    assert re.findall(r"^\| `(dlq_[a-z_]+)` \|", section, flags=re.M) == [h.name for h in HEADERS]
    page, anchor = ERROR_CODES_SECTION.split("#")
    headings = re.findall(r"^## (.+)$", (DOCS / page).read_text(encoding="utf-8"), flags=re.M)
    assert anchor in [_slug(h) for h in headings]
    assert f"]({ERROR_CODES_SECTION})" in section
    assert message["externalDocs"]["url"].endswith(ERROR_CODES_SECTION)


def test_message_book_describes_every_subject_and_field() -> None:
    book = render_docs()[MARKDOWN_FILE]
    for subject in catalogue.subjects():
        assert f"## {subject.name}\n" in book
        for field in subject.model.model_fields:
            assert f"| `{field}` |" in book
    finding = book[book.index("\n## validation_finding\n"):book.index("\n## Dead letters\n")]
    for model in (ValidationFinding, Defect, DefectChange):
        for field in model.model_fields:
            assert f"| `{field}` |" in finding, field
    assert "| `reason` | null \\| string | yes |" in finding  # a union's bar does not split the cell
    for spec in topics.ALL_TOPICS:
        assert f"| `{spec.name}` | {spec.partitions} |" in book
    assert "| `valid_until` | timestamp-micros | yes |" in book
    assert "ce_dataschema" in book


def test_the_message_book_records_why_kmar_and_dji_read_the_medical_situation() -> None:
    book = render_docs()[MARKDOWN_FILE]
    section = book[book.index("\n## medical_situation\n"):book.index("\n## medical_details\n")]
    assert "- Why these readers: Decided: KMar and DJI keep read access." in section
    assert "- Topics (one per producer): `chain.ind.medical`, `chain.coa.medical`, `chain.medical.medical`" in section


def test_cli_lists_subjects_as_a_table_and_as_json() -> None:
    table = sigma("schemas", "list")
    assert table.returncode == 0, table.stderr
    assert "fit_to_fly" in table.stdout and "chain.medical.medical.details" in table.stdout
    listed = json.loads(sigma("schemas", "list", "--format", "json").stdout)
    row = next(r for r in listed if r["subject"] == "medical_details")
    assert row == {"subject": "medical_details", "versions": [1],
                   "topics": {"medical": "chain.medical.medical.details"}, "producers": ["medical"],
                   "readers": ["ind", "medical"], "model": "MedicalDetails"}


def test_cli_docs_writes_the_documents_and_checks_them(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    stale = sigma("schemas", "docs", "--out", str(out), "--check")
    assert stale.returncode == 1 and "stale" in stale.stdout
    written = sigma("schemas", "docs", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([ASYNCAPI_FILE, MARKDOWN_FILE, VECTORS_FILE])
    assert sigma("schemas", "docs", "--out", str(out), "--check").returncode == 0
