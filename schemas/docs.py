"""Render the chain's documentation from the catalogue: an AsyncAPI 3.0 document and a Markdown message book.

Why generated: documentation that is written by hand drifts from the schemas within a release; these
files are rendered from the same models and released files the codec uses, deterministically, so a
unit test can tell when the committed copies are stale.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from schemas import layout, outputdocs, topics
from schemas.catalogue import CATALOGUE, Catalogue, Subject
from schemas.codec import AvroSerializer
from schemas.doctables import record_tables
from schemas.envelope import headers
from schemas.events.base import CASE_KEY_PATTERN, Partner
from schemas.examples import example
from schemas.wirecontract import VECTORS_FILE, render_vectors

ASYNCAPI_FILE = "asyncapi.yaml"
MARKDOWN_FILE = "message-book.md"
MESSAGE_BOOK_EDITION = "1.0.0"
"""Edition of the document as a whole (AsyncAPI ``info.version``); each subject carries its own versions."""
KAFKA_BINDING = "0.5.0"

_HEADER_DOCS = {
    "ce_specversion": "CloudEvents version, always 1.0",
    "ce_id": "The event id (event_id of the payload)",
    "ce_source": "/nl/<partner>/<system>: the producing partner and its system",
    "ce_type": "nl.<partner>.<subject>.v<N>: who says what, in which schema version",
    "ce_time": "occurred_at of the payload, RFC 3339 in UTC",
    "ce_dataschema": "URI of the released schema file the value is written with",
    "content-type": "application/avro (single-object encoding) or application/json",
}


def _partners(partners: frozenset[Partner]) -> list[str]:
    order = list(Partner)
    return [p.value for p in sorted(partners, key=order.index)]


def _subjects_on(catalogue: Catalogue, topic: str) -> list[Subject]:
    return [s for s in catalogue.subjects() if topic in s.topics.values() and s.versions]


def _topics(subject: Subject) -> str:
    return ", ".join(f"`{t}`" for t in subject.topics.values())


def _payload_schemas(catalogue: Catalogue) -> dict[str, Any]:
    """Each subject's latest JSON Schema (and the finding's), with ``$defs`` lifted into shared component
    schemas."""
    shared: dict[str, Any] = {}
    released = [(s.model.__name__, catalogue.json_schema(s.name, s.latest), layout.json_path(s.name, s.latest))
                for s in catalogue.subjects() if s.versions]
    for name, schema, path in [*released, outputdocs.payload_schema(catalogue)]:
        document = json.loads(json.dumps(schema))
        for defined, definition in document.pop("$defs", {}).items():
            if shared.setdefault(defined, definition) != definition:
                raise ValueError(f"two subjects define {defined} differently; rename one of them")
        for key in ("$schema", "$id"):
            document.pop(key, None)
        document["externalDocs"] = {"url": layout.uri(path), "description": "The released JSON Schema"}
        shared[name] = document
    text = json.dumps(dict(sorted(shared.items())))
    return dict(json.loads(text.replace('"#/$defs/', '"#/components/schemas/')))


def _headers_schema(subject: Subject) -> dict[str, Any]:
    producers = _partners(subject.producers)
    properties: dict[str, Any] = {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_source": {"type": "string", "pattern": f"^/nl/({'|'.join(producers)})/[^/]+$"},
        "ce_type": {"type": "string",
                    "enum": [f"nl.{p}.{subject.name}.v{v}" for p in producers for v in subject.versions]},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_dataschema": {"type": "string", "format": "uri",
                          "enum": [layout.uri(path(subject.name, v)) for v in subject.versions
                                   for path in (layout.avro_path, layout.json_path)]},
        "content-type": {"type": "string", "enum": ["application/avro", "application/json"]},
    }
    for name, text in _HEADER_DOCS.items():
        properties[name]["description"] = text
    return {"type": "object", "required": list(properties), "properties": properties,
            "description": "CloudEvents 1.0 headers (Kafka binary content mode); nothing personal"}


def _message(subject: Subject) -> dict[str, Any]:
    event = example(subject.model)
    doc = subject.description
    return {
        "name": subject.name,
        "title": subject.model.__name__,
        "summary": doc.splitlines()[0] if doc else subject.name,
        "description": (f"{doc}\n\nProduced by: {', '.join(_partners(subject.producers))}. "
                        f"Readers (need-to-know): {', '.join(_partners(subject.readers))}. "
                        f"Released versions: {', '.join(f'v{v}' for v in subject.versions)}."),
        "contentType": "application/avro",
        "headers": _headers_schema(subject),
        "payload": {"$ref": f"#/components/schemas/{subject.model.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string", "pattern": CASE_KEY_PATTERN,
                                       "description": "Pseudonymous case key (keyed hash of the V-number)"},
                               "bindingVersion": KAFKA_BINDING}},
        "examples": [{"name": "example",
                      "headers": {k: v.decode() for k, v in headers(event, AvroSerializer())},
                      "payload": json.loads(event.model_dump_json())}],
        "x-producers": _partners(subject.producers),
        "x-readers": _partners(subject.readers),
        "x-avro-schema": layout.uri(layout.avro_path(subject.name, subject.latest)),
    }


def _channel(spec: topics.TopicSpec, messages: list[str], keyed: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if "retention.ms" in spec.config:
        config["retention.ms"] = int(spec.config["retention.ms"])
    if "cleanup.policy" in spec.config:
        config["cleanup.policy"] = spec.config["cleanup.policy"].split(",")
    return {
        "address": spec.name,
        "description": f"{spec.description}. {keyed}",
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
        "bindings": {"kafka": {"topic": spec.name, "partitions": spec.partitions,
                               "topicConfiguration": config, "bindingVersion": KAFKA_BINDING}},
    }


def _output(name: str) -> topics.TopicSpec:
    return next(spec for spec in topics.OUTPUT_TOPICS if spec.name == name)


def _operations(catalogue: Catalogue) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for spec in topics.CHAIN_TOPICS:
        subjects = _subjects_on(catalogue, spec.name)
        for partner in Partner:
            for action, verb, group in (("send", "sends", "producers"), ("receive", "reads", "readers")):
                mine = [s for s in subjects if partner in getattr(s, group)
                        and (group == "readers" or topics.PRODUCER[spec.name] == partner)]
                if not mine:
                    continue
                operations[f"{partner.value}-{verb}-{spec.name}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{spec.name}"},
                    "summary": f"{partner.value} {verb} {', '.join(s.name for s in mine)}",
                    "messages": [{"$ref": f"#/channels/{spec.name}/messages/{s.name}"} for s in mine],
                }
    return operations


def asyncapi(catalogue: Catalogue = CATALOGUE) -> dict[str, Any]:
    """The AsyncAPI 3.0 document: channels = topics, one message per subject (and the validator's finding and
    dead letter), operations per partner (and per principal of the validator's topics)."""
    channels = {spec.name: _channel(spec, [s.name for s in _subjects_on(catalogue, spec.name)],
                                    "Keyed by case key: all events of one case in one partition, in order.")
                for spec in topics.CHAIN_TOPICS}
    channels[topics.FINDINGS] = _channel(_output(topics.FINDINGS), outputdocs.MESSAGES[topics.FINDINGS],
                                         "The latest finding of a case is its verdict; after a withdrawal it has "
                                         "none.")
    channels[topics.DLQ] = _channel(_output(topics.DLQ), outputdocs.MESSAGES[topics.DLQ],
                                    "Keyed as the original record was.")
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sigma chain message book",
            "version": MESSAGE_BOOK_EDITION,
            "description": ("What the partners of the Dutch return chain tell each other about a person who must "
                            "leave. Values are Avro in single-object encoding (C3 01 + CRC-64-AVRO fingerprint + "
                            "body) or JSON; headers are CloudEvents 1.0 binary mode. Keys are placed as Kafka's "
                            "Java client places them (murmur2). The validator's findings are JSON, its dead "
                            "letters the original records with dlq_* headers. For implementers in any language: "
                            "docs/wire-contract.md, with test vectors. Generated by `sigma schemas docs`; "
                            "do not edit."),
        },
        "defaultContentType": "application/avro",
        "channels": channels,
        "operations": {**_operations(catalogue), **outputdocs.operations(catalogue)},
        "components": {
            "schemas": _payload_schemas(catalogue),
            "messages": {**{s.name: _message(s) for s in catalogue.subjects() if s.versions},
                         **outputdocs.messages(catalogue)},
        },
    }


def render_asyncapi(catalogue: Catalogue = CATALOGUE) -> str:
    """The AsyncAPI document as YAML text (deterministic)."""
    return str(yaml.safe_dump(asyncapi(catalogue), sort_keys=False, allow_unicode=True, width=110))


def _subject_section(catalogue: Catalogue, subject: Subject) -> list[str]:
    avro = catalogue.avro_document(subject.name, subject.latest)
    files = ", ".join(f"v{v}: [Avro](../{layout.avro_path(subject.name, v)}) · "
                      f"[JSON Schema](../{layout.json_path(subject.name, v)})" for v in subject.versions)
    lines = [
        f"## {subject.name}",
        "",
        subject.description,
        "",
        f"- Topics (one per producer): {_topics(subject)}",
        f"- Producers: {', '.join(_partners(subject.producers))}",
        f"- Readers (need-to-know): {', '.join(_partners(subject.readers))}",
        *([f"- Why these readers: {subject.model.need_to_know}"] if subject.model.need_to_know else []),
        f"- Versions: {files}",
        f"- Avro record: `{avro['name']}`; CloudEvents type: `nl.<partner>.{subject.name}.v{subject.latest}`",
        "",
        *record_tables(avro, catalogue.json_schema(subject.name, subject.latest)),
    ]
    lines += ["", "Example (JSON form):", "", "```json",
              json.dumps(json.loads(example(subject.model).model_dump_json()), indent=2, ensure_ascii=False),
              "```", ""]
    return lines


def render_markdown(catalogue: Catalogue = CATALOGUE) -> str:
    """The Markdown message book: envelope, topics, and per subject its audience, fields and an example."""
    released = [s for s in catalogue.subjects() if s.versions]
    lines = [
        "# The message book",
        "",
        "Generated by `sigma schemas docs` from the models in `schemas/events/` and `schemas/findings.py`, the "
        "dead-letter headers in `schemas/deadletters.py` and the released schema files; do not edit by hand. The "
        "same facts in machine-readable form: [asyncapi.yaml](asyncapi.yaml).",
        "",
        "## On the wire",
        "",
        "How to produce and read these records from any language (case-key derivation, partitioner, "
        "fingerprints, headers, JSON, dead-letter codes, findings), with test vectors: "
        "[wire-contract.md](wire-contract.md).",
        "",
        "- **Key**: the pseudonymous case key `ck_` + 24 hex characters, an HMAC-SHA256 of the V-number with the "
        "chain secret. All events of one case land in one partition, in order, when every producer places keyed "
        "records as Kafka's Java client does (murmur2 of the key; librdkafka's default differs). The V-number "
        "travels only inside the payload of `case_handed_over`.",
        "- **Value**: Avro binary in the single-object encoding: `C3 01`, the 8-byte little-endian CRC-64-AVRO "
        "fingerprint of the schema's Parsing Canonical Form, then the body. A recording is readable with the "
        "catalogue alone. Readers also accept the Confluent framing (`00` + 4-byte schema id) and JSON "
        "(`content-type: application/json`, validated against the JSON Schema).",
        "- **Headers**: CloudEvents 1.0 binary mode. Nothing personal goes in a key or header.",
        "",
        "| header | meaning |",
        "|---|---|",
        *[f"| `{name}` | {text} |" for name, text in _HEADER_DOCS.items()],
        "",
        "- **Versions**: a released schema file never changes; a change is a new version. Readers find the "
        "writer's schema by fingerprint and resolve it into their own version (Avro schema resolution). "
        "Compatibility levels per subject are in `schemas/compat.toml` (default BACKWARD).",
        "",
        "## Topics",
        "",
        "Each chain topic has exactly one producing partner and one audience: a subject is published by each of "
        "its producers on that producer's topic of the subject's family, `chain.<producer>.<family>` (a family "
        "holds subjects with the same readers; `case` is split into `case.talk`, `case.removability` … where "
        "readers differ). So the broker's ACLs bind the source (a partner writes only its own topics) and give "
        "each partner exactly the subjects it may read; a record on a partner's topic that names another partner "
        "(payload `partner` or `ce_source`) is dead-lettered as `source-mismatch`. Every chain topic has "
        f"{topics.CHAIN_PARTITIONS} partitions, so that all are co-partitioned by case key.",
        "",
        "| topic | partitions | subjects | description |",
        "|---|---|---|---|",
    ]
    for spec in topics.ALL_TOPICS:
        names = outputdocs.ANCHORS.get(spec.name) or ", ".join(f"[{s.name}](#{s.name})"
                                                                for s in _subjects_on(catalogue, spec.name))
        lines.append(f"| `{spec.name}` | {spec.partitions} | {names} | {spec.description} |")
    lines += ["", "## Subjects", "", "| subject | versions | topics | producers | readers |", "|---|---|---|---|---|"]
    for s in released:
        lines.append(f"| [{s.name}](#{s.name}) | {', '.join(f'v{v}' for v in s.versions)} | {_topics(s)} | "
                     f"{', '.join(_partners(s.producers))} | {', '.join(_partners(s.readers))} |")
    lines.append("")
    for subject in released:
        lines += _subject_section(catalogue, subject)
    lines += outputdocs.sections(catalogue)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_docs(catalogue: Catalogue = CATALOGUE) -> dict[str, str]:
    """The generated documents by file name (relative to the docs folder): AsyncAPI, message book, and the
    wire contract's test vectors."""
    return {ASYNCAPI_FILE: render_asyncapi(catalogue), MARKDOWN_FILE: render_markdown(catalogue),
            VECTORS_FILE: render_vectors(catalogue)}
