"""The validator's pure core: records in, dossiers and verdicts out. No Kafka here.

Why pure: the same engine runs online (records from a KafkaConsumer) and offline (records read back from
a recording), so both give the same report. Verdicts depend only on the set of events of a case — lateness
is judged on ``recorded_at`` against the checkpoint, never on arrival — so a restart from a snapshot, or a
replay in another order across partitions, judges the same. Late deliveries (records delivered after their
case was decided) are judged on delivery: by the partition's event time, and with the ``wall`` event clock
also by the broker's append time of the record (``validator.arrival``).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zlib import adler32, crc32

from consumers.records import ConsumedRecord
from runtime.poison import PoisonHeaders
from runtime.settings import EventClock
from schemas.catalogue import CATALOGUE
from schemas.codec import Deserializer
from schemas.envelope import HeaderCheck
from schemas.errors import CodecError
from schemas.placement import Placement
from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from schemas.topics import CHAIN_TOPICS
from validator import watermark
from validator.arrival import arrival
from validator.dossier import Dossier, Fact
from validator.rules import Situation, Verdict, judge, situation


class RecordLike(Protocol):
    """What the engine reads of a record: a ``ConsumedRecord``, or kafka-python's ``ConsumerRecord`` as is
    (the online hot path skips the copy; only dead letters are turned into ``ConsumedRecord``)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Any: ...
    @property
    def timestamp(self) -> int:
        """Milliseconds since the epoch (read with the ``wall`` event clock only)."""
    @property
    def timestamp_type(self) -> int:
        """0 ``CreateTime``, 1 ``LogAppendTime`` (``validator.arrival``)."""


@dataclass(frozen=True)
class Rejection:
    """Why a record cannot be processed: the dead-letter stage, error code, reason and JSON path."""

    stage: str
    code: str
    reason: str
    path: str | None = None
    header: str | None = None
    """The header at fault, for the header checks."""


@dataclass
class Counters:
    """Every consumed record is processed, a duplicate of one processed before, or dead-lettered:
    consumed == processed + duplicates + dead_lettered."""

    consumed: int = 0
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0

    def to_json(self) -> dict[str, int]:
        return {"consumed": self.consumed, "processed": self.processed, "duplicates": self.duplicates,
                "dead_lettered": self.dead_lettered}


@dataclass
class Tally(Counters):
    """One input partition's share of the counters, dead letters per code, and evicted cases' late deliveries
    and never handed over cases: what the partition's changelog record carries (``validator.changelog``), so
    a validator that takes the partition over restores its share. The engine-wide fields are their sums."""

    rejections: dict[str, int] = field(default_factory=dict)
    late_deliveries: dict[str, int] = field(default_factory=dict)
    evicted_unknown: dict[str, int] = field(default_factory=lambda: {"cases": 0, "events": 0})


def event_hash(event_id: str) -> int:
    """A stable 64-bit hash of an event id (CRC-32 and Adler-32 side by side: two C calls, the same in
    every process, unlike ``hash``, so a snapshot's hashes still match after a restart). ``Engine.process``
    computes it in place."""
    raw = event_id.encode()
    return crc32(raw) << 32 | adler32(raw)


@dataclass
class EngineState:
    """Everything a snapshot must hold to resume exactly: dossiers, counters, watermark, and what eviction
    keeps of the cases it dropped."""

    dossiers: dict[str, Dossier] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    watermark: datetime | None = None
    """The event time every partition that may still deliver has reached (``validator.watermark``)."""
    rejections: dict[str, int] = field(default_factory=dict)
    progress: dict[tuple[str, int], datetime] = field(default_factory=dict)
    """Per (topic, partition): the latest ``recorded_at`` read from it (how far it is in event time)."""
    due: list[tuple[datetime, str]] = field(default_factory=list)
    """Heap of (when a case may next be evictable, case key)."""
    evicted: dict[str, Verdict] = field(default_factory=dict)
    """The verdicts of evicted checked cases, for the report (one small object instead of the dossier)."""
    evicted_unknown: dict[str, int] = field(default_factory=lambda: {"cases": 0, "events": 0})
    """Evicted cases that were never handed over, and their events."""
    late_deliveries: dict[str, int] = field(default_factory=dict)
    """Per partner: the late deliveries of evicted cases (``Engine.late_deliveries``)."""
    tallies: dict[int, Tally] = field(default_factory=dict)
    """Per input partition number: its share of the counts above (``Tally``)."""
    touched: dict[str, int] | None = None
    """Cases added to, or dropped, since the changelog last took them, with their input partition
    (``validator.changelog.flush``); None while no changelog is kept (offline), so nothing grows."""


class Engine:
    """Builds dossiers from records and judges them at their checkpoint."""

    def __init__(self, *, checkpoint_hours: float = 48.0, topic_prefix: str = "",
                 state: EngineState | None = None, eviction_grace_hours: float | None = None,
                 partitions: Mapping[str, int] | None = None,
                 allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS,
                 event_clock: EventClock = "stream") -> None:
        self.checkpoint_before = timedelta(hours=checkpoint_hours)
        self.lateness = timedelta(hours=allowed_lateness_hours)
        """Event time a case waits after its checkpoint for evidence recorded before it to arrive."""
        self.wall = event_clock == "wall"
        """Whether a record is delivered at its broker append time when that is later than its partition's
        event time (``validator.arrival``)."""
        self.unstamped = 0
        """With the wall clock: records read without a broker append time (judged by their partition alone)."""
        self.grace = timedelta(hours=eviction_grace_hours) if eviction_grace_hours is not None else None
        """Event time a closed (or never handed over) case is kept after its last event; None: never evicted."""
        self.prefix = topic_prefix
        self.state = state or EngineState()
        self._deserializer = Deserializer()
        self._subjects = {s.name: (frozenset(p.value for p in s.producers), topic_prefix + s.topic)
                          for s in CATALOGUE.subjects()}
        """Per subject: the partners that may produce it and its topic."""
        self.partitions = {topic_prefix + t.name: t.partitions for t in CHAIN_TOPICS} | dict(partitions or {})
        """Partition count per topic (the plan, unless the cluster or a recording's manifest says otherwise):
        a record must be on its key's partition among them."""
        self._decode = self._deserializer.decode_record
        self._header_problem = HeaderCheck().problem
        placement = Placement()
        self._placement = placement.hashes
        """``toPositive(murmur2(key))`` per key seen (``Placement``), looked up in place on the hot path."""
        self._place = placement.hash

    def process(self, record: RecordLike) -> tuple[str | None, Rejection | None]:
        """Take one record: returns (case key touched, None), (None, rejection to dead-letter), or (None, None)
        for a duplicate: an event whose id and value this case already holds (re-delivered or re-sent).

        The checks in order, the first failing one rejecting; then the dossier. The hot path of offline
        validation: each record attribute is read once, and the common case costs no extra calls."""
        state = self.state
        counters = state.counters
        counters.consumed += 1
        partition = record.partition
        tally = state.tallies.get(partition)
        if tally is None:
            tally = state.tallies[partition] = Tally()
        tally.consumed += 1
        headers = record.headers
        if headers.__class__ is PoisonHeaders:  # what kafka-python could not read (runtime.poison)
            return self._reject(tally, Rejection("decode", headers.code, headers.reason))
        raw_key = record.key
        if not raw_key:
            return self._reject(tally, Rejection("validate", "no-key", "record has no key (the case key is required)"))
        topic, value = record.topic, record.value or b""  # no value: decoding says so (truncated)
        try:
            subject, version, data = self._decode(value, headers)
        except CodecError as exc:
            return self._reject(tally, Rejection(exc.stage, exc.code, str(exc), exc.path))
        case = data["case_key"]  # a case key: decoding checked its pattern (bad-case-key)
        try:
            key = raw_key.decode()
        except UnicodeDecodeError:
            return self._reject(tally, Rejection("semantic", "bad-key", "key is not a UTF-8 case key"))
        if key != case:
            return self._reject(tally, Rejection("semantic", "key-mismatch",
                                                 "Kafka key differs from the payload's case_key", "$.case_key"))
        partner = data["partner"]  # an enum symbol: a str for every encoding
        producers, home = self._subjects[subject]
        if partner not in producers:
            return self._reject(tally, Rejection("semantic", "partner-not-allowed",
                                                 f"partner '{partner}' may not produce {subject}", "$.partner"))
        if topic != home:
            return self._reject(tally, Rejection("semantic", "wrong-topic", f"{subject} belongs on {home}"))
        wrong = self._header_problem(headers, subject, version, data)
        if wrong is not None:
            return self._reject(tally, Rejection("semantic", wrong.code, wrong.reason, wrong.path, wrong.header))
        partitions = self.partitions[topic]
        hashed = self._placement.get(raw_key)
        if hashed is None:
            hashed = self._place(raw_key)
        if hashed % partitions != partition:
            return self._reject(tally, Rejection("semantic", "wrong-partition", f"the case key belongs on another of "
                                                 f"the {partitions} partitions of {topic} (murmur2, as Kafka's Java "
                                                 "client)"))
        dossiers = state.dossiers
        dossier = dossiers.get(case)
        raw_id = data["event_id"].encode()
        event = crc32(raw_id) << 32 | adler32(raw_id)  # event_hash, inlined
        digest = crc32(value)
        recorded = data["recorded_at"]
        if dossier is None:
            dossier = dossiers[case] = Dossier(case, partition=partition)
            if self.grace is not None:
                heapq.heappush(state.due, (recorded + self.grace, case))
        elif event in dossier.ids:
            if dossier.digest_of(event) == digest:
                counters.duplicates += 1
                tally.duplicates += 1
                return None, None
            return self._reject(tally, Rejection("semantic", "event-id-conflict",
                                                 "an event with this id and other content was processed before",
                                                 "$.event_id"))
        fact = dossier.add(subject, data, event, digest)
        where = (topic, partition)  # the partition's event time (the watermark moves in ``advance``)
        if self.wall:
            self._deliver(record, where, dossier, fact)
        else:
            progress = state.progress
            seen = progress.get(where)
            if seen is None or recorded > seen:
                progress[where] = recorded
            elif seen - recorded > self.lateness:  # maybe a late delivery: see ``late_deliveries``
                dossier.delay(fact, seen)
        counters.processed += 1
        tally.processed += 1
        touched = state.touched
        if touched is not None:
            touched[case] = partition
        return case, None

    def _deliver(self, record: RecordLike, where: tuple[str, int], dossier: Dossier, fact: Fact) -> None:
        """The wall clock's delivery: a fact is delivered at its partition's event time or at its broker append
        time, whichever is later, so a fact back-dated by its partner — on a partition of its own, whose event
        time is the partner's word too — is delayed all the same when it reached the broker late."""
        progress, recorded = self.state.progress, fact.recorded_at
        seen = progress.get(where)
        if seen is None or recorded > seen:
            progress[where] = seen = recorded
        arrived = arrival(record)
        if arrived is None:
            self.unstamped += 1
        elif arrived > seen:
            seen = arrived
        if seen - recorded > self.lateness:
            dossier.delay(fact, seen)

    def _reject(self, tally: Tally, rejection: Rejection) -> tuple[None, Rejection]:
        """Count a rejected record, engine-wide and in its partition's ``tally`` (``process``)."""
        state = self.state
        state.counters.dead_lettered += 1
        tally.dead_lettered += 1
        for rejections in (state.rejections, tally.rejections):
            rejections[rejection.code] = rejections.get(rejection.code, 0) + 1
        return None, rejection

    def advance(self, holding: Collection[tuple[str, int]]) -> datetime | None:
        """Move the watermark as far as the partitions in ``holding`` allow (``validator.watermark``); none
        holding back: as far as anything read."""
        self.state.watermark = watermark.advance(self.state.progress, holding, self.state.watermark)
        return self.state.watermark

    def decision_time(self, s: Situation) -> datetime:
        """When a case is decided: its checkpoint plus the allowed lateness, in event time."""
        return s.checkpoint + self.lateness

    def evict(self, pending: Collection[tuple[str, int]]) -> list[str]:
        """Drop the dossiers of cases closed, or never handed over, a grace period ago; returns their keys.

        ``pending``: the (topic, partition) pairs that may still deliver records (online: those not at their
        end). "Ago" is measured against the slowest of them: a case is dropped only once every partition that
        may still hold one of its events has moved a grace period past its last event (none is dropped while
        a pending partition has not delivered anything yet). Partitions are written in event-time order, so
        an event for a dropped case can then only be one recorded more than a grace period late. A checked
        case is dropped only once decided (the watermark may lag ``pending``: a partition at its end that has
        not been idle for long still holds the watermark back, though no event waits there), and its verdict
        is kept for the report, so evicting changes no report; memory holds the open cases and one small
        verdict per checked case.
        """
        if self.grace is None:
            return []
        progress = self.state.progress
        if any(where not in progress for where in pending):
            return []
        horizon = min((progress[where] for where in pending), default=self.state.watermark)
        state, dropped = self.state, []
        while horizon is not None and state.due and state.due[0][0] <= horizon:
            _, case = heapq.heappop(state.due)
            dossier = state.dossiers.get(case)
            if dossier is None:
                continue
            assert dossier.last_recorded is not None  # a dossier holds at least one event
            if dossier.last_recorded + self.grace > horizon:  # touched since: look again a grace period later
                heapq.heappush(state.due, (dossier.last_recorded + self.grace, case))
            elif (dossier.of("case_closed") or not dossier.of("case_handed_over")) and not self._undecided(dossier):
                dropped.append(case)
                self._drop(dossier)
            else:  # open, or checked but not decided yet: look again a grace period later
                heapq.heappush(state.due, (horizon + self.grace, case))
        return dropped

    def _undecided(self, dossier: Dossier) -> bool:
        """Whether the case is checked but the watermark has not passed its decision time yet."""
        s = situation(dossier, self.checkpoint_before)
        watermark = self.state.watermark
        return s is not None and (watermark is None or watermark < self.decision_time(s))

    def reschedule(self) -> None:
        """Look at every case for eviction again (after a snapshot was restored, maybe with another grace)."""
        if self.grace is not None:
            grace = self.grace
            self.state.due = [(d.last_recorded + grace, case) for case, d in self.state.dossiers.items()
                              if d.last_recorded is not None]
            heapq.heapify(self.state.due)

    def late_deliveries(self) -> dict[str, int]:
        """Per partner: records recorded by their case's checkpoint but delivered after its decision time had
        passed in their partition (its event time, the largest ``recorded_at`` read from it before, was past
        the checkpoint plus the allowed lateness), as Kafka Streams judges lateness by a partition's stream
        time. It depends on the order partners published in, not on how reads interleave partitions, so a
        backlog, a live run and a recording count the same. With the wall clock a record is also delivered
        late when the broker appended it after the decision time (``_deliver``), which its partner cannot
        back-date. Each such record is an exchange defect of its partner's, whether or not it changed a
        finding."""
        counts = Counter(self.state.late_deliveries)
        for dossier in self.state.dossiers.values():
            if dossier.delayed is not None:
                counts.update(self._late_of(dossier))
        return dict(sorted(counts.items()))

    def _late_of(self, dossier: Dossier) -> list[str]:
        """The partners of a checked case's late deliveries (judged against its checkpoint now)."""
        s = situation(dossier, self.checkpoint_before) if dossier.delayed is not None else None
        if s is None or dossier.delayed is None:
            return []
        decided = self.decision_time(s)
        return [fact.partner for fact, seen in dossier.delayed if fact.recorded_at <= s.checkpoint and seen > decided]

    def _drop(self, dossier: Dossier) -> None:
        """Forget a case, keeping what the report needs of it, engine-wide and in its partition's tally."""
        state = self.state
        tally = state.tallies.setdefault(dossier.partition, Tally())  # where its records were counted
        for partner in self._late_of(dossier):
            for late in (state.late_deliveries, tally.late_deliveries):
                late[partner] = late.get(partner, 0) + 1
        if not dossier.of("case_handed_over"):
            for unknown in (state.evicted_unknown, tally.evicted_unknown):
                unknown["cases"] += 1
                unknown["events"] += dossier.count
        else:
            verdict = self.verdict(dossier.case)
            if verdict is not None:
                state.evicted[dossier.case] = verdict
        del state.dossiers[dossier.case]
        if state.touched is not None:
            state.touched[dossier.case] = dossier.partition

    def verdict(self, case: str) -> Verdict | None:
        """The case's verdict once the watermark has passed its decision time; None when not (yet) decided."""
        dossier = self.state.dossiers.get(case)
        if dossier is None:
            return None
        s = situation(dossier, self.checkpoint_before)
        if s is None or self.state.watermark is None or self.state.watermark < self.decision_time(s):
            return None
        return judge(s)

    def verdicts(self) -> list[Verdict]:
        """Verdicts of every checked case, evicted ones included, sorted by case key (deterministic reports)."""
        found = [v for v in map(self.verdict, self.state.dossiers) if v is not None]
        return sorted([*found, *self.state.evicted.values()], key=lambda v: v.case)

    def feed(self, records: Iterable[ConsumedRecord]) -> list[tuple[ConsumedRecord, Rejection]]:
        """Process many records (offline use: they are all there is, so nothing holds the watermark back after
        them); returns the rejected ones with their reasons."""
        rejected = []
        for record in records:
            _, rejection = self.process(record)
            if rejection is not None:
                rejected.append((record, rejection))
        self.advance(())
        return rejected

    def unknown_cases(self) -> dict[str, int]:
        """Cases with events but no handover (``case_handed_over``), and their events: reported, not judged."""
        unknown = [d for d in self.state.dossiers.values() if not d.of("case_handed_over")]
        evicted = self.state.evicted_unknown
        return {"cases": len(unknown) + evicted["cases"], "events": sum(d.count for d in unknown) + evicted["events"]}

    def case_count(self) -> int:
        """Cases read: those held, and those evicted (judged, or never handed over)."""
        return len(self.state.dossiers) + len(self.state.evicted) + self.state.evicted_unknown["cases"]

    def rejection_summary(self) -> dict[str, Any]:
        """Dead-letter counts per error code."""
        return dict(sorted(self.state.rejections.items()))
