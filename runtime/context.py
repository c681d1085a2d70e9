"""The current context: the topic prefix one command leaves for the next (``SIGMA_HOME/context.json``).

Why: ``make demo`` writes under a run prefix of its own (``demo-<timestamp>.``). Without a context every
follow-up command (``sigma dossier``, ``dlq list``, ``record``) would look under no prefix and find nothing
unless the user typed the prefix again. The context file carries it over; precedence stays flag > env >
context file > default, so ``SIGMA_TOPIC_PREFIX`` still wins. Only the command line reads it
(:func:`apply`); library code and tests get exactly what the environment says.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from runtime import outputs
from runtime.errors import UsageError
from runtime.settings import Settings

FILE_NAME = "context.json"
_TOPIC_CHARS = re.compile(r"[A-Za-z0-9._-]*")
"""Kafka's legal topic-name characters; a prefix is the start of a topic name."""


@dataclass(frozen=True)
class Context:
    """What the context file holds: the prefix, who set it and when (UTC, ISO 8601)."""

    topic_prefix: str
    set_by: str
    set_at: str


def path(settings: Settings) -> Path:
    """Where the context file of this ``SIGMA_HOME`` lives."""
    return settings.home / FILE_NAME


def check_prefix(prefix: str) -> None:
    """Refuse a prefix no topic name could start with (Kafka allows letters, digits, '.', '_' and '-')."""
    if not _TOPIC_CHARS.fullmatch(prefix):
        raise UsageError(f"bad topic prefix {prefix!r}", fix="use only letters, digits, '.', '_' and '-'")


def load(settings: Settings) -> Context | None:
    """The context, or None when there is none; an unreadable file is a usage error naming the fix."""
    file = path(settings)
    try:
        data = json.loads(file.read_text())
        found = Context(str(data["topic_prefix"]), str(data.get("set_by", "")), str(data.get("set_at", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"context file {file} is unreadable ({type(exc).__name__})",
                         fix="remove it with `sigma context clear`, or set it again with `sigma context set`") from None
    check_prefix(found.topic_prefix)
    return found


def save(settings: Settings, topic_prefix: str, set_by: str) -> Context:
    """Write the context (``runtime.outputs``: through a temporary file and a rename, so a reader never sees
    half a file)."""
    check_prefix(topic_prefix)
    context = Context(topic_prefix, set_by, datetime.now(UTC).isoformat(timespec="seconds"))
    outputs.write_text(path(settings), json.dumps(asdict(context), indent=2) + "\n", "the context file")
    return context


def clear(settings: Settings) -> bool:
    """Remove the context file; whether there was one."""
    try:
        path(settings).unlink()
    except FileNotFoundError:
        return False
    return True


def apply(settings: Settings) -> Settings:
    """The settings with the context's prefix where neither a flag nor the environment gave one."""
    if "topic_prefix" in settings.model_fields_set:
        return settings
    found = load(settings)
    if found is None:
        return settings
    return settings.with_context_prefix(found.topic_prefix, path(settings))


def origin(settings: Settings) -> str:
    """Where the prefix in effect came from, for messages that name it."""
    if settings.prefix_from_context is not None:
        return f"from the context file {settings.prefix_from_context}"
    if "topic_prefix" in settings.model_fields_set:
        return "from SIGMA_TOPIC_PREFIX"
    return "the default"


def describe(settings: Settings) -> str:
    """The prefix in effect and its origin, e.g. "topic prefix 'demo-1.', from the context file …"."""
    shown = f"topic prefix {settings.topic_prefix!r}" if settings.topic_prefix else "no topic prefix"
    return f"{shown}, {origin(settings)}"
