"""The report site: every checked case in the index, a page per defective case with its whole dossier against
the checkpoint, labels in two languages, no personal data, and nothing loaded from anywhere else."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from schemas.catalogue import CATALOGUE
from schemas.categories import Category, DefectKind
from schemas.codec import Deserializer, SerializationContext
from schemas.events.base import ChainEvent, Partner
from tests.reportsite import Run, parse, simulated_run, table_rows
from validator.dossier import KEPT_FIELDS
from validator.report import labels
from validator.report.model import build_report
from validator.report.run import offline, online
from validator.report.site import Site, case_folder
from validator.report.timeline import relative, when
from validator.rules import RULES


@dataclass(frozen=True)
class Written:
    index: Path
    pages: list[Path]

    @property
    def folder(self) -> Path:
        return case_folder(self.index)


@pytest.fixture(scope="module")
def run() -> Run:
    return simulated_run()


@pytest.fixture(scope="module")
def site(run: Run, tmp_path_factory: pytest.TempPathFactory) -> Written:
    index = tmp_path_factory.mktemp("site") / "report.html"
    pages = Site(index, online("demo.", "g1", simulated=True)).write(run.report, run.engine.state.dossiers)
    return Written(index, pages)


def _cases_data(index: Path) -> dict[str, Any]:
    (block,) = parse(index).xpath("//script[@id='cases-data']")
    data: dict[str, Any] = json.loads(block.text)
    return data


def _defective(run: Run) -> list[dict[str, Any]]:
    return [c for c in run.report["cases"] if c["defects"]]


def test_the_index_lists_every_checked_case_with_its_times_and_defects(run: Run, site: Written) -> None:
    rows = _cases_data(site.index)["rows"]
    assert len(rows) == run.report["cases_checked"] > 50
    for row, case in zip(rows, run.report["cases"], strict=True):
        checkpoint = datetime.fromisoformat(case["checkpoint"])
        assert row[:2] == [case["case"], when(checkpoint)]
        assert row[3] == [[d["category"], d["kind"], d["partner"], d["rule"]] for d in case["defects"]]


def test_every_defective_case_has_a_page_and_no_complete_case_does(run: Run, site: Written) -> None:
    defective = {c["case"] for c in _defective(run)}
    assert 30 < len(defective) < run.report["cases_checked"]
    assert {p.stem for p in site.folder.iterdir()} == {p.stem for p in site.pages} == defective
    assert _cases_data(site.index)["folder"] == "report"


def test_a_case_page_shows_its_defects_and_every_fact_of_its_dossier_against_the_checkpoint(
        run: Run, site: Written) -> None:
    for case in _defective(run):
        page = site.folder / f"{case['case']}.html"
        defects = table_rows(page, "defects")
        assert [row.xpath("string(td[4])") for row in defects] == [d["rule"] for d in case["defects"]]
        dossier = run.engine.state.dossiers[case["case"]]
        checkpoint = datetime.fromisoformat(case["checkpoint"])
        rows = table_rows(page, "timeline")
        marks = [r for r in rows if r.get("class") == "mark"]
        facts = [r for r in rows if r.get("class") != "mark"]
        assert len(marks) == 2 and len(facts) == dossier.count
        late = sum(1 for fs in dossier.facts.values() for f in fs if f.recorded_at > checkpoint)
        assert sum(1 for r in facts if r.get("class") == "after") == late
        assert rows.index(marks[0]) == dossier.count - late  # the checkpoint between on-time and later facts
        (back,) = parse(page).xpath("//nav/a/@href")
        assert back == "../report.html#cases"


def test_the_timeline_offset_says_how_long_before_or_after_the_checkpoint() -> None:
    assert relative(-timedelta(days=2, hours=3, minutes=12)) == "−2 d 03:12"
    assert relative(timedelta(hours=5, minutes=10)) == "+0 d 05:10"
    assert relative(timedelta(0)) == "+0 d 00:00"


def _kept_out(run: Run) -> dict[str, set[str]]:
    """Per field: the text values of every event field the dossier does not keep (V-number, items, marks,
    medical details, references), for checked cases."""
    base = set(ChainEvent.model_fields)
    checked = {c["case"].encode() for c in run.report["cases"]}
    decoder = Deserializer()
    found: dict[str, set[str]] = {}
    for record in run.records:
        if record.key not in checked:
            continue
        decoded = decoder.decode(record.value, SerializationContext(record.topic, record.headers))
        for name, value in decoded.data.items():
            if name in base or name in KEPT_FIELDS.get(decoded.subject, ()):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and len(item) >= 5:
                    found.setdefault(name, set()).add(item)
    return found


def test_no_page_holds_a_field_the_dossier_does_not_keep(run: Run, site: Written) -> None:
    kept_out = _kept_out(run)
    assert {"v_number", "details", "distinguishing_marks", "items"} <= set(kept_out)
    assert len(kept_out["v_number"]) == run.report["cases_checked"]
    text = "\n".join(p.read_text(encoding="utf-8") for p in [site.index, *site.pages])
    leaks = {name: sorted(v for v in values  # whole words: "watch" is not in "swatch"
                          if v in text and re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text))
             for name, values in kept_out.items()}
    assert {name: found for name, found in leaks.items() if found} == {}


def outside_references(page: str) -> list[str]:
    """What a page would load from elsewhere: any resource not inline (data: URLs are inline), a link out of
    the site, a stylesheet import or URL, or a URL in a script."""
    tree = lxml_html.fromstring(page)
    found = []
    for element in tree.iter():
        for attribute in ("src", "href", "srcset", "action", "data", "poster"):
            value = element.get(attribute)
            if value is None or value.startswith("data:"):
                continue
            if element.tag != "a" or re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)", value):
                found.append(f"{element.tag} {attribute}={value}")
    for style in tree.iter("style"):
        found += re.findall(r"@import|url\(", style.text or "")
    for script in tree.iter("script"):
        if script.get("type") != "application/json":
            found += re.findall(r"\w+://\S*", script.text or "")
    return found


def test_the_reference_check_finds_what_a_page_would_fetch() -> None:
    page = ('<html><head><script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="y.css">'
            '<style>@import "z.css";</style><script>fetch("http://example.org/d")</script></head>'
            '<body><a href="case/ck_1.html">in</a><a href="//example.org">out</a><img src="p.png"></body></html>')
    assert outside_references(page) == ["script src=https://cdn.example/x.js", "link href=y.css",
                                        "a href=//example.org", "img src=p.png", "@import",
                                        'http://example.org/d")']


def test_pages_load_nothing_from_elsewhere(site: Written) -> None:
    for page in [site.index, *site.pages]:
        assert outside_references(page.read_text(encoding="utf-8")) == [], page.name


def test_the_index_says_when_from_where_with_which_sigma_and_whether_the_data_is_simulated(
        run: Run, tmp_path: Path) -> None:
    written = datetime.fromisoformat("2026-03-01T10:15:00+00:00")
    Site(tmp_path / "on.html", online("demo.", "g1", simulated=True)).write(run.report, {}, written=written)
    Site(tmp_path / "off.html", offline(Path("rec.jsonl"), simulated=False)).write(run.report, {}, written=written)
    on = parse(tmp_path / "on.html").xpath("string(//dl[@class='meta'])")
    off = parse(tmp_path / "off.html").xpath("string(//dl[@class='meta'])")
    assert "2026-03-01 10:15 UTC" in on and "simulated (sigma simulate)" in on and "sigma 0.1.0" in on
    assert "demo.chain.dtv.case" in on and "g1" in on
    assert "rec.jsonl" in off and "not marked as simulated" in off and "demo.chain.dtv.case" not in off


def test_a_case_whose_dossier_is_gone_gets_a_page_that_says_how_to_see_it(run: Run, tmp_path: Path) -> None:
    pages = Site(tmp_path / "r.html", online("", "g", simulated=False)).write(run.report, {})
    text = pages[0].read_text(encoding="utf-8")
    assert f"sigma dossier {pages[0].stem}" in text and not table_rows(pages[0], "timeline")


def test_pages_of_cases_no_longer_defective_go_and_other_files_stay(run: Run, tmp_path: Path) -> None:
    index = tmp_path / "r.html"
    site = Site(index, online("", "g", simulated=False))
    pages = site.write(run.report, run.engine.state.dossiers)
    stale = case_folder(index) / ("ck_" + "0" * 24 + ".html")
    stale.write_text("old")
    (case_folder(index) / "notes.txt").write_text("mine")
    gone = _defective(run)[0]["case"]
    fewer = {**run.report, "cases": [c for c in run.report["cases"] if c["case"] != gone]}
    again = site.write(fewer, run.engine.state.dossiers)
    assert not stale.exists() and (case_folder(index) / "notes.txt").read_text() == "mine"
    assert again == [p for p in pages if p.stem != gone] and len(again) == len(pages) - 1
    assert sorted(case_folder(index).glob("ck_*.html")) == sorted(again)


def test_a_page_is_written_again_only_when_what_it_shows_changed(run: Run, tmp_path: Path) -> None:
    """A running validator refreshes the report at every snapshot: unchanged case pages are left as they are."""
    dossiers = copy.deepcopy(run.engine.state.dossiers)
    site = Site(tmp_path / "r.html", online("", "g", simulated=False))
    first, second = site.write(run.report, dossiers)[:2]
    first.write_text("left alone")
    second.write_text("left alone")
    case = dossiers[second.stem]
    case.add("case_closed", {"recorded_at": case.last_recorded, "partner": "dtv", "outcome": "other"},
             event=1, digest=0)  # the event id's hash and the value's digest: not read by the page
    site.write(run.report, dossiers)
    assert first.read_text() == "left alone"
    assert second.read_text() != "left alone" and "outcome=other" in second.read_text()


def test_a_run_with_no_checked_case_writes_an_index_and_no_case_page(tmp_path: Path) -> None:
    engine = simulated_run(0).engine
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0)
    assert Site(tmp_path / "r.html", online("", "g", simulated=False)).write(report, {}) == []
    assert _cases_data(tmp_path / "r.html")["rows"] == [] and list(case_folder(tmp_path / "r.html").iterdir()) == []


def test_the_case_pages_folder_is_named_after_the_index_page() -> None:
    assert case_folder(Path("out/demo-report.html")) == Path("out/demo-report")
    assert case_folder(Path("out/report")) == Path("out/report-cases")


def test_every_category_kind_partner_subject_and_rule_has_an_english_and_a_dutch_label() -> None:
    wanted = {"category": {c.value for c in Category}, "kind": {k.value for k in DefectKind},
              "partner": {p.value for p in Partner}, "subject": {s.name for s in CATALOGUE.subjects()},
              "rule": {r.id for r in RULES}}
    for group, ids in wanted.items():
        table = labels.GROUPS[group]
        assert set(table) == ids, group
        assert all(en and nl for en, nl in table.values()), group


def test_the_weekly_trend_counts_checked_and_defective_cases(run: Run) -> None:
    weeks = run.report["over_time"]
    assert sum(w["cases"] for w in weeks) == run.report["cases_checked"]
    assert sum(w["defective"] for w in weeks) == run.report["cases_defective"]
