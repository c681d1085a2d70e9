"""The report as a static site: the index page where ``--report-html`` says, a page per defective case in a
folder beside it named after it (``out/demo-report.html`` and ``out/demo-report/``).

Why a folder of plain files: the report must open with no server, offline, from file:// or a file share,
and be copied as a whole. Each page carries its own style and script; links between them are relative.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.events.base import CASE_KEY_PATTERN
from validator.dossier import Dossier
from validator.report import case_page, html
from validator.report.run import RunInfo
from validator.report.tallies import tally

_CASE_KEY = re.compile(CASE_KEY_PATTERN)


def case_folder(index: Path) -> Path:
    """Where the case pages of the index page ``index`` go: ``report.html`` → ``report/``."""
    return index.with_suffix("") if index.suffix else index.with_name(index.name + "-cases")


def _write(path: Path, text: str) -> None:
    """Write whole or not at all (a browser reloading the page while it is rewritten sees the old one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Site:
    """The site of one run, written again at each report refresh.

    A case page is rewritten only when what it shows has changed (its verdict or the number of facts in its
    dossier): a continuously running validator refreshes the report at every snapshot, and rendering
    thousands of unchanged pages each time would hold it up.
    """

    def __init__(self, index: Path, run: RunInfo) -> None:
        self.index = index
        self.folder = case_folder(index)
        self.run = run
        self._shown: dict[str, tuple[Any, ...]] = {}
        """Per case page written: what it showed."""

    def write(self, report: dict[str, Any], dossiers: Mapping[str, Dossier], *,
              written: datetime | None = None) -> list[Path]:
        """Write the site for ``report``; returns every case page (written now or before).

        ``dossiers`` gives the case pages their timelines (a case it no longer holds gets a page that says
        so). Case pages of cases not defective now are removed, so every page in the folder is one the index
        links to; nothing else in the folder is touched.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        back = os.path.relpath(self.index, self.folder)
        shown: dict[str, tuple[Any, ...]] = {}
        pages = []
        for case in report["cases"]:
            if not case["defects"]:
                continue
            key = case["case"]
            if not _CASE_KEY.match(key):  # the engine only judges such keys; a file name must be nothing else
                raise ValueError(f"not a case key: {key!r}")
            path = self.folder / f"{key}.html"
            dossier = dossiers.get(key)
            shown[key] = (case["checkpoint"], *(tuple(d.values()) for d in case["defects"]),
                          None if dossier is None else dossier.count)
            if self._shown.get(key) != shown[key] or not path.exists():
                _write(path, case_page.render(case, checkpoint_hours=report["checkpoint_hours"], dossier=dossier,
                                              index=back))
            pages.append(path)
        self._shown = shown
        for old in self.folder.glob("ck_*.html"):
            if old.stem not in shown and _CASE_KEY.match(old.stem):
                old.unlink()
        context = html.Context(report, self.run, tally(report), self.folder.name, written or datetime.now(UTC))
        _write(self.index, html.render(context))
        return pages
