"""The record-level contract checks: the same verdict for every encoding, the headers, the partition.

Each constraint is taken from the compiled constraints of every released version (so a constraint added to
the message book is covered the moment it is released), broken once in an Avro and once in a JSON record,
and both records go through the validator's engine.
"""

from __future__ import annotations

from typing import Any

import pytest

from consumers.records import ConsumedRecord
from schemas.catalogue import CATALOGUE
from schemas.codec import AvroSerializer, JsonSerializer
from schemas.constraints import FieldCheck
from schemas.envelope import REQUIRED_HEADERS, Serializer, to_record
from schemas.events import Belongings, ChainEvent, FitToFly, Partner
from schemas.examples import example
from schemas.placement import kafka_partition
from validator.engine import Engine, Rejection

CODECS: dict[str, Serializer] = {"avro": AvroSerializer(), "json": JsonSerializer()}


def _event(model: type[ChainEvent], **changes: Any) -> ChainEvent:
    """The message book's example of ``model`` with ``changes``, unvalidated (a partner's faulty system)."""
    return model.model_construct(**(example(model).__dict__ | changes))


def _record(event: ChainEvent, codec: str, *, headers: list[tuple[str, bytes]] | None = None,
            partition: int | None = None) -> ConsumedRecord:
    out = to_record(event, CODECS[codec])
    where = kafka_partition(out.key, 6) if partition is None else partition
    return ConsumedRecord(out.topic, where, 0, 0, 0, out.key, out.value, out.headers if headers is None else headers)


def _judge(record: ConsumedRecord, engine: Engine | None = None) -> Rejection | None:
    _, rejection = (engine or Engine()).process(record)
    return rejection


def _breaking(model: type[ChainEvent], check: FieldCheck, keyword: str, valid: Any) -> list[Any]:
    """Values of the field's own type that break ``keyword`` of ``check``."""
    constraints = CATALOGUE.constraints(model.subject, CATALOGUE.for_model(model).latest)

    def keeps(value: Any) -> bool:
        return constraints.broken(check, value) != keyword

    if keyword == "pattern":
        bad = [valid + "!", valid + "\n", "!" + valid]  # "\n": JSON Schema's $ ends the string, Python's may not
    elif keyword == "minLength":
        bad = [""]
    elif keyword == "maxLength":
        limit = next(n for n in range(1, 10_000) if not keeps("x" * n))
        bad = ["x" * limit]
    elif keyword in ("minimum", "maximum"):
        step = 1 if isinstance(valid, int) else 0.5
        low = next(v for v in (valid - step * k for k in range(10_000)) if not keeps(v)) \
            if keyword == "minimum" else None
        high = next(v for v in (valid + step * k for k in range(10_000)) if not keeps(v)) \
            if keyword == "maximum" else None
        bad = [low if keyword == "minimum" else high]
    else:
        raise AssertionError(f"no breaking value for keyword {keyword}: add one here")
    assert all(not keeps(v) for v in bad), (check.field, keyword)
    return bad


CONSTRAINTS = [(subject.model, check, rule.keyword)
               for subject in CATALOGUE.subjects()
               for check in CATALOGUE.constraints(subject.name, subject.latest).checks
               for rule in check.rules]


def test_every_kind_of_constraint_of_the_message_book_is_covered() -> None:
    kinds = {keyword for _, _, keyword in CONSTRAINTS}
    assert kinds == {"pattern", "minLength", "maxLength", "minimum", "maximum"}
    assert len(CONSTRAINTS) > 40


@pytest.mark.parametrize(("model", "check", "keyword"), CONSTRAINTS,
                         ids=[f"{m.subject}.{c.field}.{k}" for m, c, k in CONSTRAINTS])
def test_a_value_breaking_a_constraint_is_dead_lettered_alike_as_avro_and_as_json(
        model: type[ChainEvent], check: FieldCheck, keyword: str) -> None:
    valid = getattr(example(model), check.field)
    assert _judge(_record(_event(model), "avro")) is None and _judge(_record(_event(model), "json")) is None
    for bad in _breaking(model, check, keyword, valid):
        avro = _judge(_record(_event(model, **{check.field: bad}), "avro"))
        json_ = _judge(_record(_event(model, **{check.field: bad}), "json"))
        assert avro is not None and json_ is not None, (check.field, bad)
        expected = "bad-case-key" if check.field == "case_key" else "schema-invalid"
        assert (avro.code, avro.path) == (json_.code, json_.path) == (expected, f"$.{check.field}")
        assert avro.stage == json_.stage
        assert len(str(bad)) < 3 or (str(bad) not in avro.reason and str(bad) not in json_.reason)


def test_the_issues_examples_bag_count_25_and_a_malformed_event_id() -> None:
    for changes in ({"bag_count": 25}, {"event_id": "not-a-uuid"}):
        verdicts = {codec: _judge(_record(_event(Belongings, **changes), codec)) for codec in CODECS}
        assert {(r.code, r.path) for r in verdicts.values() if r is not None} == \
            {("schema-invalid", f"$.{next(iter(changes))}")}
        assert None not in verdicts.values()


def test_several_broken_constraints_report_the_first_field_in_schema_order_for_both_encodings() -> None:
    changes = {"total_weight_kg": 900.0, "bag_count": 25, "case_key": "ck_bad"}
    verdicts = [_judge(_record(_event(Belongings, **changes), codec)) for codec in CODECS]
    assert [(r.code, r.path) for r in verdicts if r is not None] == [("bad-case-key", "$.case_key")] * 2
    del changes["case_key"]
    verdicts = [_judge(_record(_event(Belongings, **changes), codec)) for codec in CODECS]
    assert [(r.code, r.path) for r in verdicts if r is not None] == [("schema-invalid", "$.bag_count")] * 2


def test_a_partner_that_may_not_produce_the_subject_is_partner_not_allowed_in_both_encodings() -> None:
    for codec in CODECS:
        rejection = _judge(_record(_event(Belongings, partner=Partner.KMAR), codec))
        assert rejection is not None and (rejection.code, rejection.path) == ("partner-not-allowed", "$.partner")


def test_an_optional_field_is_checked_only_when_present() -> None:
    from schemas.events import PhysicalFeatures

    for codec in CODECS:
        assert _judge(_record(_event(PhysicalFeatures, photo_ref=None), codec)) is None
        rejection = _judge(_record(_event(PhysicalFeatures, photo_ref="p" * 65), codec))
        assert rejection is not None and rejection.path == "$.photo_ref"


# -- headers ------------------------------------------------------------------------------------------------------

def _headers(codec: str = "avro") -> list[tuple[str, bytes]]:
    return list(to_record(example(FitToFly), CODECS[codec]).headers)


def _replace(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [(k, value if k == name else v) for k, v in headers]


def _header_verdict(headers: list[tuple[str, bytes]], codec: str = "avro",
                    event: ChainEvent | None = None, *, warm: bool = False) -> Rejection | None:
    """The verdict on ``event`` (the example fit-to-fly) with ``headers``; ``warm``: by an engine that has
    processed the example with its own headers before (so it remembers them as good, ``HeaderCheck``)."""
    engine = Engine()
    if warm:
        assert _judge(_record(example(FitToFly), codec), engine) is None
    return _judge(_record(event or example(FitToFly), codec, headers=headers), engine)


@pytest.mark.parametrize("codec", list(CODECS))
def test_every_required_header_missing_is_missing_header(codec: str) -> None:
    for name in REQUIRED_HEADERS:
        rejection = _header_verdict([(k, v) for k, v in _headers(codec) if k != name], codec)
        if codec == "json" and name == "ce_type":  # a JSON value cannot be read without it
            assert rejection is not None and rejection.code == "unknown-schema"
            continue
        assert rejection is not None and (rejection.code, rejection.header) == ("missing-header", name), name
        assert rejection.stage == "semantic"


def test_headers_in_any_order_with_a_tracing_header_are_processed() -> None:
    headers = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), *reversed(_headers())]
    assert _header_verdict(headers) is None
    assert _header_verdict(_headers("json"), "json") is None


@pytest.mark.parametrize(("headers", "code", "header"), [
    ([*_headers(), ("ce_id", b"00000000-0000-4000-8000-000000000000")], "bad-header", "ce_id"),
    ([*_headers(), ("ce_subject", b"a person")], "bad-header", "ce_subject"),
    (_replace(_headers(), "ce_specversion", b"0.3"), "bad-header", "ce_specversion"),
    (_replace(_headers(), "ce_type", b"nl.dtv.fit_to_fly.v1"), "header-mismatch", "ce_type"),
    (_replace(_headers(), "ce_type", b"nl.medical.medical_details.v1"), "header-mismatch", "ce_type"),
    (_replace(_headers(), "ce_type", b"nl.medical.fit_to_fly.v2"), "header-mismatch", "ce_type"),
    (_replace(_headers(), "ce_id", b"00000000-0000-4000-8000-00000000000f"), "header-mismatch", "ce_id"),
    (_replace(_headers(), "ce_source", b"/nl/dtv/sigma"), "header-mismatch", "ce_source"),
    (_replace(_headers(), "ce_source", b"/nl/medical/"), "header-mismatch", "ce_source"),
    (_replace(_headers(), "ce_source", b"/nl/medical/a/b"), "header-mismatch", "ce_source"),
    (_replace(_headers(), "ce_dataschema", _headers("json")[5][1]), "header-mismatch", "ce_dataschema"),
    ([("ce_tim" if k == "ce_time" else k, v) for k, v in _headers()], "missing-header", "ce_time"),
    ([("ce_di" if k == "ce_id" else k, v) for k, v in _headers()], "missing-header", "ce_id"),
], ids=["duplicate", "ce_subject", "specversion", "type-partner", "type-subject", "type-version", "id",
        "source-partner", "source-no-system", "source-two-parts", "dataschema-of-json", "time-renamed", "id-renamed"])
@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "after-good-headers"])
def test_headers_that_break_the_contract_or_disagree_with_the_payload(
        headers: list[tuple[str, bytes]], code: str, header: str, warm: bool) -> None:
    """Also after the same headers were good on another record (remembered by ``HeaderCheck``): then a fault
    in the two headers of each record's own (``ce_id``, ``ce_time``) is found as well."""
    rejection = _header_verdict(headers, warm=warm)
    assert rejection is not None and (rejection.code, rejection.header) == (code, header)
    assert "a person" not in rejection.reason


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "after-good-headers"])
def test_a_json_ce_type_whose_version_disagrees_with_the_payloads_schema_version(warm: bool) -> None:
    rejection = _header_verdict(_headers("json"), "json", _event(FitToFly, schema_version=2), warm=warm)
    assert rejection is not None and (rejection.code, rejection.path) == ("header-mismatch", "$.schema_version")


def test_headers_good_for_one_partner_are_not_taken_as_good_for_another() -> None:
    """The remembered header combinations are per (partner, subject, version): a record of another partner
    with the very headers another partner's record passed with disagrees with them."""
    from schemas.events import Belongings

    engine = Engine()
    good = _record(_event(Belongings, partner=Partner.COA), "avro")
    assert _judge(good, engine) is None
    other = _record(_event(Belongings, partner=Partner.DJI), "avro", headers=good.headers)  # ce_id agrees too
    rejection = _judge(other, engine)
    assert rejection is not None and (rejection.code, rejection.header) == ("header-mismatch", "ce_type")


# -- partitions ---------------------------------------------------------------------------------------------------

def test_a_record_off_its_keys_partition_is_wrong_partition_and_the_count_is_the_clusters() -> None:
    event = _event(FitToFly, case_key="ck_31064e7b627dc7ae12dc2050")  # on 3 of 6 partitions, on 9 of 12
    right = kafka_partition(event.case_key.encode(), 6)
    assert _judge(_record(event, "avro", partition=right)) is None
    for codec in CODECS:
        rejection = _judge(_record(event, codec, partition=(right + 1) % 6))
        assert rejection is not None and (rejection.stage, rejection.code) == ("semantic", "wrong-partition")
    grown = Engine(partitions={"chain.fit-to-fly": 12})
    on_twelve = kafka_partition(event.case_key.encode(), 12)
    assert on_twelve != right  # the key moves when the topic grows, so the count is what judges
    assert _judge(_record(event, "avro", partition=on_twelve), grown) is None
    rejection = _judge(_record(event, "avro", partition=right), grown)
    assert rejection is not None and rejection.code == "wrong-partition"
