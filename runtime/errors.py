"""Expected failures, each carrying a one-line message that names the fix.

The CLI turns these into ``sigma: error: …`` on stderr and a distinct exit code, never a traceback.
Anything else that escapes is a bug and is allowed to show its traceback.
"""

from __future__ import annotations

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
