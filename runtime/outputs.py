"""Files sigma writes for the user: reports, ground truth, summaries, recordings, documents, broker state.

Why one place: a destination that cannot be written must say so before a long run starts, not lose the
run to a traceback at its end, and writing must never damage what the path already names. So a
destination is checked up front (:func:`check`), the content goes to a new temporary file beside it (the
same folder, so the same file system and an atomic rename), and that file is renamed onto the path only
when the path is absent or a regular file (:func:`install`). Symbolic links, directories, FIFOs, devices
and sockets are refused: writing through them lands elsewhere or blocks, and renaming onto them would
turn a link or a device node into a regular file.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from runtime.errors import SigmaError, UsageError

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_TEMP_NAME_CHARS = 200
"""Characters of the destination's name kept in the temporary name (names are limited to 255 bytes)."""


def _label(what: str, path: Path) -> str:
    return f"{what} {path}" if what else str(path)


def _refusal(path: Path, what: str) -> UsageError | None:
    """Why ``path`` must not be replaced, or None when it is absent or a regular file."""
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None  # absent (an ancestor that is no directory is reported by the folder check)
    except OSError as exc:
        return UsageError(f"{_label(what, path)}: cannot inspect it ({exc.strerror})", fix="choose another path")
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return UsageError(f"{_label(what, path)} is a directory", fix="give the path of a file in it")
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return UsageError(f"{_label(what, path)} is {kind}",
                      fix="give the path of a regular file or a new one: sigma replaces only regular files")


def _folder(path: Path, what: str) -> Path:
    """The nearest existing folder on the way to ``path``; an error when an ancestor is not a directory."""
    for candidate in path.parents:
        if candidate.is_dir():
            return candidate
        if candidate.is_symlink() or candidate.exists():
            raise UsageError(f"{_label(what, path)}: {candidate} is not a directory",
                             fix="choose a path whose folders are directories")
    return Path(".")


def _create(folder: Path, name: str) -> Path:
    """A new, empty file in ``folder`` (never an existing one: O_EXCL), with the permissions of any new file."""
    while True:
        temp = folder / f".{name[:_TEMP_NAME_CHARS]}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
        except FileExistsError:
            continue
        return temp


def _writable(folder: Path, shown: Path, what: str) -> None:
    """Create and remove a file in ``folder``: the one test of writability that holds for root, read-only
    mounts and special file systems alike."""
    try:
        os.unlink(_create(folder, "sigma-write-check"))
    except OSError as exc:
        raise UsageError(f"{_label(what, shown)}: cannot create files in {folder} ({exc.strerror})",
                         fix="choose a writable folder") from None


def check(path: Path, what: str = "", *, replace: bool = True) -> None:
    """Refuse, before any work, a destination that cannot or must not be written (``UsageError``, exit 2).

    ``what`` names where the path came from (a flag such as ``--report-json``) in the message. Missing
    folders on the way are fine (they are created when writing) if the nearest existing one is writable.
    ``replace=False`` refuses an existing file too (a recording of hours is not overwritten by a typo).
    """
    refusal = _refusal(path, what)
    if refusal is not None:
        raise refusal
    if not replace and path.exists():
        raise UsageError(f"{_label(what, path)} exists", fix="add --force to replace it, or choose another path")
    _writable(_folder(path, what), path, what)


def check_folder(folder: Path, what: str = "") -> None:
    """Refuse, before any work, a folder that files cannot be written into (a missing one is created later)."""
    if folder.is_dir():
        _writable(folder, folder, what)
    elif folder.is_symlink() or folder.exists():
        raise UsageError(f"{_label(what, folder)} is not a directory", fix="give a folder")
    else:
        _writable(_folder(folder, what), folder, what)


def failure(path: Path, what: str, exc: OSError) -> SigmaError:
    """The one-line error when writing ``path`` failed after the work was done (exit 1)."""
    reason = exc.strerror or type(exc).__name__
    return SigmaError(f"could not write {_label(what, path)} ({reason})",
                      fix=f"check free space and permissions of {path.parent}; nothing was replaced")


def temporary(path: Path, what: str = "") -> Path:
    """A new empty file beside ``path`` (its folders created) to write the content into before :func:`install`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _create(path.parent, path.name)
    except FileExistsError:  # what mkdir says, despite exist_ok, when a file stands where a folder should
        raise failure(path, what, NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))) from None
    except OSError as exc:
        raise failure(path, what, exc) from None


def discard(temp: Path) -> None:
    """Remove an unfinished temporary file."""
    temp.unlink(missing_ok=True)


def _given_up(temp: Path, path: Path, what: str, exc: BaseException) -> BaseException:
    """Remove ``temp`` whatever stopped the writing (Ctrl-C too); what to raise: an OSError becomes the one-line
    failure, anything else stays itself."""
    discard(temp)
    return failure(path, what, exc) if isinstance(exc, OSError) else exc


def install(temp: Path, path: Path, what: str = "") -> None:
    """Put the finished ``temp`` in place of ``path``, durably, unless ``path`` has become something other than
    a regular file; ``temp`` is removed on any failure. An existing file's permission bits are kept."""
    refusal = _refusal(path, what)
    if refusal is not None:
        discard(temp)
        raise refusal
    try:
        fd = os.open(temp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if path.is_file():
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException as exc:
        raise _given_up(temp, path, what, exc) from None


def write_bytes(path: Path, data: bytes, what: str = "") -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (see the module docstring)."""
    temp = temporary(path, what)
    try:
        temp.write_bytes(data)
    except BaseException as exc:
        raise _given_up(temp, path, what, exc) from None
    install(temp, path, what)


def write_text(path: Path, text: str, what: str = "") -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file and a rename."""
    write_bytes(path, text.encode("utf-8"), what)
