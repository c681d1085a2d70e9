"""Render the catalogue files from the models, write the missing ones, and refuse to change a released one.

Why refuse: a released schema version is a promise to every reader and every recording; changing it in
place would make old bytes decode differently. A change to a model therefore needs a new ``version``,
which renders to a new file next to the old ones. ``check`` is what CI and a unit test run.

The models are the chain's events and the validator's finding; beside their versions, the report's JSON
Schema (one file, rewritten whenever the report's model changes, see ``schemas.report``) is rendered too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import derive, layout, report
from schemas.errors import ImmutableVersionError
from schemas.events import EVENT_TYPES
from schemas.events.base import Versioned
from schemas.findings import ValidationFinding

MODELS: tuple[type[Versioned], ...] = (*EVENT_TYPES, ValidationFinding)
"""Every model whose schema is released in versions."""


def dumps(document: Any, *, sort_keys: bool) -> str:
    """Deterministic JSON text: two-space indent, UTF-8 as is, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n"


def render_model(model: type[Versioned]) -> dict[str, str]:
    """The two files of a model's current version, by repo-relative posix path.

    Avro keys keep their written order (type, name, doc, fields: readable, and field order matters);
    the JSON Schema is key-sorted since pydantic's key order is not meaningful.
    """
    return {
        layout.avro_path(model.subject, model.version): dumps(derive.avro_schema(model), sort_keys=False),
        layout.json_path(model.subject, model.version): dumps(derive.json_schema(model), sort_keys=True),
    }


def render_documents() -> dict[str, str]:
    """The unversioned schema files (the report's), by repo-relative posix path."""
    return {layout.REPORT_SCHEMA: dumps(report.json_schema(), sort_keys=True)}


def render_all(models: Iterable[type[Versioned]] = MODELS) -> dict[str, str]:
    """Every file the current models generate, by repo-relative posix path, in path order."""
    rendered = render_documents()
    for model in models:
        rendered.update(render_model(model))
    return dict(sorted(rendered.items()))


@dataclass(frozen=True)
class Problem:
    """A generated file that is missing on disk or differs from what the models generate."""

    path: str
    kind: str
    """``missing`` or ``stale``."""


def check(root: Path = layout.REPO_ROOT, models: Iterable[type[Versioned]] = MODELS) -> list[Problem]:
    """Compare the rendered files with the files under ``root``; empty when everything is up to date."""
    problems = []
    for path, text in render_all(models).items():
        target = root / path
        if not target.exists():
            problems.append(Problem(path, "missing"))
        elif target.read_text(encoding="utf-8") != text:
            problems.append(Problem(path, "stale"))
    return problems


def _save(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def write(root: Path = layout.REPO_ROOT, models: Iterable[type[Versioned]] = MODELS,
          save: Callable[[Path, str], None] = _save) -> list[str]:
    """Write the missing files (and the stale unversioned ones) under ``root`` with ``save`` (the CLI's writes
    through a temporary file and refuses links and devices) and return their paths.

    Raises ``ImmutableVersionError`` (before writing anything) when a released version's file would change.
    """
    models = tuple(models)
    problems = check(root, models)
    documents = render_documents()
    for problem in problems:
        if problem.kind == "stale" and problem.path not in documents:
            model = next(m for m in models if problem.path in render_model(m))
            raise ImmutableVersionError(model.subject, model.version, problem.path)
    rendered = render_all(models)
    for problem in problems:
        save(root / problem.path, rendered[problem.path])
    return [problem.path for problem in problems]
