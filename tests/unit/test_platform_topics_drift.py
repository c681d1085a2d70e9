"""Config drift of existing topics: reported, and a cluster that refuses to describe configs is said so."""

from __future__ import annotations

from typing import Any

from kafka.errors import TopicAuthorizationFailedError

from runtime.topics import _config_drift
from schemas.topics import TopicSpec


class Admin:
    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer

    def describe_configs(self, resources: list[Any], config_filter: str) -> dict[str, Any]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_only_planned_keys_that_differ_are_reported() -> None:
    spec = TopicSpec("t", 1, "d", {"retention.ms": "-1", "cleanup.policy": "delete"})
    admin = Admin({"topic": {"t": {"retention.ms": {"value": "604800000"}, "cleanup.policy": {"value": "delete"}}}})
    assert _config_drift(admin, [spec]) == {"t": ["retention.ms is 604800000, plan says -1"]}


def test_a_refused_describe_is_a_note_not_a_failure() -> None:
    spec = TopicSpec("t", 1, "d", {"retention.ms": "-1"})
    drift = _config_drift(Admin(TopicAuthorizationFailedError()), [spec])
    assert drift == {"t": ["configs not checked (TopicAuthorizationFailedError)"]}
