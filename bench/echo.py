"""The latency floor: a bare kafka-python process that answers every chain record at once.

Run as its own process, like the validator, with the same client settings. It consumes every chain topic
from the end and, per record, produces the record's CloudEvents id to ``<prefix>bench.echo``. Produce ->
echo is what any consumer that answers a record pays on this machine and broker: two hops through the
broker and the scheduling of three busy processes. The validator's produce -> finding latency is shown
next to it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from consumers.bounded import chain_partitions
from runtime import clients
from runtime.settings import load_settings

ECHO_TOPIC = "bench.echo"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args(argv)
    settings = load_settings(bootstrap_servers=args.bootstrap, topic_prefix=args.prefix)
    consumer = clients.consumer(settings)
    producer = clients.producer(settings)
    parts = chain_partitions(consumer, args.prefix)
    consumer.assign(parts)
    consumer.seek_to_end(*parts)
    for tp in parts:
        consumer.position(tp)  # resolve "end" now, before the load starts
    print("ready", flush=True)
    running = True

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    while running:
        for records in consumer.poll(timeout_ms=200, max_records=5000).values():
            for msg in records:
                event_id = next((v for k, v in msg.headers if k == "ce_id"), b"")
                producer.send(args.prefix + ECHO_TOPIC, key=msg.key, value=event_id)
    producer.close()
    consumer.close()


if __name__ == "__main__":
    main(sys.argv[1:])
