"""The ACL plan says what the message book says: readers read, each partner writes only its own topics, nobody
else; and every chain topic has one producer and one audience, so a topic grant is exactly the book's."""

from __future__ import annotations

from pathlib import Path

from schemas.access import PRINCIPALS, TOOLS, VALIDATOR, VALIDATOR_TRANSACTIONS, Grant, plan, wider_than_the_book
from schemas.catalogue import Catalogue
from schemas.events import Partner
from schemas.families import topic_name
from schemas.topics import CHAIN_PARTITIONS, CHAIN_TOPICS, CHANGELOGS, MEDICAL_DETAILS, PRODUCER


def test_every_chain_topic_has_one_producer_and_one_audience() -> None:
    catalogue = Catalogue()
    producers: dict[str, set[Partner]] = {}
    audiences: dict[str, set[frozenset[Partner]]] = {}
    for subject in catalogue.subjects():
        for producer, topic in subject.topics.items():
            assert topic == topic_name(producer.value, subject.model.family.name)  # the documented rule
            producers.setdefault(topic, set()).add(producer)
            audiences.setdefault(topic, set()).add(subject.readers)
    assert set(producers) == {t.name for t in CHAIN_TOPICS}
    assert all(len(who) == 1 for who in producers.values()), producers
    assert all(len(readers) == 1 for readers in audiences.values()), audiences
    assert {topic: who.pop() for topic, who in producers.items()} == PRODUCER
    assert {t.partitions for t in CHAIN_TOPICS} == {CHAIN_PARTITIONS}  # co-partitioned


def test_no_topic_grant_lets_a_partner_read_more_than_the_book() -> None:
    assert wider_than_the_book(Catalogue()) == {}


def test_each_partner_reads_the_topics_of_its_subjects_and_writes_exactly_its_own_topics() -> None:
    catalogue = Catalogue()
    grants = plan(catalogue, "p.")
    for subject in catalogue.subjects():
        for topic in subject.topics.values():
            assert {g.principal for g in grants if g.name == "p." + topic and g.operation == "read"} == {
                p.value for p in subject.readers} | {VALIDATOR, TOOLS}
    for partner in Partner:
        written = {g.name for g in grants if g.principal == partner.value and g.operation == "write"}
        assert written == {"p." + topic for topic, owner in PRODUCER.items() if owner is partner}, partner
    readers = {g.principal for g in grants if g.name == "p." + MEDICAL_DETAILS and g.operation == "read"}
    assert readers == {"ind", "medical", "validator", "tools"}
    assert not any(g.principal == "admin" for g in grants) and {g.principal for g in grants} == set(PRINCIPALS) - {
        "admin"}


def test_a_subject_several_partners_produce_is_on_a_topic_of_each() -> None:
    grants = plan(Catalogue())
    belongings = {g.name: g.principal for g in grants if g.name.endswith(".belongings") and g.operation == "write"
                  and g.principal not in (VALIDATOR, TOOLS)}
    assert belongings == {"chain.coa.belongings": "coa", "chain.dtv.belongings": "dtv", "chain.dji.belongings": "dji"}
    assert Grant("coa", "topic", "chain.dtv.belongings", "literal", "write") not in grants
    assert Grant("coa", "topic", "chain.dtv.belongings", "literal", "read") in grants  # coa reads belongings


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
