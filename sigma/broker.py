"""``sigma broker start|status|stop`` and ``sigma topics apply|list``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sigma.context import settings as get_settings

broker_app = typer.Typer(help="Run the embedded Apache Kafka broker (single KRaft node on 127.0.0.1).",
                         no_args_is_help=True)
topics_app = typer.Typer(help="Create and inspect the chain's topics.", no_args_is_help=True)

PortOpt = typer.Option(None, "--port", help="Client port of the broker (env SIGMA_BROKER_PORT, default 9092).")
DataDirOpt = typer.Option(None, "--data-dir", help="Broker data folder (default .sigma/broker-<port>).")


def _broker(ctx: typer.Context, port: int | None, data_dir: Path | None) -> object:
    from runtime.broker.distribution import libs_dir
    from runtime.broker.embedded import EmbeddedBroker
    from schemas.access import PRINCIPALS

    s = get_settings(ctx)
    p = port or s.broker_port
    return EmbeddedBroker(port=p, data_dir=data_dir or s.broker_data_dir(p), libs=libs_dir(s.kafka_dir.resolve()),
                          heap=s.broker_heap, secured=not s.insecure, principals=PRINCIPALS)


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
) -> None:
    """Resolve Kafka if needed, format storage on first use, start the broker and wait until it answers."""
    from runtime.broker.distribution import ensure_resolved
    from runtime.broker.embedded import EmbeddedBroker

    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir)
    assert isinstance(broker, EmbeddedBroker)
    before = broker.status()
    if before.running:
        typer.echo(f"already running: {before.bootstrap} (pid {before.pid}, data {before.data_dir})")
        return
    broker.prepare()
    s = get_settings(ctx)
    ensure_resolved(s.kafka_dir, s.kafka_pom)
    status = broker.start(timeout=timeout or get_settings(ctx).broker_start_timeout)
    mode = "SASL_SSL, `sigma credentials PRINCIPAL` for a client" if broker.secured else "plaintext, insecure"
    typer.echo(f"started: {status.bootstrap} ({mode}; pid {status.pid}, data {status.data_dir}, "
               f"log {broker.log_file})")


@broker_app.command()
def resolve(ctx: typer.Context) -> None:
    """Resolve Apache Kafka's jars from Maven Central into .kafka/libs (once; reused afterwards)."""
    from runtime.broker.distribution import ensure_resolved

    s = get_settings(ctx)
    typer.echo(f"Apache Kafka jars ready in {ensure_resolved(s.kafka_dir, s.kafka_pom)}")


@broker_app.command()
def status(ctx: typer.Context, port: int | None = PortOpt, data_dir: Path | None = DataDirOpt) -> None:
    """Say whether the broker runs and where. Exit 0 when running, 1 when not."""
    from runtime.broker.embedded import EmbeddedBroker

    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir)
    assert isinstance(broker, EmbeddedBroker)
    result = broker.status()
    typer.echo(result.describe())
    if not result.running:
        raise typer.Exit(1)


@broker_app.command()
def stop(ctx: typer.Context, port: int | None = PortOpt, data_dir: Path | None = DataDirOpt) -> None:
    """Stop the broker cleanly; its data and logs stay for the next start."""
    from runtime.broker.embedded import EmbeddedBroker

    if _external_note(ctx):
        return
    broker = _broker(ctx, port, data_dir)
    assert isinstance(broker, EmbeddedBroker)
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
        "with 'demo-'. Repeatable. Only the planned topic names are ever deleted."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed without a terminal)."),
    force: bool = typer.Option(False, "--force", help="Also delete the unprefixed chain topics (--prefix '')."),
) -> None:
    """Delete a run's topics (demo runs, sandboxes), after confirmation; the unprefixed ones only with --force."""
    import sys

    from runtime import context
    from runtime.errors import UsageError
    from runtime.topics import delete_topics, existing_topics, under_prefixes
    from schemas.topics import ALL_TOPICS

    s = get_settings(ctx)
    if "" in prefixes and not force:
        raise UsageError("--prefix '' names the unprefixed chain topics, the shared ones",
                         fix="add --force if you really mean to delete them")
    found = under_prefixes(existing_topics(s), [t.name for t in ALL_TOPICS], prefixes)
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
