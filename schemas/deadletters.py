"""What a dead letter on ``chain.dlq`` carries besides the original record: the ``dlq_*`` headers and stages.

Why in the message book: the dead-letter topic is read by partners' integration engineers and by tools, so
its headers are documented (the AsyncAPI document, the message book) from this one list, which the writer
in ``consumers.dlq`` uses too. The error codes are not here: the checks that raise them live with the codec
and the validator, and docs/wire-contract.md lists them (a unit test holds that table to the code).
"""

from __future__ import annotations

from typing import NamedTuple

STAGES = ("decode", "validate", "semantic", "process")
"""Where a record failed: framing/bytes, schema validation, chain semantics, or our own processing."""
PREFIX = "dlq_"
"""Every header sigma adds to a dead letter starts with it; the partner's own headers never may."""
REASON_LIMIT = 300
"""Characters of ``dlq_reason`` kept."""
REDRIVE_COUNT = "dlq_redrive_count"
TRUNCATED = "dlq_truncated"
ERROR_CODES_SECTION = "wire-contract.md#what-the-validator-checks-and-the-error-codes"
"""Where the error codes are listed, relative to docs/."""


class Header(NamedTuple):
    """A header sigma adds to a dead letter, after the original record's own headers."""

    name: str
    meaning: str
    always: bool
    """Present on every letter (else only when the meaning says so)."""
    pattern: str | None = None
    """The form of its value, when it has one."""


HEADERS: tuple[Header, ...] = (
    Header("dlq_stage", f"where the record failed: {', '.join(STAGES)}", True),
    Header("dlq_error_code", f"why: a stable code from the table in {ERROR_CODES_SECTION.split('#')[0]}", True,
           r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    Header("dlq_json_path", "where in the payload, e.g. `$.case_key` or `$.conditions[0]`; only when known", False),
    Header("dlq_reason", f"one line saying what is wrong, at most {REASON_LIMIT} characters, quoting no field "
                         "value but a partner name", True),
    Header("dlq_topic", "the topic the record was read from", True),
    Header("dlq_partition", "its partition, decimal", True, r"^[0-9]+$"),
    Header("dlq_offset", "its offset, decimal", True, r"^[0-9]+$"),
    Header("dlq_timestamp", "its record timestamp, milliseconds since the epoch, decimal", True, r"^-?[0-9]+$"),
    Header("dlq_timestamp_type", "`0` CreateTime, `1` LogAppendTime", True, r"^[01]$"),
    Header(TRUNCATED, "only on a letter that would not fit in one produce request: what was cut and how much "
                      "(`value` and `key` in bytes, `headers` how many), e.g. `value=2000000,headers=3`", False,
           r"^(value|headers|key)=[0-9]+(,(value|headers|key)=[0-9]+)*$"),
    Header("dlq_first_offset", "only on an `unreadable-batch` letter, which stands for the records of a batch "
                               "that could not be read (its value holds their bytes as stored): the first of their "
                               "offsets", False, r"^[0-9]+$"),
    Header("dlq_last_offset", "with `dlq_first_offset`: the last of those offsets (the letter's `dlq_offset`)", False,
           r"^[0-9]+$"),
    Header(REDRIVE_COUNT, "added by `sigma dlq redrive` to the record it sends back, so it is among the original "
                          "headers of a letter for a redriven record that failed again: how often it was redriven",
           False, r"^[0-9]+$"),
)
"""The headers the writer adds, in the order it writes them (``dlq_json_path`` and ``dlq_truncated`` only when
they apply), then those that travel among the record's own headers, before ``dlq_stage``."""
