"""``sigma broker start|status|stop`` and ``sigma topics apply|list``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from sigma.context import settings as get_settings

if TYPE_CHECKING:
    from runtime.broker.cluster import EmbeddedCluster
    from runtime.broker.embedded import EmbeddedBroker

broker_app = typer.Typer(help="Run the embedded Apache Kafka broker on 127.0.0.1 (one KRaft node, or a cluster of "
                         "several with --nodes).", no_args_is_help=True)
topics_app = typer.Typer(help="Create and inspect the chain's topics.", no_args_is_help=True)

PortOpt = typer.Option(None, "--port", help="Client port of the broker (env SIGMA_BROKER_PORT, default 9092).")
DataDirOpt = typer.Option(None, "--data-dir", help="Broker data folder (default .sigma/broker-<port>).")


def _broker(ctx: typer.Context, port: int | None, data_dir: Path | None,
            nodes: int | None = None) -> EmbeddedBroker | EmbeddedCluster:
    """The cluster when ``--nodes`` asks for more than one or the data folder holds one, else the single broker."""
    from runtime.broker.cluster import STATE_FILE, EmbeddedCluster
    from runtime.broker.distribution import libs_dir
    from runtime.broker.embedded import EmbeddedBroker
    from schemas.access import PRINCIPALS

    s = get_settings(ctx)
    p = port or s.broker_port
    folder = data_dir or s.broker_data_dir(p)
    libs = libs_dir(s.kafka_dir.resolve())
    if (nodes or 1) > 1 or (folder / STATE_FILE).is_file():
        return EmbeddedCluster(port=p, nodes=nodes, data_dir=folder, libs=libs, heap=s.broker_heap,
                               secured=not s.insecure, principals=PRINCIPALS)
    return EmbeddedBroker(port=p, data_dir=folder, libs=libs, heap=s.broker_heap, secured=not s.insecure,
                          principals=PRINCIPALS)


def _external_note(ctx: typer.Context) -> bool:
    s = get_settings(ctx)
    if s.external:
        typer.echo(f"using the existing cluster {s.bootstrap} (SIGMA_BOOTSTRAP_SERVERS): nothing to manage")
    return s.external


@broker_app.command()
def start(
    ctx: typer.Context,
    port: int | None = PortOpt,
    data_dir: Path | None = DataDirOpt,
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds to wait for the broker to answer."),
    nodes: int | None = typer.Option(
        None, "--nodes", min=1, help="Form a KRaft cluster of this many nodes on consecutive client ports from "
        "--port (first start only; later starts, status and stop find the nodes in the data folder)."),
) -> None:
    """Resolve Kafka if needed, format storage on first use, start the broker and wait until it answers."""
    from runtime.broker.cluster import EmbeddedCluster
    from runtime.broker.distribution import ensure_resolved

    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir, nodes)
    s = get_settings(ctx)
    if isinstance(broker, EmbeddedCluster):
        _start_cluster(broker, timeout or s.broker_start_timeout, lambda: ensure_resolved(s.kafka_dir, s.kafka_pom))
        return
    before = broker.status()
    if before.running:
        typer.echo(f"already running: {before.bootstrap} (pid {before.pid}, data {before.data_dir})")
        return
    broker.prepare()
    ensure_resolved(s.kafka_dir, s.kafka_pom)
    status = broker.start(timeout=timeout or s.broker_start_timeout)
    typer.echo(f"started: {status.bootstrap} ({_mode(broker.secured)}; pid {status.pid}, data {status.data_dir}, "
               f"log {broker.log_file})")


def _mode(secured: bool) -> str:
    return "SASL_SSL, `sigma credentials PRINCIPAL` for a client" if secured else "plaintext, insecure"


def _start_cluster(cluster: EmbeddedCluster, timeout: float, resolve: Callable[[], object]) -> None:
    """Start (forming on first use) every node that does not run, after the checks and ``resolve`` (the jars)."""
    from runtime.topics import replication

    before = cluster.status()
    if before.running:
        typer.echo(f"already {before.describe()}")  # "already running: 3 of 3 nodes …"
        return
    state = cluster.prepare()
    resolve()
    status = cluster.start(timeout=timeout)
    copies = replication(len(state.nodes))
    isr = f", min.insync.replicas={copies.min_insync}" if copies.min_insync else ""
    typer.echo(f"started: {len(state.nodes)}-node cluster {state.bootstrap} ({_mode(cluster.secured)}; new topics "
               f"get replication factor {copies.factor}{isr})")
    for node, node_status in status.nodes:
        typer.echo(f"  node {node}: {node_status.bootstrap} (pid {node_status.pid}, data {node_status.data_dir})")


@broker_app.command()
def resolve(ctx: typer.Context) -> None:
    """Resolve Apache Kafka's jars from Maven Central into .kafka/libs (once; reused afterwards)."""
    from runtime.broker.distribution import ensure_resolved

    s = get_settings(ctx)
    typer.echo(f"Apache Kafka jars ready in {ensure_resolved(s.kafka_dir, s.kafka_pom)}")


@broker_app.command()
def status(ctx: typer.Context, port: int | None = PortOpt, data_dir: Path | None = DataDirOpt) -> None:
    """Say whether the broker (every node of a cluster) runs and where. Exit 0 when it runs, 1 when not (for a
    cluster: when any node does not)."""
    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir)
    result = broker.status()
    typer.echo(result.describe())
    if not result.running:
        raise typer.Exit(1)


@broker_app.command()
def stop(ctx: typer.Context, port: int | None = PortOpt, data_dir: Path | None = DataDirOpt) -> None:
    """Stop the broker (every node of a cluster) cleanly; its data and logs stay for the next start."""
    from runtime.broker.cluster import EmbeddedCluster

    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir)
    if isinstance(broker, EmbeddedCluster):
        stopped = broker.stop()
        typer.echo(f"stopped: {stopped} nodes (data kept in {broker.data_dir})" if stopped
                   else f"not running: the cluster in {broker.data_dir}")
        return
    if broker.stop():
        typer.echo(f"stopped: {broker.bootstrap} (data kept in {broker.data_dir})")
    else:
        typer.echo(f"not running: {broker.bootstrap}")


@topics_app.command("apply")
def topics_apply(ctx: typer.Context) -> None:
    """Create the chain's topics with their partition counts and configs (idempotent)."""
    from runtime.topics import apply_topics
    from schemas.topics import ALL_TOPICS

    s = get_settings(ctx)
    results = apply_topics(s, [t.prefixed(s.topic_prefix) for t in ALL_TOPICS])
    for r in results:
        note = f" ({r.note})" if r.note else ""
        typer.echo(f"{r.action:8} {r.name} [{r.partitions} partitions]{note}")


@topics_app.command("list")
def topics_list(ctx: typer.Context) -> None:
    """Show the planned chain topics and what each carries."""
    from schemas.topics import ALL_TOPICS

    prefix = get_settings(ctx).topic_prefix
    table = Table("topic", "partitions", "config", "carries")
    for t in ALL_TOPICS:
        table.add_row(prefix + t.name, str(t.partitions), ", ".join(f"{k}={v}" for k, v in t.config.items()),
                      t.description)
    Console().print(table)


@topics_app.command("delete")
def topics_delete(
    ctx: typer.Context,
    prefixes: list[str] = typer.Option(
        ..., "--prefix", help="Delete the chain's topics under this prefix; 'demo-*' matches every prefix starting "
        "with 'demo-'. Repeatable. Only the planned topic names (and validator changelogs) are ever deleted."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed without a terminal)."),
    force: bool = typer.Option(False, "--force", help="Also delete the unprefixed chain topics (--prefix '')."),
) -> None:
    """Delete a run's topics (demo runs, sandboxes), after confirmation; the unprefixed ones only with --force."""
    import sys

    from runtime import context
    from runtime.errors import UsageError
    from runtime.topics import delete_topics, existing_topics, under_prefixes
    from schemas.topics import ALL_TOPICS, CHANGELOGS

    s = get_settings(ctx)
    if "" in prefixes and not force:
        raise UsageError("--prefix '' names the unprefixed chain topics, the shared ones",
                         fix="add --force if you really mean to delete them")
    found = under_prefixes(existing_topics(s), [t.name for t in ALL_TOPICS], prefixes, [CHANGELOGS])
    if "" in found and not force:  # matched by a pattern such as '*'
        typer.echo(f"leaving the {len(found.pop(''))} unprefixed chain topics alone (--force deletes them)")
    if not found:
        typer.echo(f"no chain topics under {', '.join(repr(p) for p in prefixes)}")
        return
    names = [name for topics in found.values() for name in topics]
    for prefix, topics in found.items():
        typer.echo(f"{len(topics):>3} topics under {prefix!r}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not deleting {len(names)} topics without confirmation", fix="add --yes")
        typer.confirm(f"delete these {len(names)} topics and every record in them?", abort=True)
    delete_topics(s, names)
    typer.echo(f"deleted {len(names)} topics")
    stored = context.load(s)
    if stored is not None and stored.topic_prefix in found:
        context.clear(s)
        typer.echo(f"the context's topic prefix {stored.topic_prefix!r} was among them: context cleared")
