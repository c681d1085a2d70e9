"""The ACL plan says what the message book says: readers read, producers write, nobody else."""

from __future__ import annotations

from pathlib import Path

from schemas.access import PRINCIPALS, VALIDATOR_TRANSACTIONS, Grant, plan, wider_than_the_book
from schemas.catalogue import Catalogue
from schemas.topics import CHANGELOGS, MEDICAL_DETAILS


def test_each_partner_reads_the_topics_of_its_subjects_and_writes_those_it_produces() -> None:
    catalogue = Catalogue()
    grants = plan(catalogue, "p.")
    for subject in catalogue.subjects():
        for partner in subject.readers:
            assert Grant(partner.value, "topic", "p." + subject.topic, "literal", "read") in grants
        for partner in subject.producers:
            assert Grant(partner.value, "topic", "p." + subject.topic, "literal", "write") in grants
    readers = {g.principal for g in grants if g.name == "p." + MEDICAL_DETAILS and g.operation == "read"}
    assert readers == {"ind", "medical", "validator", "tools"}
    assert not any(g.principal == "admin" for g in grants) and {g.principal for g in grants} == set(PRINCIPALS) - {
        "admin"}


def test_shared_topics_are_reported_where_they_let_a_partner_read_more_than_the_book() -> None:
    wider = wider_than_the_book(Catalogue())
    assert "removability_confirmed" in wider["coa"]  # chain.case mixes audiences today
    assert all("medical_details" not in names for names in wider.values())


def test_the_validator_may_keep_its_changelogs_and_commit_in_transactions_under_its_own_ids(tmp_path: Path) -> None:
    from runtime.settings import Settings
    from validator import changelog_kafka
    from validator.online import OnlineOptions, OnlineValidator

    grants = plan(Catalogue(), "p.")
    changelogs = {g.operation for g in grants if (g.principal, g.resource, g.name, g.pattern) == (
        "validator", "topic", "p." + CHANGELOGS, "prefixed")}
    assert changelogs == {"create", "read", "write", "describe_configs"}
    [transactions] = [g for g in grants if g.resource == "transactional_id"]
    assert transactions == Grant("validator", "transactional_id", VALIDATOR_TRANSACTIONS + "p.", "prefixed",
                                 "write")
    member = OnlineValidator(Settings(topic_prefix="p."), OnlineOptions(group="g", state_dir=tmp_path))
    assert member.transactional_id.startswith(transactions.name)
    assert changelog_kafka.name("p.", "g").startswith("p." + CHANGELOGS)
