"""The ACL plan says what the message book says: readers read, producers write, nobody else."""

from __future__ import annotations

from schemas.access import PRINCIPALS, Grant, plan, wider_than_the_book
from schemas.catalogue import Catalogue
from schemas.topics import MEDICAL_DETAILS


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
