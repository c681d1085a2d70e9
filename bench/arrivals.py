"""The receiving half of the latency benchmarks: notes when each record arrives on one topic.

Why its own process: the load generator used to poll for arrivals between its sends, with timeouts of about
a millisecond. That took most of a core on a two-core machine shared with the broker and the process under
test, and kafka-python's polling left ~100,000 objects a second in reference cycles, whose collections
(30-100 ms) held the sending process's GIL — sends timed as sent waited in the producer's buffer and counted
as the validator's latency. Here a plain consumer waits in ``poll`` with a long timeout (it wakes when data
arrives) and its cyclic collector is off while the clock runs.

Arrival times are ``time.perf_counter()``, which on Linux is ``CLOCK_MONOTONIC``: one clock for every
process on the machine, so they compare with the sender's send times.

``python -m bench.arrivals --bootstrap B --topic T --out FILE``: prints ``ready`` once positioned at the
end of the topic; on SIGTERM writes a pickle of ``[(arrival, key, value), …]`` to FILE and exits.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from consumers.bounded import partitions_of
from runtime import clients
from runtime.settings import load_settings

Arrival = tuple[float, bytes | None, bytes | None]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    consumer = clients.consumer(load_settings(bootstrap_servers=args.bootstrap))
    parts = partitions_of(consumer, args.topic)
    consumer.assign(parts)
    consumer.seek_to_end(*parts)
    for tp in parts:
        consumer.position(tp)  # resolve "end" now, before the clock starts
    running = True

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    arrivals: list[Arrival] = []
    gc.collect()
    gc.freeze()
    gc.disable()
    print("ready", flush=True)
    try:
        while running:
            for batch in consumer.poll(timeout_ms=100).values():
                at = time.perf_counter()
                arrivals.extend((at, m.key, m.value) for m in batch)
    finally:
        gc.enable()
        consumer.close(autocommit=False)
    args.out.write_bytes(pickle.dumps(arrivals))


if __name__ == "__main__":
    main(sys.argv[1:])
