"""structlog, configured once at the entry point, for sigma's own events and the standard library's alike.

JSON lines when stderr is not a terminal (CI, pipes, log shippers), a readable console renderer on a
terminal. Log events carry case keys and counts, never V-numbers, names or medical text: the
``redact_personal_data`` processor is a last line of defence that drops known personal fields.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

PERSONAL_FIELDS = frozenset(
    {"v_number", "vnumber", "name", "full_name", "given_name", "family_name", "details", "diagnosis",
     "medical_details", "distinguishing_marks", "notes"}
)


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace values of fields that may hold personal data, whatever the caller passed."""
    for key in PERSONAL_FIELDS.intersection(event_dict):
        event_dict[key] = "[redacted]"
    return event_dict


HANDLER_NAME = "sigma"
"""Names this module's handler on the root logger, so that configuring again (tests, other streams) replaces it
and leaves other handlers alone."""


def configure(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog for this process; call once, from the CLI entry point.

    The standard library's log records (kafka-python's) are rendered by the same processors, so every line
    on stderr has the chosen format: a JSON reader of sigma's logs never meets a plain-text line.
    """
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    shared: list[Any] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_personal_data,
    ]
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    ))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    # kafka-python logs through the standard library; keep it quiet unless debugging, and never below INFO:
    # its DEBUG lines print whole fetch responses, record bytes included (V-numbers, marks, medical text).
    root.setLevel(logging.DEBUG if level == "debug" else logging.ERROR)
    logging.getLogger("kafka").setLevel(logging.INFO if level == "debug" else logging.CRITICAL)
