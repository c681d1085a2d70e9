"""The report's index page: run metadata, categories against 2018, partner x category, rules, the trend, and
every checked case in a table to search, sort and filter, linking to a page per defective case.

The page is a list of sections (``SECTIONS``): a new one is a function and one line there. A section whose
function returns nothing is left out, with its entry in the page's navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from schemas.categories import Category, DefectKind
from validator.report import charts
from validator.report.labels import PARTNERS, RECORDS, RULES, SEVERITIES, Label, label
from validator.report.page import document, json_block, labels_block, option, t, tl
from validator.report.run import RunInfo
from validator.report.tallies import Tallies
from validator.report.timeline import when
from validator.rules import RULES as RULE_TABLE

PAGE_SIZE = 50
"""Rows of the case table shown at once."""


@dataclass(frozen=True)
class Context:
    """What a section may show: the report data, the run, the counts, and where the case pages are."""

    report: dict[str, Any]
    run: RunInfo
    tallies: Tallies
    folder: str
    """The case pages' folder, relative to the index page."""
    written: datetime


@dataclass(frozen=True)
class Section:
    """One part of the index page: its anchor, its heading and what it shows ("" to leave it out)."""

    id: str
    title: Label
    body: Callable[[Context], str]


def _pct(share: float) -> str:
    return f"{share:.1%}"


def _share(count: int, total: int) -> str:
    return _pct(count / total) if total else ""


def _responsible() -> dict[str, list[str]]:
    """Per category, the partners its rules may hold responsible."""
    found: dict[str, list[str]] = {}
    for rule in RULE_TABLE:
        for partner in rule.partners.split("|"):
            if partner not in found.setdefault(rule.category.value, []):
                found[rule.category.value].append(partner)
    return found


def _partners_named(ctx: Context) -> list[str]:
    """Every partner a rule may hold responsible or a defect names, in the labels' order."""
    named = {p for ps in _responsible().values() for p in ps} | set(ctx.tallies.partners)
    return [p for p in PARTNERS if p in named] + sorted(named - set(PARTNERS))


def _summary(ctx: Context) -> str:
    r, run = ctx.report, ctx.run
    base = r["baseline"]["defect_rate"]
    hours = f"{r['checkpoint_hours']:g}"
    if run.simulated:
        data = t("simulated (sigma simulate)", "gesimuleerd (sigma simulate)")
    else:
        data = t("from the chain (not marked as simulated)", "uit de keten (niet als gesimuleerd aangemerkt)")
    if run.recording is not None:
        source = t("recording", "opname") + f" <code>{escape(run.recording)}</code>"
    else:
        source = (", ".join(f"<code>{escape(name)}</code>" for name in run.topics)
                  + f"; {t('consumer group', 'consumergroep')} <code>{escape(run.group or '')}</code>")
    return f"""<p><span class="big">{_pct(r['defect_rate'])}</span>
{t(f"({r['cases_defective']:,} of {r['cases_checked']:,} checked forced-departure cases) had at least one defect "
   f"at the checkpoint, {hours} h before departure. 2018: {base:.0%}.",
   f"({r['cases_defective']:,} van {r['cases_checked']:,} gecontroleerde gedwongen vertrekzaken) had ten minste "
   f"één gebrek op het controlemoment, {hours} uur voor vertrek. 2018: {base:.0%}.")}</p>
<dl class="meta">
<dt>{t("Report written", "Rapport geschreven")}</dt><dd>{when(ctx.written)} UTC</dd>
<dt>{t("Run started", "Run gestart")}</dt><dd>{when(run.started)} UTC</dd>
<dt>{t("Data", "Gegevens")}</dt><dd>{data}</dd>
<dt>{t("Read from", "Gelezen uit")}</dt><dd>{source}</dd>
<dt>{t("Checkpoint", "Controlemoment")}</dt><dd>{t(f"{hours} h before the scheduled departure",
                                                  f"{hours} uur voor het geplande vertrek")}</dd>
<dt>{t("Validator", "Validator")}</dt><dd>sigma {escape(run.version)}</dd>
</dl>"""


def _categories(ctx: Context) -> str:
    r, tallies = ctx.report, ctx.tallies
    total, base = r["cases_checked"], r["baseline"]
    names = [c.value for c in Category]
    chart = "".join(
        f'<div class="{lang}">' + charts.bars(
            [(label("category", c)[i], r["categories"].get(c, 0.0), tallies.categories[c], base["categories"].get(c))
             for c in names],
            caption=("defect rate per category next to the 2018 baseline",
                     "aandeel met een gebrek per categorie naast de nulmeting van 2018")[i]) + "</div>"
        for i, lang in enumerate(("en", "nl")))
    responsible = _responsible()
    kinds = [k.value for k in DefectKind]
    head = "".join(f'<th class="n">{tl(label("kind", k))}</th>' for k in kinds)
    rows = "".join(
        f'<tr><td>{tl(label("category", c))}</td><td class="n">{tallies.categories[c]:,}</td>'
        f'<td class="n">{_share(tallies.categories[c], total)}</td>'
        f'<td class="n">{format(base["categories"][c], ".0%") if c in base["categories"] else ""}</td>'
        + "".join(f'<td class="n">{tallies.kinds[c, k] or ""}</td>' for k in kinds)
        + f'<td>{", ".join(tl(label("partner", p)) for p in responsible.get(c, []))}</td></tr>'
        for c in names)
    return f"""<div class="legend"><span class="swatch" style="background:{charts.OURS}"></span>\
{t("this run", "deze run")}<span class="swatch" style="background:{charts.BASE}"></span>2018</div>
{chart}
<table><tr><th>{t("category", "categorie")}</th><th class="n">{t("cases", "zaken")}</th>\
<th class="n">{t("share", "aandeel")}</th><th class="n">2018</th>{head}\
<th>{t("responsible", "verantwoordelijk")}</th></tr>
{rows}</table>
<p class="muted">2018: {escape(base["source"])}. {t(
        f"Measured for three categories, and overall ({base['defect_rate']:.0%}).",
        f"Gemeten voor drie categorieën, en in totaal ({base['defect_rate']:.0%}).")}</p>"""


def _matrix(ctx: Context) -> str:
    tallies, total = ctx.tallies, ctx.report["cases_checked"]
    names = [c.value for c in Category]
    most = max(tallies.matrix.values(), default=0)

    def cell(partner: str, category: str) -> str:
        n = tallies.matrix[partner, category]
        if not n:
            return '<td class="n"></td>'
        shade = f"rgba(192,57,43,{0.08 + 0.5 * n / most:.2f})"
        return (f'<td class="n" style="background:{shade}"><a href="#cases?partner={escape(partner)}&amp;'
                f'category={escape(category)}" title="{n:,} / {_share(n, total)}">{n:,}</a></td>')

    head = "".join(f"<th>{tl(label('category', c))}</th>" for c in names)
    rows = "".join(
        f"<tr><th>{tl(label('partner', p))}</th>" + "".join(cell(p, c) for c in names)
        + f'<td class="n"><a href="#cases?partner={escape(p)}">{tallies.partners[p]:,}</a></td>'
        f'<td class="n">{_share(tallies.partners[p], total)}</td></tr>'
        for p in _partners_named(ctx))
    totals = "".join(f'<td class="n">{tallies.categories[c]:,}</td>' for c in names)
    return f"""<p class="muted">{t(
        "Checked cases with a defect in the category that the rules attribute to the partner; a number opens the "
        "cases. The last columns count each case once, however many of its defects the partner has.",
        "Gecontroleerde zaken met een gebrek in de categorie dat de regels aan de partner toerekenen; een getal "
        "opent de zaken. De laatste kolommen tellen elke zaak één keer, hoeveel gebreken de partner er ook heeft.")}</p>
<table class="matrix"><tr><th>{t("partner", "partner")}</th>{head}<th class="n">{t("cases", "zaken")}</th>\
<th class="n">{t("share", "aandeel")}</th></tr>
{rows}<tr><th>{t("all partners", "alle partners")}</th>{totals}<td></td><td></td></tr></table>"""


def _rules(ctx: Context) -> str:
    tallies, total = ctx.tallies, ctx.report["cases_checked"]
    rows = "".join(
        f'<tr><td><a href="#cases?rule={escape(r.id)}"><code>{escape(r.id)}</code></a></td>'
        f'<td>{tl(label("category", r.category.value))}</td><td>{tl(SEVERITIES.get(r.severity, (r.severity,) * 2))}'
        f'</td><td>{", ".join(tl(label("partner", p)) for p in r.partners.split("|"))}</td>'
        f'<td>{tl(RULES[r.id])}</td><td class="n">{tallies.rules[r.id]:,}</td>'
        f'<td class="n">{_share(tallies.rules[r.id], total)}</td></tr>'
        for r in RULE_TABLE)
    return f"""<p class="muted">{t(
        "Rules are applied in this order; within a category the first rule that finds a defect counts.",
        "De regels worden in deze volgorde toegepast; binnen een categorie telt de eerste regel die een gebrek "
        "vindt.")}</p>
<table><tr><th>{t("rule", "regel")}</th><th>{t("category", "categorie")}</th><th>{t("severity", "ernst")}</th>\
<th>{t("responsible", "verantwoordelijk")}</th><th>{t("holds when", "voldaan als")}</th>\
<th class="n">{t("cases", "zaken")}</th><th class="n">{t("share", "aandeel")}</th></tr>
{rows}</table>"""


def _trend(ctx: Context) -> str:
    points, base = ctx.report["over_time"], ctx.report["baseline"]["defect_rate"]
    if not points:
        return f'<p class="muted">{t("No checked cases yet.", "Nog geen gecontroleerde zaken.")}</p>'
    chart = "".join(
        f'<div class="{lang}">' + charts.trend(points, base, caption=caption) + "</div>"
        for lang, caption in (("en", "defect rate and checked cases per checkpoint week"),
                              ("nl", "aandeel met een gebrek en gecontroleerde zaken per week van het "
                                     "controlemoment")))
    rows = "".join(f'<tr><td>{escape(p["week"])}</td><td class="n">{p["cases"]:,}</td>'
                   f'<td class="n">{p["defective"]:,}</td><td class="n">{_pct(p["defect_rate"])}</td></tr>'
                   for p in points)
    return f"""<p class="muted">{t(
        "By the week of each case's checkpoint: grey columns are checked cases (right axis), the red line the "
        "share with a defect (left axis).",
        "Per week van het controlemoment van elke zaak: grijze kolommen zijn gecontroleerde zaken (rechteras), de "
        "rode lijn het aandeel met een gebrek (linkeras).")}</p>
{chart}
<details><summary>{t("Per week", "Per week")}</summary>
<table><tr><th>{t("week", "week")}</th><th class="n">{t("checked", "gecontroleerd")}</th>\
<th class="n">{t("with a defect", "met een gebrek")}</th><th class="n">{t("share", "aandeel")}</th></tr>
{rows}</table></details>"""


def _select(name: str, title: Label, options: list[tuple[str, Label]]) -> str:
    return (f'<label>{tl(title)}<select data-filter="{name}">{option("", ("all", "alle"))}'
            + "".join(option(value, pair) for value, pair in options) + "</select></label>")


def _cases(ctx: Context) -> str:
    filters = "".join((
        _select("status", ("status", "status"), [("defective", ("with a defect", "met een gebrek")),
                                                  ("complete", ("complete", "compleet"))]),
        _select("category", ("category", "categorie"), [(c.value, label("category", c.value)) for c in Category]),
        _select("kind", ("defect", "gebrek"), [(k.value, label("kind", k.value)) for k in DefectKind]),
        _select("partner", ("responsible", "verantwoordelijk"), [(p, label("partner", p))
                                                                 for p in _partners_named(ctx)]),
        _select("rule", ("rule", "regel"), [(r.id, (r.id, r.id)) for r in RULE_TABLE]),
    ))

    def sortable(key: str, title: Label, numeric: bool = False) -> str:
        sort = ' aria-sort="ascending"' if key == "case" else ' aria-sort="none"'
        return (f'<th data-sort="{key}"{sort}{" class=n" if numeric else ""}><button type="button">{tl(title)}'
                "</button></th>")

    return f"""<p class="muted">{t(
        "Every checked case. A case with a defect links to its page: what each partner shared, and when, against "
        "the checkpoint. Search looks in case keys, rule ids and the labels shown; times are UTC.",
        "Elke gecontroleerde zaak. Een zaak met een gebrek linkt naar haar pagina: wat elke partner deelde, en "
        "wanneer, ten opzichte van het controlemoment. Zoeken kijkt in zaaksleutels, regelcodes en de getoonde "
        "labels; tijden in UTC.")}</p>
<div class="filters"><label>{t("search", "zoeken")}<input id="cases-search" type="search" autocomplete="off" \
placeholder="case key, rule, category…" data-placeholder-en="case key, rule, category…" \
data-placeholder-nl="zaaksleutel, regel, categorie…"></label>{filters}</div>
<div class="pager"><button type="button" id="cases-prev">{t("previous", "vorige")}</button>\
<span id="cases-info" aria-live="polite"></span><button type="button" id="cases-next">{t("next", "volgende")}</button>\
</div>
<table id="cases-table"><thead><tr>{sortable("case", ("case key", "zaaksleutel"))}\
{sortable("checkpoint", ("checkpoint", "controlemoment"))}{sortable("departure", ("departure", "vertrek"))}\
{sortable("defects", ("defects", "gebreken"), numeric=True)}<th>{t("what is wrong", "wat ontbreekt of niet klopt")}\
</th></tr></thead><tbody></tbody></table>
<noscript><p>{t("The case table needs JavaScript; the report's JSON (--report-json) lists every case.",
                 "De tabel met zaken vraagt JavaScript; het JSON-rapport (--report-json) noemt elke zaak.")}</p>\
</noscript>"""


def _records(ctx: Context) -> str:
    rec, letters = ctx.report["records"], ctx.report["dead_letters"]
    counts = "".join(f'<tr><td>{tl(RECORDS.get(name, (name.replace("_", " "),) * 2))}</td><td class="n">{n:,}</td>'
                     "</tr>" for name, n in rec.items())
    dead = "".join(f'<tr><td><code>{escape(code)}</code></td><td class="n">{n:,}</td></tr>'
                   for code, n in letters.items())
    unknown = ctx.report["unknown_cases"]
    events, cases = f"{unknown['events']:,}", f"{unknown['cases']:,}"
    never = "" if not unknown["cases"] else "<p>" + t(
        f"{events} events for {cases} cases that were never handed over (not judged: check the case keys with the "
        "sending partners).",
        f"{events} berichten over {cases} zaken die nooit zijn overgedragen (niet beoordeeld: controleer de "
        "zaaksleutels met de verzendende partners).") + "</p>"
    accounted = t("Every consumed record is processed, a duplicate (an event whose id and content were processed "
                  "before, counted once) or dead-lettered (chain.dlq).",
                  "Elk gelezen bericht is verwerkt, dubbel ontvangen (eerder verwerkt, één keer geteld) of als "
                  "onverwerkbaar apart gezet (chain.dlq).")
    return f"""<p class="muted">{accounted}</p>{never}
<table><tr><th>{t("records", "berichten")}</th><th class="n">{t("count", "aantal")}</th></tr>{counts}</table>
{f'<table><tr><th>{t("dead letters by error", "onverwerkbaar per fout")}</th><th class="n">{t("count", "aantal")}'
 f'</th></tr>{dead}</table>' if dead else ""}"""


def _fidelity(ctx: Context) -> str:
    """The simulator's fidelity table (``sigma validate --simulation-summary``), when the data is simulated."""
    simulation = ctx.report.get("simulation")
    if simulation is None:
        return ""
    holds = {True: t("yes", "ja"), False: f'<b>{t("NO", "NEE")}</b>', None: t("no data", "geen gegevens")}
    rows = "".join(
        f"<tr><td>{escape(r['group'])}</td><td>{escape(r['figure'])}</td><td class=\"n\">{escape(r['shown']['seed'])}"
        f"</td><td>{escape(r['source'])}</td><td class=\"n\">{escape(r['shown']['measured'])}</td>"
        f"<td class=\"n\">{escape(r['shown']['tolerance'])}</td><td>{holds[r['holds']]}</td></tr>"
        for r in simulation["fidelity"])
    return f"""<p class="muted">{escape(simulation['about'])}: {t(
        "each figure the simulator claims, the seed value and its source, the value measured from the stream it "
        "sent, and the tolerance.",
        "elk cijfer waarop de simulator steunt, de bronwaarde en de bron, de waarde gemeten in de verzonden "
        "berichten, en de marge.")}</p>
<table><tr><th>{t("group", "groep")}</th><th>{t("figure", "cijfer")}</th><th class="n">{t("seed", "bron")}</th>
<th>{t("source", "herkomst")}</th><th class="n">{t("measured", "gemeten")}</th>
<th class="n">{t("tolerance", "marge")}</th><th>{t("holds", "klopt")}</th></tr>{rows}</table>"""


SECTIONS: tuple[Section, ...] = (
    Section("summary", ("Summary", "Samenvatting"), _summary),
    Section("categories", ("Categories against 2018", "Categorieën naast 2018"), _categories),
    Section("partners", ("Partner × category", "Partner × categorie"), _matrix),
    Section("rules", ("Rules", "Regels"), _rules),
    Section("trend", ("Trend per week", "Verloop per week"), _trend),
    Section("cases", ("Checked cases", "Gecontroleerde zaken"), _cases),
    Section("records", ("Records", "Berichten"), _records),
    Section("fidelity", ("Simulated data: how far the stream is like the real chain",
                         "Gesimuleerde gegevens: hoe goed de stroom op de echte keten lijkt"), _fidelity),
)
"""The index page's sections, in order."""


def _rows(ctx: Context) -> list[list[Any]]:
    """The case table's data: key, checkpoint, departure, defects as [category, kind, partner, rule]."""
    before = timedelta(hours=ctx.report["checkpoint_hours"])
    rows = []
    for case in ctx.report["cases"]:
        checkpoint = datetime.fromisoformat(case["checkpoint"])
        rows.append([case["case"], when(checkpoint), when(checkpoint + before),
                     [[d["category"], d["kind"], d["partner"], d["rule"]] for d in case["defects"]]])
    return rows


def render(ctx: Context) -> str:
    """The whole index page."""
    shown = [(s, body) for s in SECTIONS if (body := s.body(ctx))]
    nav = " ".join(f'<a href="#{s.id}">{tl(s.title)}</a>' for s, _ in shown)
    sections = "\n".join(f'<section id="{s.id}"><h2>{tl(s.title)}</h2>\n{body}\n</section>' for s, body in shown)
    body = f"""<h1>{t("Completeness of chain information before departure",
                    "Compleetheid van de keteninformatie voor vertrek")}</h1>
<nav>{nav}</nav>
{sections}"""
    data = {"folder": ctx.folder, "page_size": PAGE_SIZE, "rows": _rows(ctx)}
    return document(("Sigma completeness report", "Sigma compleetheidsrapport"), body,
                    blocks=labels_block() + json_block("cases-data", data), scripts=("cases.js",))
