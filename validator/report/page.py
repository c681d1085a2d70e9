"""The frame every report page shares: inline style and script, the language switch, text in two languages.

Why inline: a page must open from a folder on a closed network, by file://, with nothing fetched. The style
and scripts live in ``site.css``, ``lang.js`` and ``cases.js`` beside this module (real files, so editors
and linters see them) and are copied into each page that uses them.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from validator.report.labels import GROUPS, Label

UI: dict[str, Label] = {
    "shown": ("{from}–{to} of {n} matching cases ({total} checked)",
              "{from}–{to} van {n} passende zaken ({total} gecontroleerd)"),
    "none": ("No case matches ({total} checked).", "Geen zaak voldoet ({total} gecontroleerd)."),
    "complete": ("complete", "compleet"),
}
"""Text the script writes itself (the pages' own text is written in both languages below)."""


@cache
def _asset(name: str) -> str:
    return files("validator.report").joinpath(name).read_text(encoding="utf-8")


def t(en: str, nl: str) -> str:
    """Text in both languages, escaped; the page shows the one chosen (English without script)."""
    if en == nl:
        return escape(en)
    return f'<span class="en">{escape(en)}</span><span class="nl" lang="nl">{escape(nl)}</span>'


def tl(pair: Label) -> str:
    """A label pair as :func:`t`."""
    return t(*pair)


def option(value: str, pair: Label) -> str:
    """A ``<select>`` option, which cannot hold two spans: the script swaps its text by language."""
    return (f'<option value="{escape(value)}" data-en="{escape(pair[0])}" data-nl="{escape(pair[1])}">'
            f"{escape(pair[0])}</option>")


def json_block(element_id: str, data: Any) -> str:
    """Data for the script, in a non-executed script element (``<`` escaped so no text can end it)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(element_id)}">{text}</script>'


def labels_block() -> str:
    """Every label, for a page whose script writes labelled text itself (the case table)."""
    return json_block("labels", {**{name: dict(table) for name, table in GROUPS.items()}, "ui": UI})


def document(title: Label, body: str, *, blocks: str = "", scripts: tuple[str, ...] = ()) -> str:
    """A whole page: ``body`` inside the shared frame, then ``blocks`` (from :func:`json_block`), the language
    switch's script and ``scripts`` (names of script files beside this module)."""
    code = "\n".join(_asset(name) for name in ("lang.js", *scripts))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title data-en="{escape(title[0])}" data-nl="{escape(title[1])}">{escape(title[0])}</title>
<style>{_asset("site.css")}</style></head>
<body>
<header><div class="muted">{t("Sigma completeness report", "Sigma compleetheidsrapport")}</div>
<div class="lang" role="group" aria-label="language / taal"><button type="button" data-lang="en" \
aria-pressed="true">English</button><button type="button" data-lang="nl" aria-pressed="false">Nederlands</button>\
</div></header>
{body}
{blocks}
<script>{code}</script>
</body></html>
"""
