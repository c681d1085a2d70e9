"""The catalogue's files as they are in the working tree, at a git ref, or in another directory.

Why ``git cat-file --batch``: one process reads every file at the ref, instead of one ``git show`` per file
(a catalogue of 50 subjects × 20 versions × 2 formats is 2,000 files). Nothing here changes the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from compat.model import CompatInputError

FOLDERS = ("schemas/avro", "schemas/jsonschema")
FILE = re.compile(r"^schemas/(avro|jsonschema)/([A-Za-z0-9_.-]+)/v([0-9]+)\.(avsc|json)$")
"""A released version file: kind, subject, version, extension."""


def parts(path: str) -> tuple[str, str, int]:
    """(kind, subject, version) of a catalogue path; ValueError when it is not one."""
    match = FILE.match(path)
    if match is None:
        raise ValueError(f"not a catalogue file: {path}")
    return match.group(1), match.group(2), int(match.group(3))


def working_tree(root: Path) -> dict[str, str]:
    """Every released-version file under ``root`` (repo-relative posix path → text)."""
    files = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).glob("*/v*.*")):
            rel = path.relative_to(root).as_posix()
            if FILE.match(rel):
                files[rel] = path.read_text(encoding="utf-8")
    return files


def snapshot(root: Path, against: str) -> tuple[dict[str, str], str]:
    """The catalogue to compare with, and how to name it: a directory when ``against`` is one, else a git ref
    of the repository holding ``root``."""
    directory = Path(against)
    if directory.is_dir():
        return working_tree(directory), f"directory {against}"
    return at_ref(root, against)


def at_ref(root: Path, ref: str) -> tuple[dict[str, str], str]:
    """Every released-version file at git ``ref``; ``CompatInputError`` when there is no such ref."""
    top = _git(root, "rev-parse", "--show-toplevel", what=f"{root} is not in a git repository; pass a directory "
                                                               "to --against instead").strip()
    prefix = _git(root, "rev-parse", "--show-prefix", what="git rev-parse failed").strip()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}",
                  what=f"git ref {ref!r} not found in {top}: fetch it (e.g. git fetch origin main) "
                       "or name an existing branch, tag or commit").strip()
    listing = _git(Path(top), "ls-tree", "-r", "--name-only", commit, "--",
                   *(prefix + folder for folder in FOLDERS), what="git ls-tree failed")
    names = [n[len(prefix):] for n in listing.splitlines() if FILE.match(n[len(prefix):])]
    if not names:
        return {}, f"git ref {ref} ({commit[:12]})"
    request = "".join(f"{commit}:{prefix}{name}\n" for name in names).encode()
    proc = subprocess.run(["git", "-C", top, "cat-file", "--batch"], input=request, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise CompatInputError(f"git cat-file failed in {top}: {proc.stderr.decode(errors='replace').strip()}")
    files, data, position = {}, proc.stdout, 0
    for name in names:
        header_end = data.index(b"\n", position)
        size = int(data[position:header_end].split()[2])
        files[name] = data[header_end + 1: header_end + 1 + size].decode("utf-8")
        position = header_end + 1 + size + 1
    return files, f"git ref {ref} ({commit[:12]})"


def _git(root: Path, *args: str, what: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CompatInputError("git is not installed; pass a directory to --against instead") from None
    if proc.returncode != 0:
        raise CompatInputError(what)
    return proc.stdout
