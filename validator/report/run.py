"""What the report page says about the run: when, from which topics or recording, which sigma, what data.

Why apart from the report data (``model.build_report``): the JSON report holds nothing that varies between
runs over the same records, so online, offline and resumed runs compare byte for byte. The run's metadata
varies by design, so only the HTML pages show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from runtime import __version__
from schemas import topics


@dataclass(frozen=True)
class RunInfo:
    """One validation run as the report describes it."""

    topics: tuple[str, ...] = ()
    """The chain topics read (online); empty for a recording."""
    recording: str | None = None
    """The recording validated (offline)."""
    group: str | None = None
    """The consumer group (online)."""
    simulated: bool = False
    """The operator said the records come from ``sigma simulate`` (``--simulated``)."""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: str = __version__


def online(prefix: str, group: str, *, simulated: bool) -> RunInfo:
    """A run over the chain topics under ``prefix``."""
    return RunInfo(topics=tuple(prefix + spec.name for spec in topics.CHAIN_TOPICS), group=group,
                   simulated=simulated)


def offline(recording: Path, *, simulated: bool) -> RunInfo:
    """A run over a recording (no broker)."""
    return RunInfo(recording=str(recording), simulated=simulated)
