"""When a record reached the chain, as the broker says: the trusted arrival time of the ``wall`` event clock.

Why the broker's clock: ``recorded_at`` is what a partner declares, and so is the event time of a partition
that holds only one partner's records, so a partner that back-dates an event sent after a checkpoint would
make it look on time. The chain topics are created with ``message.timestamp.type=LogAppendTime``
(``schemas.topics``): the broker stamps every record with the time it appended it, which no producer can set.
A record whose timestamp is of the other type (``CreateTime``, the producer's) carries no trusted arrival.

Why a setting, not always: simulations and replays of recorded history have an event time of their own, which
cannot be compared with the broker's clock; only a live chain, whose partners record in wall-clock time, can.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from runtime.errors import UsageError

LOG_APPEND_TIME = 1
"""Kafka's timestamp type of a record stamped by the broker (0 is ``CreateTime``, -1 none)."""
APPEND_TIME_CONFIG = "message.timestamp.type"


class Stamped(Protocol):
    """What the arrival of a record is read from (``ConsumedRecord`` and kafka-python's ``ConsumerRecord``)."""

    @property
    def timestamp(self) -> int: ...
    @property
    def timestamp_type(self) -> int: ...


def arrival(record: Stamped) -> datetime | None:
    """The broker's append time of ``record``; None when the broker did not stamp it (no trusted arrival)."""
    if record.timestamp_type != LOG_APPEND_TIME or record.timestamp < 0:
        return None
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


def require_append_time(types: Mapping[str, str | None]) -> None:
    """Refuse the ``wall`` clock when a topic it reads does not stamp records with the broker's append time
    (``types``: each topic's ``message.timestamp.type``, None when it could not be read): its records would
    carry only the time their producer chose."""
    unread = sorted(name for name, kind in types.items() if kind is None)
    if unread:
        raise UsageError(f"--event-clock wall needs the broker's append time, and the cluster would not describe "
                         f"the configs of {_few(unread)}",
                         fix="grant the validator DescribeConfigs on the chain topics (`sigma acl apply` does), "
                             "or validate with --event-clock stream")
    other = sorted(name for name, kind in types.items() if kind != "LogAppendTime")
    if other:
        shown = _few([f"{name} ({types[name]})" for name in other])
        raise UsageError(
            f"--event-clock wall needs the broker's append time, and {shown} "
            f"{'does' if len(other) == 1 else 'do'} not stamp records with it",
            fix=f"set it on each (kafka-configs --alter --entity-type topics --entity-name TOPIC --add-config "
                f"{APPEND_TIME_CONFIG}=LogAppendTime; sigma topics apply creates new chain topics so), "
                f"or validate with --event-clock stream")


def _few(names: list[str]) -> str:
    """The first three of ``names``, and how many more."""
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
