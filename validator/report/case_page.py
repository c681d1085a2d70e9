"""A page per defective case: what is wrong, and the dossier's timeline against the checkpoint.

It answers "why is this case red?" as ``sigma dossier`` does, with the same fields (only what the dossier
keeps: no V-number, name or medical text), for the analyst who browses the report instead of a terminal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from validator.dossier import Dossier
from validator.report.labels import RULES, label
from validator.report.page import document, t, tl
from validator.report.timeline import Entry, relative, timeline, when


def _mark(moment: datetime, title: str) -> str:
    return f'<tr class="mark"><td class="when">{when(moment)}</td><td></td><td></td><td>{title}</td><td></td></tr>'


def _entry(e: Entry) -> str:
    after = e.offset > timedelta(0)
    note = f' <span class="tag late">{t("after the checkpoint", "na het controlemoment")}</span>' if after else ""
    return (f'<tr{" class=after" if after else ""}><td class="when">{when(e.recorded_at)}</td>'
            f'<td class="n when">{relative(e.offset)}</td><td>{tl(label("partner", e.partner))}</td>'
            f'<td>{tl(label("subject", e.subject))}{note}</td>'
            f"<td>{escape(e.shared)}</td></tr>")


def _timeline(dossier: Dossier | None, checkpoint: datetime, departure: datetime, case: str) -> str:
    if dossier is None:
        return f"""<p>{t(
            "The validator no longer held this case's dossier when the report was written (closed cases are "
            "dropped after a grace period).", "De validator had het dossier van deze zaak niet meer toen het "
            "rapport werd geschreven (gesloten zaken vervallen na een wachttijd).")} \
<code>sigma dossier {escape(case)}</code> {t("reads it from the topics.", "leest het uit de topics.")}</p>"""
    rows: list[str] = []
    marks = [(checkpoint, t("checkpoint", "controlemoment")), (departure, t("scheduled departure", "gepland vertrek"))]
    for entry in timeline(dossier, checkpoint):
        while marks and marks[0][0] < entry.recorded_at:
            rows.append(_mark(*marks.pop(0)))
        rows.append(_entry(entry))
    rows += [_mark(*m) for m in marks]
    return f"""<p class="muted">{t(
        "Every event the validator holds for this case, in the order it was recorded. Only the fields the "
        "validator keeps are shown: no V-number, names or medical text.",
        "Elk bericht dat de validator voor deze zaak heeft, in de volgorde van vastleggen. Alleen de velden die de "
        "validator bewaart staan hier: geen V-nummer, namen of medische tekst.")}</p>
<table class="timeline"><tr><th>{t("recorded (UTC)", "vastgelegd (UTC)")}</th>\
<th class="n">{t("against checkpoint", "t.o.v. controlemoment")}</th><th>{t("partner", "partner")}</th>\
<th>{t("what", "wat")}</th><th>{t("shared", "gedeeld")}</th></tr>
{"".join(rows)}</table>"""


def render(case: dict[str, Any], *, checkpoint_hours: float, dossier: Dossier | None, index: str) -> str:
    """The page of one checked case (``case`` as in the report data); ``index`` links back to the index page."""
    key = case["case"]
    checkpoint = datetime.fromisoformat(case["checkpoint"])
    departure = checkpoint + timedelta(hours=checkpoint_hours)
    defects = "".join(
        f'<tr><td>{tl(label("category", d["category"]))}</td><td><span class="tag {escape(d["kind"])}">'
        f'{tl(label("kind", d["kind"]))}</span></td><td>{tl(label("partner", d["partner"]))}</td>'
        f'<td><code>{escape(d["rule"])}</code></td><td>{tl(RULES.get(d["rule"], (d["rule"],) * 2))}</td></tr>'
        for d in case["defects"])
    body = f"""<nav><a href="{escape(index)}#cases">← {t("all cases", "alle zaken")}</a></nav>
<h1>{t("Case", "Zaak")} <code>{escape(key)}</code></h1>
<dl class="meta">
<dt>{t("Checkpoint", "Controlemoment")}</dt><dd>{when(checkpoint)} UTC</dd>
<dt>{t("Scheduled departure", "Gepland vertrek")}</dt><dd>{when(departure)} UTC</dd>
<dt>{t("Defects", "Gebreken")}</dt><dd>{len(case["defects"])}</dd>
</dl>
<h2>{t("What is wrong at the checkpoint", "Wat er op het controlemoment ontbreekt of niet klopt")}</h2>
<table class="defects"><tr><th>{t("category", "categorie")}</th><th>{t("defect", "gebrek")}</th>\
<th>{t("responsible", "verantwoordelijk")}</th><th>{t("rule", "regel")}</th><th>{t("holds when", "voldaan als")}\
</th></tr>
{defects}</table>
<h2>{t("Dossier timeline", "Tijdlijn van het dossier")}</h2>
{_timeline(dossier, checkpoint, departure, key)}"""
    return document((f"Case {key}", f"Zaak {key}"), body)
