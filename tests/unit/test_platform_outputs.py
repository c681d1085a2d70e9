"""Output files: checked before the work, written through a temporary file, renamed only onto regular files."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from runtime import outputs
from runtime.errors import SigmaError, UsageError


def _names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_a_regular_file_is_replaced_whole_keeping_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    outputs.check(target, "--report-json")
    outputs.write_text(target, "new\n", "--report-json")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _names(tmp_path) == ["report.json"], "no temporary file is left behind"


def test_missing_folders_are_created_when_writing_not_when_checking(tmp_path: Path) -> None:
    target = tmp_path / "out" / "deep" / "truth.jsonl"
    outputs.check(target, "--truth")
    assert _names(tmp_path) == [], "checking creates nothing"
    outputs.write_text(target, "x", "--truth")
    assert target.read_text() == "x"


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("keep me")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    for attempt in (lambda: outputs.check(link, "--report-json"),
                    lambda: outputs.write_text(link, "report", "--report-json")):
        with pytest.raises(UsageError, match=r"--report-json .*link\.json is a symbolic link: give the path of a "
                                             r"regular file"):
            attempt()
    assert link.is_symlink() and real.read_text() == "keep me"
    assert _names(tmp_path) == ["link.json", "real.txt"]


def test_a_fifo_stands_for_a_device_node_and_is_refused_without_blocking(tmp_path: Path) -> None:
    """As root, renaming onto /dev/… turned a device node into a regular file; a FIFO is a special file too."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match=r"is a FIFO \(named pipe\)"):
        outputs.check(fifo, "--truth")
    with pytest.raises(UsageError, match=r"is a FIFO"):
        outputs.write_text(fifo, "data", "--truth")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _names(tmp_path) == ["fifo"]
    with pytest.raises(UsageError, match=r"--report-json /dev/null is a character device"):
        outputs.check(Path("/dev/null"), "--report-json")  # checking only looks


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--out .* is a directory: give the path of a file in it"):
        outputs.check(tmp_path, "--out")


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(UsageError, match=r"afile is not a directory"):
        outputs.check(tmp_path / "afile" / "sub" / "r.json", "--report-html")
    with pytest.raises(UsageError, match=r"afile is not a directory"):
        outputs.check_folder(tmp_path / "afile", "--state-dir")


def test_a_folder_nobody_can_create_files_in_is_refused_up_front() -> None:
    """/proc refuses new files even to root, for whom permission bits would not."""
    with pytest.raises(UsageError, match=r"--report-json /proc/sigma\.json: cannot create files in /proc"):
        outputs.check(Path("/proc/sigma.json"), "--report-json")


def test_a_destination_that_became_a_link_after_the_check_is_still_refused(tmp_path: Path) -> None:
    target = tmp_path / "truth.jsonl"
    outputs.check(target, "--truth")
    temp = outputs.temporary(target, "--truth")
    temp.write_text("the truth")
    (tmp_path / "elsewhere").write_text("keep me")
    target.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UsageError, match="is a symbolic link"):
        outputs.install(temp, target, "--truth")
    assert (tmp_path / "elsewhere").read_text() == "keep me"
    assert _names(tmp_path) == ["elsewhere", "truth.jsonl"], "the temporary file is removed"


def test_a_write_that_fails_after_the_work_is_one_error_naming_the_path(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    temp = outputs.temporary(target, "--report-json")
    shutil.rmtree(tmp_path / "out")  # the folder went away while the run went on
    with pytest.raises(SigmaError) as caught:
        outputs.install(temp, target, "--report-json")
    assert str(caught.value) == (f"could not write --report-json {target} (No such file or directory): check free "
                                 f"space and permissions of {target.parent}; nothing was replaced")
    assert caught.value.exit_code == 1


def test_a_file_where_the_folder_was_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file now")
    with pytest.raises(SigmaError, match=r"could not write --truth .*out/truth\.jsonl \(Not a directory\)"):
        outputs.write_text(tmp_path / "out" / "truth.jsonl", "x", "--truth")
