"""An HTTP endpoint for operators: Prometheus metrics at ``/metrics``, liveness at ``/healthz``, readiness at
``/readyz``.

Why a server of our own around prometheus-client's exposition: its ``start_http_server`` answers every path
with the metrics, and health checks need answers of their own (200 or 503 with the reason). The server runs
in a daemon thread and only reads: the metrics are updated by the process's own thread, and a check is a
function that looks at a few numbers. It listens on 127.0.0.1 unless told otherwise, as the metrics name
topics and counts an outsider has no business seeing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, disable_created_metrics, generate_latest

from runtime.errors import UsageError

# a *_created series beside every counter doubles the page, and nothing here reads them
disable_created_metrics()  # type: ignore[no-untyped-call]

Check = Callable[[], tuple[bool, str]]
"""A health check: whether it holds, and a one-line reason either way."""


def _handler(registry: CollectorRegistry, checks: dict[str, Check]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in checks:
                ok, reason = checks[path]()
                self._answer(200 if ok else 503, f"{reason}\n".encode(), "text/plain; charset=utf-8")
            else:
                self._answer(404, b"not found: /metrics, " + ", ".join(checks).encode() + b"\n",
                             "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes every few seconds are not worth a log line each."""

    return Handler


class MetricsServer:
    """Serves ``registry`` and ``checks`` (paths such as ``/healthz``) on ``address:port`` until closed.

    Port 0 takes a free port (``port`` says which once started).
    """

    def __init__(self, registry: CollectorRegistry, checks: dict[str, Check], *, address: str = "127.0.0.1",
                 port: int = 9464) -> None:
        try:
            self._server = ThreadingHTTPServer((address, port), _handler(registry, checks))
        except OSError as exc:
            raise UsageError(f"cannot serve metrics on {address}:{port} ({exc.strerror or exc})",
                             fix="choose another --metrics-port or --metrics-address") from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sigma-metrics", daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on (the chosen one when started with port 0)."""
        return int(self._server.server_address[1])

    def __enter__(self) -> MetricsServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
