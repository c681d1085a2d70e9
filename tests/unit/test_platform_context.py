"""The context file (the topic prefix carried over from one command to the next) and the topic-prefix
messages, without a broker: `sigma topics list` shows the prefix in effect."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.errors import MissingTopicError
from runtime.topics import under_prefixes
from schemas.topics import ALL_TOPICS
from tests.clirunner import sigma

CASE = "chain.dtv.case"
"""A planned topic, for the prefix `sigma topics list` shows."""

PLANNED = [t.name for t in ALL_TOPICS]


def _listed_prefix(home: Path, env: dict[str, str] | None = None) -> str:
    """The prefix `sigma topics list` puts before chain.dtv.case (it reads the settings, no broker)."""
    drop = () if env and "SIGMA_TOPIC_PREFIX" in env else ("SIGMA_TOPIC_PREFIX",)
    result = sigma("topics", "list", env={"SIGMA_HOME": str(home), "COLUMNS": "300", **(env or {})}, drop=drop)
    assert result.returncode == 0, result.stderr
    names = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    return next(name for name in names if name.endswith(CASE)).removesuffix(CASE)


def test_the_context_prefix_is_used_unless_the_environment_gives_one(tmp_path: Path) -> None:
    home = {"SIGMA_HOME": str(tmp_path)}
    assert _listed_prefix(tmp_path) == ""
    result = sigma("context", "set", "--topic-prefix", "demo-1.", "--set-by", "make demo", env=home)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "context.json").read_text())["topic_prefix"] == "demo-1."
    assert _listed_prefix(tmp_path) == "demo-1."
    assert _listed_prefix(tmp_path, {"SIGMA_TOPIC_PREFIX": "env-2."}) == "env-2."
    assert _listed_prefix(tmp_path, {"SIGMA_TOPIC_PREFIX": ""}) == ""  # an empty variable is still given

    shown = sigma("context", env=home, drop=("SIGMA_TOPIC_PREFIX",))
    assert "topic prefix 'demo-1.', set by make demo" in shown.stdout
    assert f"in effect: topic prefix 'demo-1.', from the context file {tmp_path / 'context.json'}" in shown.stdout
    overridden = sigma("context", env={**home, "SIGMA_TOPIC_PREFIX": "env-2."})
    assert "in effect: topic prefix 'env-2.', from SIGMA_TOPIC_PREFIX" in overridden.stdout

    assert sigma("context", "clear", env=home).stdout.strip() == "context cleared"
    assert not (tmp_path / "context.json").exists()
    assert _listed_prefix(tmp_path) == ""
    assert sigma("context", "clear", env=home).stdout.strip() == "no context to clear"


def test_a_bad_prefix_or_context_file_is_one_line_with_the_fix(tmp_path: Path) -> None:
    home = {"SIGMA_HOME": str(tmp_path)}
    bad = sigma("context", "set", "--topic-prefix", "a b/", env=home)
    assert bad.returncode == 2 and bad.stderr == "sigma: error: bad topic prefix 'a b/': use only letters, " \
        "digits, '.', '_' and '-'\n"
    assert not (tmp_path / "context.json").exists()
    (tmp_path / "context.json").write_text("{not json")
    broken = sigma("topics", "list", env=home, drop=("SIGMA_TOPIC_PREFIX",))
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1, broken.stderr
    assert broken.stderr.startswith(f"sigma: error: context file {tmp_path / 'context.json'} is unreadable")
    assert "`sigma context clear`" in broken.stderr
    assert sigma("context", "clear", env=home).returncode == 0


def test_a_missing_topic_names_the_prefixes_that_have_it() -> None:
    existing = ["demo-1.chain.dtv.case", "demo-2.chain.dtv.case", "chain.dtv.case", "other.topic",
                "demo-2.chain.ind.case.handover"]
    error = MissingTopicError("demo-3.chain.dtv.case", existing, PLANNED)
    assert error.elsewhere == ["", "demo-1.", "demo-2."]
    assert str(error).startswith("topic demo-3.chain.dtv.case does not exist: it exists under the prefixes '', "
                                 "'demo-1.', 'demo-2.': choose one with `sigma context set --topic-prefix P`")
    error.where = "topic prefix 'demo-3.', from SIGMA_TOPIC_PREFIX"
    assert str(error).startswith("topic demo-3.chain.dtv.case does not exist (topic prefix 'demo-3.', from "
                                 "SIGMA_TOPIC_PREFIX): it exists under")
    many = MissingTopicError("x.chain.dlq", [f"r{i}.chain.dlq" for i in range(5)], PLANNED)
    assert "'r2.', 'r3.', 'r4.' and 2 more" in str(many)
    alone = MissingTopicError("x.chain.dlq", ["other.topic"], PLANNED)
    assert str(alone) == "topic x.chain.dlq does not exist: create it with `sigma topics apply` (same topic prefix)"


def test_prefix_patterns_select_only_planned_topics() -> None:
    existing = ["demo-1.chain.dtv.case", "demo-1.chain.dlq", "demo-1.orders", "demo-10.chain.dtv.case",
                "chain.dtv.case", "demo-2.chain.dtv.flight", "sandbox.chain.dtv.case"]
    assert under_prefixes(existing, PLANNED, ["demo-1."]) == {"demo-1.": ["demo-1.chain.dlq", "demo-1.chain.dtv.case"]}
    assert under_prefixes(existing, PLANNED, ["demo-*"]) == {
        "demo-1.": ["demo-1.chain.dlq", "demo-1.chain.dtv.case"], "demo-10.": ["demo-10.chain.dtv.case"],
        "demo-2.": ["demo-2.chain.dtv.flight"]}
    assert under_prefixes(existing, PLANNED, [""]) == {"": ["chain.dtv.case"]}
    assert under_prefixes(existing, PLANNED, ["nothing."]) == {}


def test_a_validator_groups_changelog_goes_with_its_prefix_whatever_the_group_is_called() -> None:
    existing = ["demo-1.chain.dtv.case", "demo-1.chain.validation.changelog.g.chain.dlq", "demo-2.chain.dtv.case",
                "other.chain.validation.changelogs"]
    assert under_prefixes(existing, PLANNED, ["demo-1."], ["chain.validation.changelog."]) == {
        "demo-1.": ["demo-1.chain.dtv.case", "demo-1.chain.validation.changelog.g.chain.dlq"]}


def test_deleting_the_unprefixed_topics_needs_force(tmp_path: Path) -> None:
    result = sigma("topics", "delete", "--prefix", "", "--yes", env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode == 2 and result.stderr == "sigma: error: --prefix '' names the unprefixed chain " \
        "topics, the shared ones: add --force if you really mean to delete them\n"
