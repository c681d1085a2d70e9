"""The validator over Kafka, as a member of a consumer group: consume the chain partitions the group gives it,
dead-letter what cannot be processed, publish one finding per checked case, and commit the state (to the
group's changelog topic), the findings, the dead letters and the input offsets in one transaction.
"""

from __future__ import annotations

import hashlib
import heapq
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.errors import AuthorizationError, KafkaError, ProducerFencedError
from kafka.structs import OffsetAndMetadata

from consumers.bounded import chain_partitions
from consumers.confirmed import ConfirmedSender
from consumers.dlq import dead_letter
from consumers.records import ConsumedRecord
from runtime import __version__, clients, interrupt, transactions
from runtime.errors import MissingTopicError, SigmaError, UsageError
from runtime.outage import Outage
from runtime.progress import Tracker
from runtime.settings import EventClock, Settings
from runtime.transactions import StuckProducerError
from schemas import access, findings, topics
from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from validator import catchup, changelog, changelog_kafka, revision, watermark
from validator import state as snapshots
from validator.engine import Engine, EngineState, Rejection
from validator.heap import LongLivedHeap
from validator.metrics import ValidatorMetrics
from validator.rules import Verdict, latest_booking, situation

log = structlog.get_logger(__name__)
DEFAULT_GROUP = "sigma-validator"
DEFAULT_IDLE_TIMEOUT = 1.0
"""Seconds a caught-up partition may deliver nothing before it stops holding the watermark back: long enough
for a record in flight to arrive, short enough that a quiet partner delays findings by no more than that."""


@dataclass
class OnlineOptions:
    """How to run: group, checkpoint, snapshot cadence and whether to stop at the end."""

    group: str = DEFAULT_GROUP
    checkpoint_hours: float = 48.0
    to_end: bool = False
    state_dir: Path | None = None
    snapshot_interval: float = 5.0
    publish_findings: bool = True
    allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    event_clock: EventClock = "stream"
    on_snapshot: Callable[[Engine], None] | None = None
    metrics: ValidatorMetrics = field(default_factory=ValidatorMetrics)


def _finding_value(verdict: Verdict, *, watermark: datetime, revision: int = 0, reason: str | None = None,
                   changes: list[dict[str, Any]] | None = None) -> bytes:
    """A finding as published: the verdict, which revision of it this is, and why it was revised.

    Built through the message book's model, so a field it does not describe cannot be published.
    """
    return findings.encode(findings.ValidationFinding.model_validate({
        "case": verdict.case, "checkpoint": verdict.checkpoint, "departure": verdict.departure,
        "complete": not verdict.defects, "defects": [d.to_json() for d in verdict.defects], "revision": revision,
        "watermark": watermark, "reason": reason, "changes": changes or [], "validator_version": __version__}))


class OnlineValidator:
    """One member of a validator group: the partitions of the chain topics the group gives it.

    Partition n of every chain topic goes to the same member (range assignment over co-partitioned topics), so a
    case's events all reach one member. Its state is kept in the group's changelog topic
    (``validator.changelog``); on assignment a member restores its partitions' cases from there (or from its
    local snapshot, a cache used only when it holds exactly what the group committed last), and on revocation it
    commits what it processed and forgets them. Findings, dead letters, changelog records and the input offsets
    of each commit interval go in one Kafka transaction: all of them count, or none (exactly once).

    Cases touched by a batch are judged right after it while the validator keeps up with the stream (low
    latency); while catching up on a backlog they are judged at most every ``EVALUATE_EVERY`` seconds, so a
    case receiving many events is not judged again for each of them.
    """

    MAX_RECORDS = 5000
    EVALUATE_EVERY = 0.5
    BACKLOG_BOUND = 50_000
    """Records that may wait their turn (``validator.catchup``): more than one fetch of every chain partition
    brings (about 33,500 of the simulator's records at ``FETCH_BYTES``, over the 60 of the 69 partitions that
    carry any) and a poll, and room for what piles up while the partitions furthest behind fetch again, so that
    a backlog in step seldom fills it. Measured over a 10,000-case backlog (``bench_catchup``, same session):
    the former 40,000, sized on 54 partitions (the code of then, there: full in 0-2 of 28-29 turns, a median
    lead of 67-91 h), was full in 8-9 of 31-32 turns on 69, and the most advanced partition ran a median
    128-337 h ahead of the oldest record not yet processed (six runs); at 50,000, full in 3-4 of 32 turns,
    33-76 h (six runs; 60,000, never full: 40 h), for 5-10 MiB more peak memory."""
    PATIENCE = 5.0
    """Seconds a partition run dry though not at its end may hold the others back (``validator.catchup``)."""
    FETCH_BYTES = 256 * 1024
    """Bytes fetched per partition at a time (Kafka's default: 1 MiB). Every partition's first chunk must have
    arrived before anything is processed, and each waits whole for its turn: on the former 54 partitions, with
    the default the backlog held about 55,000 records at the start of a 10,000-case backlog (45 MB more memory
    than before), with a quarter of it 33,000 (no more memory than before); smaller chunks made reading slower
    (more fetches). On 69, 192 KiB (the same bytes in all) left the backlog full as often (8 of 31 turns)."""
    GROUP_CHECK_EVERY = 1.0
    """Seconds between looks at the group's committed offsets once this member's partitions are at their end
    (``--to-end``: the run ends when the whole group is)."""

    def __init__(self, settings: Settings, options: OnlineOptions) -> None:
        self.settings = settings
        self.options = options
        self.prefix = settings.topic_prefix
        state_dir = options.state_dir or settings.home / "validator"
        self.snapshot_file = snapshots.snapshot_path(state_dir, options.group, self.prefix)
        self.changelog = changelog_kafka.name(self.prefix, options.group)
        self.engine = Engine(checkpoint_hours=options.checkpoint_hours, topic_prefix=self.prefix,
                             eviction_grace_hours=settings.eviction_grace_hours or None,
                             allowed_lateness_hours=options.allowed_lateness_hours, event_clock=options.event_clock)
        self.idleness = watermark.Idleness(options.idle_timeout, time.monotonic())
        self.backlog: catchup.Backlog[Any] = self._new_backlog()
        self.published: dict[str, revision.Decided] = {}
        self._pending: list[tuple[datetime, str]] = []
        self._dirty: set[str] = set()
        self._last_eval = 0.0
        self.heap = LongLivedHeap()
        self.metrics = options.metrics
        self.outage = Outage(settings)
        self.sender: ConfirmedSender
        self.producer: Any = None
        """The transactional producer; replaced when it is stuck (``_renew``)."""
        self.chain: list[TopicPartition] = []
        """Every partition of every chain topic (the group's, whoever owns them)."""
        self.assigned: list[TopicPartition] = []
        """The partitions the group gives this member now."""
        self._sent = False
        """Whether the open transaction holds findings or dead letters (committed soon once caught up)."""
        self._joined = False
        """Whether the group has given this member its partitions (maybe none) at least once."""
        self._commit = ""
        """The id of this member's last commit, sent as its offsets' metadata (see ``_assigned``)."""
        self._leaderless: set[TopicPartition] = set()
        """This member's partitions whose leader its consumer could not reach at the last turn."""

    def _new_backlog(self) -> catchup.Backlog[Any]:
        """Records wait there only as long as the consumer that fetched them owns their partition."""
        return catchup.Backlog(self.BACKLOG_BOUND, self.PATIENCE, self.engine.lateness)

    @property
    def transactional_id(self) -> str:
        """Stable per group, topic prefix, host and state folder: a member restarted where it ran resumes its own
        transactions (the broker aborts the one it left open at once), and two members never share one unless
        they share a state folder, which the broker then refuses (one fences the other)."""
        where = f"{socket.gethostname()}\0{self.snapshot_file.resolve()}"
        member = hashlib.sha256(where.encode()).hexdigest()[:12]
        return f"{access.VALIDATOR_TRANSACTIONS}{self.prefix}{self.options.group}.{member}"

    def run(self, tracker: Tracker | None = None) -> Engine:
        """Consume until stopped (or, with ``to_end``, until the group has reached the end offsets seen at start).

        Kafka errors never escape as tracebacks: an outage is waited out (``runtime.outage``), a refused
        dead letter or finding stops the run before its transaction commits, anything else is one error.
        """
        # read_committed: records of aborted transactions never happened, so they are neither judged nor counted
        consumer = clients.consumer(self.settings, group_id=self.options.group, isolation_level="read_committed",
                                    max_partition_fetch_bytes=self.FETCH_BYTES,
                                    partition_assignment_strategy=(RangePartitionAssignor,),
                                    **group_timing(self.settings.group_session_timeout))
        reader = clients.consumer(self.settings, isolation_level="read_committed")  # the changelog, no group
        # the group's committed offsets (``--to-end``), asked on a connection of their own: see ``_group_offsets``
        watcher = clients.admin(self.settings) if self.options.to_end else None
        # findings are few and each is awaited by someone: sent at once, not held up to 5 ms for a batch;
        # never auto-created: a deleted DLQ would come back without its configs (retention), so it is an error
        self.producer = self._new_producer()
        try:
            # Ctrl-C and SIGTERM stop the loop between turns: raised wherever the process is, one was once
            # swallowed by the at-fork handlers of a snapshot's fork, and the validator never stopped
            with interrupt.deferred() as stop:
                return self._run(consumer, reader, watcher, tracker, stop)
        except ProducerFencedError as exc:
            raise SigmaError("another validator with the same transactional id took over (same group, host and "
                             "state folder)", fix="give each validator of a group on one host its own --state-dir") \
                from exc
        except AuthorizationError as exc:
            raise SigmaError(f"the cluster refused the validator ({type(exc).__name__})", fix=access.GRANT_FIX) \
                from exc
        except StuckProducerError as exc:
            raise SigmaError(f"the validator's producer stopped sending ({exc})",
                             fix="run again (it resumes at the last commit); report it if it persists") from exc
        except KafkaError as exc:
            raise SigmaError(f"Kafka failed the validator: {type(exc).__name__}: {exc}"[:300],
                             fix="run again (it resumes at the last commit); report it if it persists") from exc
        finally:
            self.heap.release()
            transactions.abandon(self.producer)
            _close(self.producer.close, timeout=0)
            _close(reader.close, autocommit=False)
            if watcher is not None:
                _close(watcher.close)
            _close(consumer.close, autocommit=False, timeout_ms=CLOSE_TIMEOUT_MS)

    def _new_producer(self) -> Any:
        """The transactional producer (``init_transactions`` not yet called)."""
        # findings are few and each is awaited by someone: sent at once, not held up to 5 ms for a batch;
        # never auto-created: a deleted DLQ would come back without its configs (retention), so it is an error
        return clients.producer(self.settings, linger_ms=0, allow_auto_create_topics=False,
                                transactional_id=self.transactional_id,
                                transaction_timeout_ms=self._transaction_timeout_ms(), **clients.patient(self.settings))

    def _renew(self, consumer: Any, reader: Any, why: StuckProducerError) -> None:
        """Replace a stuck producer (``runtime.transactions.STUCK_AFTER``) and go back to the last commit: the new
        producer's ``init_transactions`` (same transactional id) fences the old one and ends its open transaction,
        so what it still held never counts; the partitions' cases are restored and read again from the group's
        committed offsets, as after a rebalance."""
        log.warning("producer stuck; starting a new one and resuming from the last commit", reason=str(why))
        _close(self.producer.close, timeout=0)
        self.producer = self._new_producer()
        self.sender = ConfirmedSender(self.producer, self.outage, partial(_exists, consumer))
        self.outage.call(self.producer.init_transactions, "starting transactions")
        self.producer.begin_transaction()
        assigned, self.assigned = self.assigned, []
        self._revoked(self.producer)
        self._assigned(consumer, reader, assigned)

    def _transaction_timeout_ms(self) -> int:
        """How long the broker lets a transaction stay open: longer than a commit interval plus an outage waited
        out, or the broker would abort the transaction of a validator riding out an outage. It is also how long
        the transaction a killed validator left open holds read_committed readers back (the group's next owner
        of its partitions restores the state committed before it)."""
        seconds = self.settings.outage_give_up + 2 * self.options.snapshot_interval + 10
        return int(min(seconds, MAX_TRANSACTION_TIMEOUT_S) * 1000)

    def _run(self, consumer: Any, reader: Any, watcher: Any, tracker: Tracker | None,
             stop: interrupt.StopRequest) -> Engine:
        outage = self.outage
        self.chain = outage.call(lambda: chain_partitions(consumer, self.prefix), "looking up the chain topics")
        counts = copartitioned(self.chain)
        self.engine.partitions.update(counts)  # the cluster's, not the plan's
        partitions_each = next(iter(counts.values()))
        outage.call(lambda: changelog_kafka.ensure(self.settings, self.changelog, partitions_each),
                    "creating the changelog topic")
        dlq_topic = self.prefix + topics.DLQ
        outputs = [dlq_topic] + ([self.prefix + topics.FINDINGS] if self.options.publish_findings else [])
        for name in outputs:
            if not outage.call(partial(consumer.partitions_for_topic, name), f"looking up {name}"):
                raise MissingTopicError(name, consumer.topics(), [t.name for t in topics.ALL_TOPICS])
        self.sender = ConfirmedSender(self.producer, outage, partial(_exists, consumer))
        outage.call(self.producer.init_transactions, "starting transactions")
        end: dict[TopicPartition, int] = {}
        if self.options.to_end:
            end = outage.call(partial(consumer.end_offsets, self.chain), "reading end offsets")
            if tracker is not None:
                start = outage.call(lambda: self._group_offsets(watcher), "reading the group's offsets")
                tracker.total(sum(max(end[tp] - start.get(tp, 0), 0) for tp in self.chain))
        rebalance = _Listener()
        consumer.subscribe(topics=sorted(counts), listener=rebalance)
        self.producer.begin_transaction()
        last_commit = last_group_check = time.monotonic()
        saving: snapshots.Saving | None = None
        count = 0
        committed_all = False
        while True:
            batch: dict[TopicPartition, list[Any]] = {}
            # records the limit left waiting are processed without waiting for more, which are fetched meanwhile
            # (kafka-python fetches again once what it fetched last is handed out) unless the backlog is full
            wait = 200 if count < self.MAX_RECORDS else 0
            if wait or len(self.backlog) < self.backlog.bound:
                batch = outage.call(partial(consumer.poll, timeout_ms=wait, max_records=self.MAX_RECORDS),
                                    "reading the chain topics", answered=False)
            if rebalance.revoked:
                rebalance.revoked = False
                self._revoked(self.producer)
                batch = {}  # polled for the partitions just taken back: none of it may count
            if rebalance.assigned is not None:
                assigned, rebalance.assigned = rebalance.assigned, None
                self._assigned(consumer, reader, assigned)
                batch = {}  # maybe polled before the rebalance: read again from where ``_assigned`` put the consumer
            stop.raise_if_requested()  # what waits in the backlog is in no commit: read again after a restart
            backlog, partitions = self.backlog, self.assigned  # a rebalance in the poll may have changed them
            backlog.add(batch)
            self.idleness.delivered(backlog.waiting(), time.monotonic())
            fetched = self._positions(consumer, partitions)  # once per turn
            led = clients.led(consumer, partitions)
            self._leaderless = {tp for tp in partitions if tp not in led}
            self.idleness.unreadable(((tp.topic, tp.partition) for tp in self._leaderless), time.monotonic())
            unfinished = {tp for tp in partitions if not self._at_end(consumer, tp, fetched[tp], end)}
            dirty: set[str] = set()
            counts_now: Counter[str] = Counter()
            for msg in backlog.take(self.engine.state.progress, unfinished, time.monotonic(), self.MAX_RECORDS):
                case, rejection = self.engine.process(msg)
                if rejection is not None:
                    self._dead_letter(msg, rejection, dlq_topic)
                    self.metrics.dead_lettered_one(msg.topic, rejection.code)
                elif case is not None:
                    dirty.add(case)
                counts_now[msg.topic] += 1
            count = counts_now.total()
            if count:
                committed_all = False
                self.heap.settle()
                if tracker is not None:
                    tracker.advance(count)
            self._dirty |= dirty
            positions = {tp: backlog.next_offset(tp, fetched[tp]) for tp in partitions}
            self.metrics.polled(counts_now, positions, consumer.highwater, self.engine, self.published)
            # this member's partitions all read (``--to-end``): nothing of its cases is still to come
            done = self.options.to_end and self._joined and all(positions[tp] >= end[tp] for tp in partitions)
            self._advance(consumer, positions, end, done)
            now = time.monotonic()
            caught_up = count < self.MAX_RECORDS and not backlog
            commit_due = now - last_commit >= self.options.snapshot_interval or (done and not committed_all) or \
                (caught_up and self._sent)
            if commit_due or caught_up or now - self._last_eval >= self.EVALUATE_EVERY:
                self._evaluate(self._dirty)
                self._dirty = set()
                self._last_eval = now
            if saving is not None and saving.done(wait=done):
                self._saved()
                saving = None
            if commit_due and partitions and not rebalance.revoked:  # revoked meanwhile: abort next turn
                try:
                    self._checkpoint(consumer, self.producer, positions)
                except StuckProducerError as exc:
                    if saving is not None:
                        saving.done(wait=True)  # one write of the local cache at a time
                        self._saved()
                        saving = None
                    self._renew(consumer, reader, exc)
                    last_commit = time.monotonic()
                    continue
                last_commit = time.monotonic()
                committed_all = done
                if saving is None:  # the local cache: one write at a time, each of a committed state
                    saving = self._snapshot(positions)
                    if done:
                        saving.done(wait=True)
                        self._saved()
                        saving = None
            if done and not partitions:  # a member the group gave nothing to has nothing to commit
                committed_all = True
            if done and committed_all and time.monotonic() - last_group_check >= (
                    0 if len(self.chain) == len(partitions) else self.GROUP_CHECK_EVERY):
                last_group_check = time.monotonic()
                if self._group_done(watcher, end):
                    return self.engine

    def _saved(self) -> None:
        """The local snapshot begun last is on disk."""
        self.metrics.snapshot_written()
        if self.options.on_snapshot is not None:
            self.options.on_snapshot(self.engine)

    def _group_offsets(self, watcher: Any) -> dict[TopicPartition, int]:
        """The group's committed offset of every chain partition (those never committed left out), in one request
        on the admin client ``watcher``, not on this member's consumer.

        Why: asked on the member's consumer, one partition at a time, a member that had read its own partitions
        stopped polling while the group rebalanced (a member killed, one joining): it waited in ``committed``
        for minutes, as the group's leader it joined again every 3 s, the group never settled, and the
        partitions the group had given it were never read (the broker answers a connection's requests in turn,
        so a fetch of offsets waits behind the member's pending JoinGroup). Committed offsets only (no
        ``require_stable``): an offset still in an open transaction is not committed yet."""
        committed = watcher.list_group_offsets(self.options.group)[self.options.group]
        chain = set(self.chain)
        return {tp: at.offset for tp, at in committed.items() if tp in chain and at.offset >= 0}

    def _group_done(self, watcher: Any, end: dict[TopicPartition, int]) -> bool:
        """Whether the group has committed every chain partition up to the end offsets seen at start."""
        committed = self.outage.call(lambda: self._group_offsets(watcher), "reading the group's offsets")
        return all(committed.get(tp, 0) >= at for tp, at in end.items())

    def _advance(self, consumer: Any, positions: dict[TopicPartition, int], end: dict[TopicPartition, int],
                 done: bool) -> None:
        """Move the watermark (``validator.watermark``). At the end of a ``--to-end`` run nothing holds it back:
        every record is read."""
        if done:
            self.engine.advance(())
            return
        caught_up = {(tp.topic, tp.partition) for tp, at in positions.items() if self._at_end(consumer, tp, at, end)}
        holding = self.idleness.holding(((tp.topic, tp.partition) for tp in positions), caught_up, time.monotonic())
        self.engine.advance(holding)

    def _at_end(self, consumer: Any, tp: TopicPartition, at: int, end: dict[TopicPartition, int]) -> bool:
        """Whether ``at`` has reached the partition's last high watermark fetched (or its end offset at the start,
        before any fetch), its leader reachable (``clients.led``: else that high watermark may be stale)."""
        if tp in self._leaderless:
            return False
        highwater = consumer.highwater(tp)
        if highwater is None:
            highwater = end.get(tp)
        return highwater is not None and at >= highwater

    def _evict(self, consumer: Any, positions: dict[TopicPartition, int]) -> None:
        """Drop closed cases a grace period old (their findings are published: ``_evaluate`` ran just before).

        A partition at its end (position at the last high watermark fetched, its leader reachable) holds back
        nothing: no event of any case waits there."""
        pending = {(tp.topic, tp.partition) for tp, at in positions.items()
                   if tp in self._leaderless or (highwater := consumer.highwater(tp)) is None or at < highwater}
        for case in self.engine.evict(pending):
            self.published.pop(case, None)

    def _positions(self, consumer: Any, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The consumer's position in each partition, the next offset it hands out (records before it may still
        wait in the backlog), all for the cost of one ``position`` call (``runtime.clients.positions``)."""
        positions: dict[TopicPartition, int] = self.outage.call(
            partial(clients.positions, consumer, partitions), "reading positions", answered=False)
        return positions

    def _dead_letter(self, msg: Any, rejection: Rejection, topic: str) -> None:
        """Send the record's dead letter (cut to fit, ``consumers.dlq``); confirmed before the next commit."""
        letter = dead_letter(ConsumedRecord.from_kafka(msg), stage=rejection.stage, code=rejection.code,
                             reason=rejection.reason, path=rejection.path)
        self.sender.send(topic, key=letter.key, value=letter.value, headers=letter.headers,
                         timestamp_ms=letter.timestamp_ms,
                         origin=f"the dead letter of {msg.topic}/{msg.partition}@{msg.offset}")
        self._sent = True

    def _assigned(self, consumer: Any, reader: Any, assigned: list[TopicPartition]) -> None:
        """The group gave this member ``assigned``: restore their cases, from the local snapshot when it holds
        exactly what the group committed last, else from the changelog, and put the consumer at the group's
        committed offsets (the changelog's state covers exactly the records before them: both are written in
        one transaction), or at the beginning of a partition whose state was not found.

        Why seek, when a new assignment starts at the committed offsets anyway: kafka-python 3 rebalances on its
        network thread, so the poll in which the loop learns of a rebalance may return records fetched for the
        assignment before it. They were processed into the new state: between the revocation and the
        assignment into an empty one that no partition held back, which decided its cases at once on part of
        their events and published those findings (hundreds, wrong, in the group test). So the loop drops what
        that poll returned, and reading on from here reads what the new assignment needs, in order."""
        self._joined = True
        self.assigned = sorted(assigned, key=lambda tp: (tp.topic, tp.partition))
        self.backlog = self._new_backlog()
        if not assigned:
            return
        found = self.outage.call(lambda: {tp: consumer.committed(tp, metadata=True) for tp in assigned},
                                 "reading the group's offsets")
        committed = {tp: None if at is None else at.offset for tp, at in found.items()}
        snap = snapshots.load(self.snapshot_file, group=self.options.group, prefix=self.prefix,
                              topics=snapshots.partition_counts(assigned))
        lost: list[TopicPartition] = []
        # the snapshot of the commit the group made last: its offsets, and its id (two commits may have the same
        # offsets and another state: cases decided and evicted at the end of the stream, with no record read)
        if snap is not None and snap.offsets == {(tp.topic, tp.partition): committed[tp] for tp in assigned} and \
                all(at is not None and at.metadata == snap.commit for at in found.values()):
            state, published, source = snap.state, snap.published, "snapshot"
        else:
            numbers = sorted({tp.partition for tp in assigned})
            restored = self.outage.call(lambda: changelog.restore(changelog_kafka.read(
                reader, [TopicPartition(self.changelog, n) for n in numbers])), "restoring from the changelog")
            state, published, source = restored.state, restored.published, "changelog"
            lost = sorted({tp for tp in assigned if committed[tp] is not None and tp.partition not in state.tallies},
                          key=lambda tp: (tp.topic, tp.partition))
            if lost:  # offsets committed by a validator without a changelog (an older sigma): read them again
                log.warning("group has committed offsets but no state in its changelog for these partitions; "
                            "rebuilding them from the start", group=self.options.group, changelog=self.changelog,
                            partitions=sorted({tp.partition for tp in lost}))
        for tp in assigned:
            if committed[tp] is None or tp in lost:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed[tp])
        state.touched = {}
        self.engine.state = state
        self.engine.reschedule()
        self.published = published
        self._requeue_pending()
        self.metrics.resumed([*(d.signature for d in published.values()),
                              *(revision.signature(v.defects) for v in state.evicted.values())])
        log.debug("partitions assigned", group=self.options.group, partitions=sorted({tp.partition for tp in assigned}),
                 restored_from=source, cases=len(state.dossiers), records=state.counters.consumed)

    def _revoked(self, producer: Any) -> None:
        """The group took this member's partitions back (to share them anew): abort the open transaction and
        forget their cases. Their next owner restores them from the changelog and redoes what this member did
        since its last commit (a commit now would carry the group's new generation, and could land after the
        next owner had read the offsets: kafka-python runs the rebalance callbacks on its network thread, which
        may not block on a commit)."""
        if self.assigned:
            transactions.abort(producer, self.outage)
            producer.begin_transaction()
            self._sent = False
        self.metrics.forgotten([*(d.signature for d in self.published.values()),
                                *(revision.signature(v.defects) for v in self.engine.state.evicted.values())])
        self.engine.state = EngineState(touched={})
        self.published, self._pending, self._dirty, self.assigned = {}, [], set(), []
        self.backlog = self._new_backlog()

    def _requeue_pending(self) -> None:
        """Queue every restored case for its decision time, decided ones too: a case decided for one departure
        and booked again waits for its new checkpoint in the queue of the member that read the booking, which no
        changelog holds; left out, its next owner never decided the new departure (the group test lost 6 such
        findings in 1 of 9 runs). A decided case whose verdict is unchanged publishes nothing (``_decide``)."""
        for case in self.engine.state.dossiers:
            self._queue(case)

    def _queue(self, case: str) -> None:
        dossier = self.engine.state.dossiers[case]
        s = situation(dossier, self.engine.checkpoint_before)
        if s is not None:
            heapq.heappush(self._pending, (self.engine.decision_time(s), case))

    def _evaluate(self, dirty: set[str]) -> None:
        """Publish findings for touched cases past their decision time and for cases the watermark just decided."""
        due = set()
        for case in dirty:
            if self.engine.verdict(case) is not None:
                due.add(case)
            else:
                self._withdraw(case)
                self._queue(case)
        watermark = self.engine.state.watermark
        while self._pending and watermark is not None and self._pending[0][0] <= watermark:
            due.add(heapq.heappop(self._pending)[1])
        for case in sorted(due):
            verdict = self.engine.verdict(case)
            if verdict is not None:
                self._decide(verdict)

    def _decide(self, verdict: Verdict) -> None:
        """Publish a decided case's first finding (or the first for a new departure), or a new revision when
        arrivals since changed it."""
        case, state = verdict.case, self.engine.state
        dossier = state.dossiers[case]
        defects = revision.signature(verdict.defects)
        before = self.published.get(case)
        if state.touched is not None:  # what was published of it goes to the changelog with the case
            state.touched[case] = dossier.partition
        if before is None or revision.new_departure(before, latest_booking(dossier), self.engine.lateness):
            self.published[case] = revision.Decided(0, defects, dossier.count, verdict.checkpoint)
            self.metrics.judged(None, defects)
            self._publish(verdict, 0)
            return
        news = revision.arrivals(dossier, before.facts, self.engine.wall)
        if (defects, verdict.checkpoint) == (before.signature, before.checkpoint):
            self.published[case] = revision.Decided(before.revision, defects, dossier.count, before.checkpoint)
            return
        number = before.revision + 1
        self.metrics.judged(before.signature, defects)
        self.published[case] = revision.Decided(number, defects, dossier.count, verdict.checkpoint)
        assert state.watermark is not None  # the case is decided
        self._publish(verdict, number, reason=revision.reason(news, before.checkpoint, state.watermark),
                      changes=revision.changes(before.signature, defects))

    def _withdraw(self, case: str) -> None:
        """Withdraw the published finding of a case that records delivered since show was not to be checked at
        that checkpoint (its booking cancelled before it, or not on the forced track), with a tombstone: on the
        compacted findings topic the case then has no verdict, as in the report. A booking made after the
        decision (a new departure) withdraws nothing: the finding of the departure before it stands."""
        before = self.published.get(case)
        dossier = self.engine.state.dossiers[case]
        if before is None or situation(dossier, self.engine.checkpoint_before) is not None or \
                revision.new_departure(before, latest_booking(dossier), self.engine.lateness):
            return
        del self.published[case]
        if self.engine.state.touched is not None:  # no finding published any more: so says its changelog record
            self.engine.state.touched[case] = dossier.partition
        self.metrics.withdrawn(before.signature)
        if self.options.publish_findings:
            watermark = self.engine.state.watermark
            assert watermark is not None  # the case was decided by the watermark passing it
            why = revision.reason(revision.arrivals(dossier, before.facts, self.engine.wall), before.checkpoint,
                                  watermark)
            self.sender.send(self.prefix + topics.FINDINGS, key=case.encode(), value=None,
                             headers=[(findings.WITHDRAWN_HEADER, why.encode())],
                             origin=f"the withdrawal of the finding of {case}")
            self._sent = True

    def _publish(self, verdict: Verdict, number: int, reason: str | None = None,
                 changes: list[dict[str, Any]] | None = None) -> None:
        if self.options.publish_findings:
            assert self.engine.state.watermark is not None  # a case is decided by the watermark passing it
            value = _finding_value(verdict, revision=number, watermark=self.engine.state.watermark, reason=reason,
                                   changes=changes)
            self.sender.send(self.prefix + topics.FINDINGS, key=verdict.case.encode(), value=value,
                             headers=[("content-type", findings.CONTENT_TYPE.encode())],
                             origin=f"the finding of {verdict.case}")
            self._sent = True

    def _checkpoint(self, consumer: Any, producer: Any, positions: dict[TopicPartition, int]) -> None:
        """Commit the open transaction: the findings and dead letters sent in it, the changelog records of what
        changed since the last commit (cases evicted first: ``_evaluate`` ran just before), and the offsets
        ``positions`` (the next record to process of each partition, never past one that only waits in the
        backlog); then open the next. Every send is acknowledged first, or the run stops here."""
        self._evict(consumer, positions)
        numbers = sorted({tp.partition for tp in positions})
        for record in changelog.flush(self.engine.state, self.published, numbers):
            self.sender.send(self.changelog, key=record.key, value=record.value, headers=[],
                             partition=record.partition, origin=f"a changelog record of partition {record.partition}")
        self.sender.confirm()
        self._commit = uuid.uuid4().hex  # names this commit's state: the local snapshot of it says it covers it
        offsets = {tp: OffsetAndMetadata(at, self._commit, -1) for tp, at in positions.items()}
        self.metrics.commit_started()
        answers = partial(_answers, consumer, self.changelog)
        transactions.send_offsets(producer, offsets, consumer.group_metadata(), self.outage, answers)
        transactions.commit(producer, self.outage, answers)
        self.metrics.commit_answered()
        self._sent = False
        producer.begin_transaction()

    def _snapshot(self, positions: dict[TopicPartition, int]) -> snapshots.Saving:
        """Start writing the local cache of the state just committed, with the offsets it covers."""
        self.metrics.snapshot_started()
        offsets = {(tp.topic, tp.partition): at for tp, at in positions.items()}
        return snapshots.Saving(self.snapshot_file, snapshots.Snapshot(
            self.options.group, self.prefix, snapshots.partition_counts(positions), offsets, self.engine.state,
            self.published, self._commit))


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Notes the group's rebalances for the loop, which handles them after the poll: kafka-python calls these on
    its network thread, where reading offsets or the changelog would block it."""

    def __init__(self) -> None:
        self.revoked = False
        self.assigned: list[TopicPartition] | None = None

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.revoked, self.assigned = True, None

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned = list(assigned)


def group_timing(session_timeout: float) -> dict[str, int]:
    """The group member's session timeout and heartbeat interval (a third of it, as Kafka advises, at most
    Kafka's 3 s).

    Why not Kafka's 45 s default: a member killed outright (a machine lost, SIGKILL) is noticed only when its
    session times out, and until then its partitions' findings stop; ``bench_scaleout`` measured 43.5-50 s from
    a kill to its partitions committed again with 45 s, 10.6-12.9 s with 10 s (issue 18's target: under 15 s).
    The heartbeat runs on kafka-python's own thread, so a long turn of the loop does not miss it; the brokers'
    ``group.min.session.timeout.ms`` (6 s by default) is the lower bound."""
    millis = int(session_timeout * 1000)
    return {"session_timeout_ms": millis, "heartbeat_interval_ms": min(3000, millis // 3)}


def copartitioned(partitions: list[TopicPartition]) -> dict[str, int]:
    """Partitions per chain topic, when every chain topic has as many (what the group's range assignment needs
    to give partition n of every topic, so every event of a case, to one member); else a one-line error."""
    counts = snapshots.partition_counts(partitions)
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{topic}: {n}" for topic, n in sorted(counts.items()))
        raise UsageError(f"the chain topics are not co-partitioned ({listed})",
                         fix="create the chain topics with one partition count (sigma topics apply, under a new "
                             "SIGMA_TOPIC_PREFIX): adding partitions would move keys off their partitions")
    return counts


TOPIC_CHECK_MS = 5000
"""How long asking whether a topic exists may wait (a healthy cluster answers within milliseconds)."""


def _exists(consumer: Any, topic: str) -> bool | None:
    """Whether ``topic`` exists, asking the cluster; None when it does not answer within ``TOPIC_CHECK_MS``."""
    try:
        return topic in clients.topics(consumer, TOPIC_CHECK_MS)
    except (KafkaError, OSError):
        return None


def _answers(consumer: Any, topic: str) -> bool:
    """Whether the cluster answers a metadata request now (a transaction's request waiting longer is stuck)."""
    return _exists(consumer, topic) is not None


MAX_TRANSACTION_TIMEOUT_S = 900
"""Kafka's default ``transaction.max.timeout.ms`` (15 minutes): a broker refuses a longer transaction timeout."""
CLOSE_TIMEOUT_MS = 1000
"""How long closing the consumer may wait (kafka-python waits up to its request timeout, 30 s): a stopped
validator should be gone at once, and what it did not commit its partitions' next owner does again."""


def _close(close: Callable[..., None], **how: Any) -> None:
    """Close a client on the way out without hiding why we are leaving: a producer closed with sends pending
    (Ctrl-C mid-run, or a cluster given up on) raises from its flush; what it still held was never committed,
    so it is resent after a restart, and the reason the run ends is the one to report."""
    try:
        close(**how)
    except KafkaError as exc:
        log.debug("client closed with work pending", error=type(exc).__name__)
