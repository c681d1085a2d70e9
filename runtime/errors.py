"""Expected failures, each carrying a one-line message that names the fix.

The CLI turns these into ``sigma: error: …`` on stderr and a distinct exit code, never a traceback.
Anything else that escapes is a bug and is allowed to show its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_FAILURE = 1
EXIT_USAGE = 2


class SigmaError(Exception):
    """An operational failure the user can fix (missing tool, unreachable cluster…)."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}" if self.fix else self.message


class UsageError(SigmaError):
    """Bad input from the user: a wrong flag value, an unreadable file, an unknown name."""

    exit_code = EXIT_USAGE


class MissingTopicError(SigmaError):
    """A topic a command reads does not exist; ``elsewhere`` lists other prefixes under which it does.

    The command line adds which topic prefix was in effect and where it came from (``where``), as the most
    likely cause is a prefix that differs from the one the topics were created under.
    """

    def __init__(self, topic: str, existing: Iterable[str], planned: Iterable[str]) -> None:
        self.topic = topic
        self.elsewhere = prefixes_holding(existing, planned, topic)
        self.where = ""
        super().__init__(f"topic {topic} does not exist", fix=self._fix())

    def _fix(self) -> str:
        create = "create it with `sigma topics apply` (same topic prefix)"
        if not self.elsewhere:
            return create
        shown = ", ".join(repr(p) for p in self.elsewhere[-3:])
        more = f" and {len(self.elsewhere) - 3} more" if len(self.elsewhere) > 3 else ""
        prefixes = "prefixes" if len(self.elsewhere) > 1 else "prefix"
        return (f"it exists under the {prefixes} {shown}{more}: choose one with `sigma context set --topic-prefix P` "
                f"or SIGMA_TOPIC_PREFIX, or {create}")

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.message}{where}: {self.fix}"


def prefixes_holding(existing: Iterable[str], planned: Iterable[str], name: str) -> list[str]:
    """The other prefixes under which the planned topic that ``name`` ends with exists among ``existing``,
    sorted (demo runs by time, as their prefixes carry it)."""
    base = max((p for p in planned if name.endswith(p)), key=len, default=None)
    if base is None:
        return []
    own = name[: -len(base)]
    return sorted({t[: -len(base)] for t in existing if t.endswith(base)} - {own})
