"""Encoded chain streams for benchmarks, generated in-process by the simulator (no broker needed)."""

from __future__ import annotations

from functools import partial

from consumers.records import ConsumedRecord
from producers.profile import load_profile
from producers.publisher import Encoder
from producers.simulation import Simulation
from schemas.casekey import case_key
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_PARTITIONS


def chain_records(cases: int, seed: int = 2018, profile: str = "inspectie-2018") -> list[ConsumedRecord]:
    """The records an ``inspectie-2018`` simulation of ``cases`` cases puts on the chain topics."""
    sim = Simulation(cases=cases, seed=seed, profile=load_profile(profile),
                     case_key=partial(case_key, secret=b"bench-secret"))
    encode = Encoder()
    records = []
    for offset, (_, event) in enumerate(sim.events()):
        out = encode(event)
        partition = kafka_partition(out.key, CHAIN_PARTITIONS)  # where Kafka's partitioner puts it on a chain topic
        records.append(ConsumedRecord(out.topic, partition, offset, 1_700_000_000_000 + offset, 0, out.key, out.value,
                                      out.headers))
    return records
