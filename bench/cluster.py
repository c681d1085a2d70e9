"""A Kafka cluster for benchmarks: ``SIGMA_BOOTSTRAP_SERVERS`` when set, else a broker started here."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime.broker.distribution import ensure_resolved
from runtime.broker.embedded import EmbeddedBroker, free_port
from runtime.settings import Settings


@contextmanager
def bench_cluster() -> Iterator[str]:
    """Yield bootstrap servers; a broker started here is always stopped afterwards."""
    external = os.environ.get("SIGMA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    settings = Settings()
    libs = ensure_resolved(settings.kafka_dir, settings.kafka_pom)
    with tempfile.TemporaryDirectory(prefix="sigma-bench-") as tmp:
        # plaintext: the benches reach it as an existing cluster (SIGMA_BOOTSTRAP_SERVERS, no credentials), and
        # they measure the exchange, not TLS
        broker = EmbeddedBroker(port=free_port(), data_dir=Path(tmp), libs=libs, heap="1g", secured=False)
        try:
            broker.start(timeout=180)
            yield broker.bootstrap
        finally:
            broker.stop()
