"""The report site in a real headless browser (Debian's Chromium through Selenium): search, sort, filter and
navigation to a case and back work from files on disk, and no page logs an error to the console.

The site is written the way users get it: ``sigma validate --from-file REC --report-html …`` on a recording
of a simulation. Chromium comes from Debian (``make browser`` installs it); without it these tests fail
with the reason, they never skip.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.clirunner import sigma
from tests.reportsite import simulated_run, write_recording
from validator.report.html import PAGE_SIZE

pytestmark = pytest.mark.browser

WAIT_S = 30
"""Longest wait for a page to load after a click (a bound on a hang, not a measured time)."""


@dataclass(frozen=True)
class Site:
    index: Path
    report: dict[str, Any]

    def defective(self, **wanted: str) -> list[str]:
        """Keys of the cases with a defect matching every ``wanted`` field (category, kind, partner, rule)."""
        return [c["case"] for c in self.report["cases"]
                if any(all(d[k] == v for k, v in wanted.items()) for d in c["defects"])]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    tmp = tmp_path_factory.mktemp("browser")
    recording = write_recording(simulated_run().records, tmp / "run.jsonl")
    index, report = tmp / "site" / "report.html", tmp / "report.json"
    result = sigma("validate", "--from-file", str(recording), "--report-html", str(index), "--report-json",
                   str(report), "--simulated", "-q")
    assert result.returncode == 0, result.stderr
    return Site(index, json.loads(report.read_text()))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail("the report's browser test needs Debian's chromium and chromium-driver, and "
                    f"{'chromium' if chromium is None else 'chromedriver'} is not on PATH: run `make browser` "
                    "(as root: apt-get install -y chromium chromium-driver)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def console_errors(browser: WebDriver) -> list[str]:
    """Errors logged to the console since the last call (uncaught exceptions included)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture
def index(browser: WebDriver, site: Site) -> Iterator[WebDriver]:
    """The index page, freshly loaded in English; afterwards, no console error may have been logged."""
    console_errors(browser)
    browser.get(site.index.as_uri())
    if browser.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") != "en":
        browser.find_element(By.CSS_SELECTOR, ".lang button[data-lang=en]").click()
    yield browser
    assert console_errors(browser) == []


def matching(browser: WebDriver) -> int:
    return int(browser.find_element(By.ID, "cases-info").get_attribute("data-matching") or "-1")


def rows(browser: WebDriver) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, "#cases-table tbody tr")


def keys(browser: WebDriver) -> list[str]:
    return [row.get_attribute("data-case") or "" for row in rows(browser)]


def column(browser: WebDriver, name: str) -> list[str]:
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, f"#cases-table tbody td.{name}")]


def test_the_console_check_sees_errors_and_uncaught_exceptions(browser: WebDriver, tmp_path: Path) -> None:
    """Without this, a check that reads no log at all would pass every page."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><title>x</title><script>console.error('logged'); undefinedThing();</script>")
    console_errors(browser)
    browser.get(page.as_uri())
    errors = console_errors(browser)
    assert any("logged" in e for e in errors) and any("undefinedThing" in e for e in errors)


def test_the_table_holds_every_checked_case_page_by_page(index: WebDriver, site: Site) -> None:
    cases = sorted(c["case"] for c in site.report["cases"])
    assert matching(index) == len(cases) > PAGE_SIZE
    seen = keys(index)
    assert len(seen) == PAGE_SIZE
    following = index.find_element(By.ID, "cases-next")
    while following.is_enabled():
        following.click()
        seen += keys(index)
    assert seen == cases


def test_search_finds_cases_by_key_and_by_rule(index: WebDriver, site: Site) -> None:
    key = site.defective()[5]
    box = index.find_element(By.ID, "cases-search")
    box.send_keys(key)
    assert keys(index) == [key] and matching(index) == 1
    box.clear()
    box.send_keys("not-001")
    assert set(keys(index)) == set(site.defective(rule="NOT-001")) and matching(index) > 0


def test_filters_keep_the_cases_with_a_matching_defect(index: WebDriver, site: Site) -> None:
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=category]")).select_by_value("belongings")
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=partner]")).select_by_value("dji")
    wanted = site.defective(category="belongings", partner="dji")
    assert set(keys(index)) == set(wanted) and matching(index) == len(wanted) > 0
    for row in rows(index):
        row.find_element(By.CSS_SELECTOR, ".tag[data-category=belongings][data-partner=dji]")
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=category]")).select_by_value("")
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=partner]")).select_by_value("")
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=status]")).select_by_value("complete")
    complete = [c["case"] for c in site.report["cases"] if not c["defects"]]
    assert matching(index) == len(complete) > 0 and set(keys(index)) <= set(complete)
    assert index.find_elements(By.CSS_SELECTOR, "#cases-table tbody .tag") == []


def test_the_filters_stay_in_the_address_and_come_back_with_the_back_button(index: WebDriver, site: Site) -> None:
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=kind]")).select_by_value("late")
    index.find_element(By.ID, "cases-search").send_keys("not-001")
    assert index.current_url.endswith("/report.html#cases?q=not-001&kind=late")
    wanted = site.defective(kind="late", rule="NOT-001")
    assert matching(index) == len(wanted) > 0
    index.find_element(By.CSS_SELECTOR, f"tr[data-case='{wanted[0]}'] a").click()
    WebDriverWait(index, WAIT_S).until(lambda b: b.current_url.endswith(f"/report/{wanted[0]}.html"))
    index.back()
    WebDriverWait(index, WAIT_S).until(lambda b: b.current_url.endswith("#cases?q=not-001&kind=late"))
    assert matching(index) == len(wanted) and set(keys(index)) == set(wanted)
    assert index.find_element(By.ID, "cases-search").get_attribute("value") == "not-001"


def test_a_partner_x_category_cell_opens_those_cases(index: WebDriver, site: Site) -> None:
    index.find_element(By.CSS_SELECTOR, ".matrix a[href='#cases?partner=dtv&category=physical_features']").click()
    wanted = site.defective(partner="dtv", category="physical_features")
    assert matching(index) == len(wanted) > 0 and set(keys(index)) <= set(wanted)
    assert Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=partner]")).first_selected_option \
        .get_attribute("value") == "dtv"


def test_sorting_by_a_column_orders_the_rows_both_ways(index: WebDriver, site: Site) -> None:
    header = index.find_element(By.CSS_SELECTOR, "th[data-sort=checkpoint]")
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    shown = column(index, "checkpoint")
    assert shown == sorted(shown) and len(shown) == PAGE_SIZE
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "descending"
    latest = column(index, "checkpoint")
    assert latest == sorted(latest, reverse=True) and latest[0] > shown[-1]
    index.find_element(By.CSS_SELECTOR, "th[data-sort=defects] button").click()
    index.find_element(By.CSS_SELECTOR, "th[data-sort=defects] button").click()
    most = max(len(c["defects"]) for c in site.report["cases"])
    counts = [int(n) for n in column(index, "n")]
    assert counts == sorted(counts, reverse=True) and counts[0] == most


def test_a_case_opens_its_page_with_the_dossier_timeline_and_leads_back(index: WebDriver, site: Site) -> None:
    key = next(k for k, n in zip(keys(index), column(index, "n"), strict=True) if n != "0")
    index.find_element(By.CSS_SELECTOR, f"tr[data-case='{key}'] a").click()
    WebDriverWait(index, WAIT_S).until(lambda b: b.current_url.endswith(f"/report/{key}.html"))
    assert key in index.find_element(By.TAG_NAME, "h1").text
    timeline = index.find_elements(By.CSS_SELECTOR, "table.timeline tr:not(.mark) td:first-child")
    assert len(timeline) > 3
    case = next(c for c in site.report["cases"] if c["case"] == key)
    shown = index.find_element(By.CSS_SELECTOR, "table.defects").text
    assert all(d["rule"] in shown for d in case["defects"])
    assert console_errors(index) == []
    index.find_element(By.CSS_SELECTOR, "nav a").click()
    WebDriverWait(index, WAIT_S).until(lambda b: b.current_url.endswith("/report.html#cases"))
    assert matching(index) == len(site.report["cases"])


def test_dutch_labels_on_the_index_and_on_case_pages(index: WebDriver, site: Site) -> None:
    Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=category]")).select_by_value("belongings")
    index.find_element(By.CSS_SELECTOR, ".lang button[data-lang=nl]").click()
    assert index.find_element(By.CSS_SELECTOR, "#cases h2").text == "Gecontroleerde zaken"
    assert index.find_element(By.CSS_SELECTOR, "#cases-table .tag[data-category=belongings]").text \
        .startswith("Bezittingen: ")
    assert Select(index.find_element(By.CSS_SELECTOR, "select[data-filter=category]")).first_selected_option \
        .text == "Bezittingen"
    index.get(site.index.with_suffix("").joinpath(f"{site.defective()[0]}.html").as_uri())
    assert index.find_element(By.CSS_SELECTOR, "h2").text == "Wat er op het controlemoment ontbreekt of niet klopt"
    index.find_element(By.CSS_SELECTOR, ".lang button[data-lang=en]").click()
    assert index.find_element(By.CSS_SELECTOR, "h2").text == "What is wrong at the checkpoint"
