"""``sigma schemas check``: the catalogue in the working tree against a git ref (or a directory).

Fails when a released version file was edited or deleted, when a model changed without its version being
generated, when a new version's Avro defaults are unusable, and when a new version breaks its subject's
level against the previous version (or every earlier one, for the transitive levels). Every violation is
collected; nothing stops at the first.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from compat import baseline as baselines
from compat import drafts
from compat.compare import defaults, located, pair
from compat.gitref import parts, snapshot, working_tree
from compat.levels import directions, load_config, transitive
from compat.load import Schema, parse
from compat.model import Result, Violation
from compat.rules import RULES

CONFIG = "schemas/compat.toml"
BASELINE = "schemas/compat-baseline.toml"


def check(root: Path, against: str, *, baseline: Path | None = None, config: Path | None = None,
          today: date | None = None, rendered: Callable[[], Mapping[str, str]] | None = None,
          draft: str = drafts.DEFAULT) -> Result:
    """Every violation of the catalogue under ``root`` against ``against`` (git ref or directory).

    ``rendered`` returns what the current models generate (repo-relative path → text), normally
    ``schemas.generate.render_all``; ``None`` skips the model check (a catalogue without models).
    ``draft``: the JSON Schema draft of schemas without ``$schema``.
    """
    with _long_lived_heap() as settle:
        return _check(root, against, baseline, config, today, rendered, draft, settle)


@contextmanager
def _long_lived_heap() -> Iterator[Callable[[], None]]:
    """Keeps CPython's cyclic collector off what a check has built and keeps: ``settle``, called between
    subjects, collects the young generations and freezes what survives, so no full collection walks it again.
    Afterwards everything frozen here goes back to the oldest generation (and the next full collection).

    Why: a check builds a large heap that lives until it ends (parsed schemas, memoised judgements,
    results), and each full collection walked all of it again: measured on the 50 × 20 whole-history check,
    two or three full collections cost 0.10-0.27 s CPU of about 1.4 s, and how many happen turns on
    thresholds that any change to the heap's size shifts. Young collections run as usual, because
    counter-example searches do make cycles (the ``jsonschema`` validator's errors: 2.5 million objects in
    the FULL_TRANSITIVE benchmark). Left alone when the process froze objects of its own (``unfreeze`` would
    hand them back too) or turned the collector off.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield lambda: None
        return

    def settle() -> None:
        gc.collect(1)  # garbage is never frozen
        gc.freeze()

    try:
        yield settle
    finally:
        gc.unfreeze()


def _check(root: Path, against: str, baseline: Path | None, config: Path | None, today: date | None,
           rendered: Callable[[], Mapping[str, str]] | None, draft: str, settle: Callable[[], None]) -> Result:
    before, source = snapshot(root, against)
    after = working_tree(root)
    levels = load_config(config or root / CONFIG)
    found: list[Violation] = []
    checks: list[str] = ["released versions unchanged"]
    found += _released(before, after)
    versions: dict[tuple[str, str], list[int]] = {}
    for kind, subject, version in map(parts, after):
        versions.setdefault((kind, subject), []).append(version)
    schemas: dict[str, Schema] = {}

    def load(rel: str) -> Schema:
        if rel not in schemas:
            schemas[rel] = parse(after[rel], rel, draft=draft)
        return schemas[rel]

    settled = ("", "")
    for rel in sorted(after, key=parts):
        if rel in before:
            continue
        kind, subject, version = parts(rel)
        if (kind, subject) != settled:
            settle()
            settled = (kind, subject)
        new = load(rel)
        label = f"{subject} {kind} v{version} defaults"
        checks.append(label)
        found += [located(v.at(subject=subject, check=label), new) for v in defaults(new)]
        level = levels.level(subject)
        if not directions(level):
            continue
        earlier = sorted(v for v in versions[(kind, subject)] if v < version)
        for old_version in earlier if transitive(level) else earlier[-1:]:
            old = load(rel.replace(f"/v{version}.", f"/v{old_version}."))
            label = f"{subject} {kind} v{old_version}→v{version} {level}"
            checks.append(label)
            found += [located(v.at(subject=subject, check=label), new) for v in pair(old, new, level)]
    notes = [f"compared with {source}"]
    if rendered is not None:
        checks.append("models generated")
        found += _generated(root, rendered())
    else:
        notes.append("model check skipped (no models for this catalogue)")
    entries = baselines.load(baseline) if baseline else []
    marked, unused = baselines.apply(found, entries, today or date.today())
    return Result(tuple(marked), tuple(checks), tuple(notes + unused))


def _released(before: dict[str, str], after: dict[str, str]) -> list[Violation]:
    found = []
    for rel, text in sorted(before.items()):
        kind, subject, version = parts(rel)
        if rel not in after:
            rule = "CATALOGUE-VERSION-DELETED"
            found.append(Violation(rule, "$", f"released version v{version} of {subject} ({kind}) was deleted: "
                                   f"{RULES[rule].breaks} break", subject=subject, file=rel, fix=RULES[rule].fix,
                                   check="released versions unchanged"))
        elif after[rel] != text:
            rule = "CATALOGUE-RELEASED-EDITED"
            found.append(Violation(rule, "$", f"released version v{version} of {subject} ({kind}) was edited: "
                                   f"{RULES[rule].breaks} would decode differently", subject=subject, file=rel,
                                   line=_first_difference(text, after[rel]), fix=RULES[rule].fix,
                                   check="released versions unchanged"))
    return found


def _generated(root: Path, rendered: Mapping[str, str]) -> list[Violation]:
    """Files the current models generate that are missing or different on disk."""
    rule = "CATALOGUE-MODEL-NOT-GENERATED"
    found = []
    for rel, text in sorted(rendered.items()):
        target = root / rel
        state = "missing" if not target.is_file() else (
            "stale" if target.read_text(encoding="utf-8") != text else "")
        if not state:
            continue
        try:
            _, subject, _ = parts(rel)
        except ValueError:
            subject = ""
        line = 1 if state == "missing" else _first_difference(text, target.read_text(encoding="utf-8"))
        found.append(Violation(rule, "$", f"{rel} is {state}: the model changed without a new version being "
                               "generated, so the catalogue no longer describes what producers send",
                               subject=subject, file=rel, line=line, fix=RULES[rule].fix, check="models generated"))
    return found


def _first_difference(old: str, new: str) -> int:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1
