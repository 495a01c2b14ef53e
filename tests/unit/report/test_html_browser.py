"""The HTML report in a real browser (Debian's headless Chromium through chromedriver): what a person sees on
first load, read from the rendered DOM rather than from the HTML text."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stratatest.compliance.results import RunRecord
from stratatest.report.html import render_html

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")

INSTALL = (
    "apt-get install --no-install-recommends chromium chromium-driver (Debian), or scripts/install-system-tools as root"
)
WIDTH, HEIGHT = 1280, 900
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},{HEIGHT}",
)
SCREENSHOT_DIR_ENV = "STRATATEST_SCREENSHOT_DIR"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the module, with a fresh profile; always quit, even when a test fails."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip(f"chromium or chromedriver not found on PATH; install them: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def page(driver: Any, record: RunRecord, history: list[RunRecord], tmp_path: Path) -> Any:
    """The sample record's report (with three earlier runs) freshly loaded, scrolled to the top."""
    return load(driver, render_html(record, history), tmp_path / "report.html")


def load(driver: Any, html: str, path: Path) -> Any:
    path.write_text(html, encoding="utf-8")
    driver.get_log("browser")  # reading drains it: each page starts with an empty console log
    driver.get(path.as_uri())
    return driver


def test_page_renders_with_title_and_no_console_errors(page: Any, record: RunRecord) -> None:
    assert page.title == f"stratatest {record.run_id}: FAILED"
    assert page.execute_script("return document.readyState") == "complete"
    errors = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_console_errors_would_be_seen(driver: Any, tmp_path: Path) -> None:
    """The check above reads the real console: a page that logs an error is caught."""
    load(driver, '<!DOCTYPE html><title>x</title><script>console.error("broken")</script>', tmp_path / "bad.html")
    assert any("broken" in entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE")


def test_summary_numbers_in_the_dom_equal_the_record(page: Any, record: RunRecord) -> None:
    shown = page.execute_script(
        "const out = {};"
        "document.querySelectorAll('[data-count]').forEach(e => { out[e.dataset.count] = e.innerText.trim(); });"
        "return out;"
    )
    summary = record.summary()
    expected = {f"controls-{s.replace('_', '-')}": n for s, n in summary["controls"].items()}
    expected |= {f"tests-{o}": n for o, n in summary["outcomes"].items()}
    expected |= {f"findings-{r}": n for r, n in summary["findings"].items()}
    expected |= {"controls-total": len(record.controls), "tests-total": len(record.results)}
    expected |= {"findings-total": len(record.findings)}
    assert {key: int(value) for key, value in shown.items()} == expected


def test_first_failed_control_is_on_screen_at_load_above_every_passed_one(page: Any) -> None:
    geometry = page.execute_script(
        "const top = s => [...document.querySelectorAll(s)].map(e => e.getBoundingClientRect());"
        "const failed = top('.control[data-status=failed]'), passed = top('.control[data-status=passed]');"
        "const head = document.querySelector('.control[data-status=failed] .control-head').getBoundingClientRect();"
        "return {inner: window.innerHeight, scroll: window.scrollY, first: failed[0].top, headBottom: head.bottom,"
        " passed: passed.map(r => r.top), firstInList: document.querySelector('#control-list > .control')"
        "  .dataset.status};"
    )
    assert geometry["scroll"] == 0
    assert geometry["firstInList"] == "failed"
    assert 0 <= geometry["first"] < geometry["headBottom"] <= geometry["inner"], geometry
    assert geometry["passed"] and all(geometry["first"] < top for top in geometry["passed"])


def test_not_assessed_is_never_shown_as_passed(page: Any) -> None:
    badges = page.execute_script(
        "return [...document.querySelectorAll('.control')].map(c => {"
        " const b = c.querySelector('.badge'), style = getComputedStyle(b);"
        " return {status: c.dataset.status, text: b.innerText.trim().toLowerCase(),"
        "  background: style.backgroundImage + style.backgroundColor, colour: style.color, edge:"
        "  getComputedStyle(c).borderLeftStyle + getComputedStyle(c).borderLeftColor}; });"
    )
    by_status: dict[str, list[dict[str, str]]] = {}
    for badge in badges:
        by_status.setdefault(badge["status"], []).append(badge)
    assert {b["text"] for b in by_status["not_assessed"]} == {"not assessed"}
    assert {b["text"] for b in by_status["passed"]} == {"passed"}
    for look in ("background", "colour", "edge"):  # styled apart, not only worded apart: badge and card edge
        seen = {status: {b[look] for b in group} for status, group in by_status.items()}
        assert len(seen["not_assessed"]) == len(seen["passed"]) == 1
        assert seen["not_assessed"].isdisjoint(seen["passed"]), look
    tile = page.find_element("css selector", '[data-count="controls-not-assessed"]').find_element("xpath", "..")
    assert "Not assessed" in tile.text and "Passed" not in tile.text


def test_status_filter_hides_and_restores_passed_controls(page: Any) -> None:
    passed = page.find_element("css selector", ".control[data-status=passed]")
    failed = page.find_element("css selector", ".control[data-status=failed]")
    box = page.find_element("xpath", "//div[@id='control-filter']//label[contains(., 'Passed')]/input")
    box.click()
    assert not passed.is_displayed() and failed.is_displayed()
    box.click()
    assert passed.is_displayed()


def test_screenshot_of_the_first_screen(page: Any, tmp_path: Path) -> None:
    shot = tmp_path / "html-report.png"
    assert page.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    width, height = struct.unpack(">II", data[16:24])  # IHDR: the image is the viewport
    assert (width, height) == tuple(page.execute_script("return [window.innerWidth, window.innerHeight]"))
    keep = os.environ.get(SCREENSHOT_DIR_ENV)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / shot.name)
