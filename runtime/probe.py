"""Does a Kafka listener answer? One ApiVersions request, in plaintext or over TLS.

Why a raw request: it tells "nothing listens" apart from "the listener answers but refused us" (kafka-python
reports a refused SASL login only as a bootstrap timeout), and it checks an embedded broker's readiness
without logging in. A SASL listener answers ApiVersions before the login, so no credential is needed.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path


def answers(host: str, port: int, cafile: Path | None = None, *, tls: bool = False, timeout: float = 1.0) -> bool:
    """True when a Kafka broker at host:port answers ApiVersions (over TLS when ``tls`` or ``cafile``)."""
    # ApiVersions v0: size, api_key=18, api_version=0, correlation_id=1, client_id="sigma"
    body = (18).to_bytes(2, "big") + (0).to_bytes(2, "big") + (1).to_bytes(4, "big")
    body += len(b"sigma").to_bytes(2, "big") + b"sigma"
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock = raw
            if tls or cafile is not None:
                context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
                sock = context.wrap_socket(raw, server_hostname=host)
            sock.sendall(len(body).to_bytes(4, "big") + body)
            head = sock.recv(10)
    except OSError:
        return False
    return len(head) >= 10 and int.from_bytes(head[4:8], "big") == 1 and head[8:10] == b"\x00\x00"
