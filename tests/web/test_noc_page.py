"""The NOC page in a real headless Chromium (Debian ``chromium`` + ``chromium-driver``, selenium):
a real API server on loopback, the correlator behind it fed a duct cut while the page is open; the
incident row appears with its impacted circuits and its SLA countdown ticks, amber then red."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from correlator.api.app import create_app
from correlator.api.server import BackgroundServer
from correlator.clock import SystemClock
from tests.api.conftest import READ_TOKEN, Lab, cut_part, lab_config, scenario, shifted
from tests.conftest import need

CHROMIUM = os.environ.get("LINEWATCH_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("LINEWATCH_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 20.0
COUNTDOWN = re.compile(r"^(\d+:)?\d\d:\d\d$")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        need(
            f"headless Chromium and its driver ({CHROMIUM}, {DRIVER}) are not installed",
            "apt-get install chromium chromium-driver (scripts/debian-packages.txt)",
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need("the selenium package is not installed", "pip install -e '.[dev]'")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium fetch a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, what: str, check: Any, timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        # the page re-renders its rows on every refresh: an element read mid-render is stale, read again
        return WebDriverWait(
            driver, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
        ).until(lambda d: check(d))
    except Exception:
        logs = ""
        with contextlib.suppress(Exception):
            logs = "\n".join(str(entry) for entry in driver.get_log("browser"))
        raise AssertionError(f"timed out waiting for {what}; page notes: {text(driver, '#notes')}\n{logs}") from None


def text(driver: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return str(found[0].text) if found else ""


def all_of(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def give_token(driver: Any, token: str) -> None:
    from selenium.webdriver.common.by import By

    opened = "return document.getElementById('token-dialog').open"
    wait_for(driver, "the token dialog", lambda d: d.execute_script(opened))
    box = driver.find_element(By.ID, "token-input")
    box.clear()
    box.send_keys(token)
    driver.find_element(By.ID, "token-save").click()


@pytest.fixture
def noc(sqlite_lab: Any) -> Iterator[tuple[Lab, str]]:
    """A real API server (wall clock) on the store a correlator writes; the lab starts 20 min ago."""
    start = datetime.now(UTC) - timedelta(minutes=20)
    lab: Lab = sqlite_lab(start)
    ctx = lab.context(clock=SystemClock())
    with BackgroundServer(create_app(ctx)) as server:
        yield lab, server.url


def test_an_incident_appears_after_a_cut_and_its_countdown_runs(browser: Any, noc: tuple[Lab, str]) -> None:
    lab, url = noc
    browser.get(f"{url}/noc/")
    give_token(browser, "not-the-token")
    wait_for(browser, "the refusal", lambda d: "not valid" in text(d, "#token-error"))
    give_token(browser, READ_TOKEN)
    wait_for(browser, "the live stream", lambda d: text(d, "#live") == "live")
    wait_for(browser, "the empty incident list", lambda d: d.find_element("id", "no-incidents").is_displayed())
    assert all_of(browser, "tr.incident") == []
    assert browser.execute_script("return sessionStorage.getItem('linewatch.token')") == READ_TOKEN

    # the duct D-013 cut happens now, while the page is open
    cut = cut_part(scenario("duct-cut"))  # moved so that its last event is a second ago
    events = shifted(cut, datetime.now(UTC) - timedelta(seconds=1) - (cut[-1].observed_at - cut[0].observed_at))
    lab.feed(events).settle(10)

    row = wait_for(browser, "the incident row", lambda d: all_of(d, "tr.incident") or None)[0]
    assert row.get_attribute("data-tier") == "provincial"
    assert "D-013" in row.text and "duct" in row.text
    found = all_of(browser, "tr.incident .circuit")
    chips = {c.get_attribute("data-circuit"): c.get_attribute("data-status") for c in found}
    assert chips == {"C-001": "outage", "C-006": "protection_lost"}
    assert [li.get_attribute("data-circuit") for li in all_of(browser, "#protection-lost li")] == ["C-006"]
    assert text(browser, '[data-figure="incidents"]') == "1"
    assert text(browser, '[data-figure="impacted"]') == "2"

    countdown = "tr.incident .countdown"
    first = wait_for(browser, "the countdown", lambda d: text(d, countdown) or None)
    assert COUNTDOWN.match(first), first
    time.sleep(2.2)
    second = text(browser, countdown)
    assert COUNTDOWN.match(second), second
    assert second != first and second < first  # counting down, mm:ss under 15 min
    assert "running" in all_of(browser, countdown)[0].get_attribute("class")
    assert "dispatch" in text(browser, "tr.incident .deadline-what")
    browser.save_screenshot(str(Path(os.environ.get("LINEWATCH_SCREENSHOT_DIR", "/tmp")) / "linewatch-noc.png"))


def test_the_countdown_turns_amber_then_red(browser: Any, sqlite_lab: Any) -> None:
    """A cut 14 min 50 s old: the 15 min dispatch clock is past its warning point (amber) and breaches
    within seconds (red, counting the overdue time up)."""
    now = datetime.now(UTC)
    cut_at = now - timedelta(minutes=14, seconds=50)
    lab: Lab = sqlite_lab(cut_at - timedelta(seconds=1))
    lab.feed(shifted(cut_part(scenario("duct-cut")), cut_at)).settle(10)
    with BackgroundServer(create_app(lab.context(lab_config(anonymous_read=True), clock=SystemClock()))) as server:
        browser.get(f"{server.url}/noc/")
        countdown = "tr.incident .countdown"
        wait_for(browser, "the countdown", lambda d: text(d, countdown) or None)
        assert not browser.execute_script("return document.getElementById('token-dialog').open")

        def has(cls: str) -> Any:
            return lambda d: any(cls in n.get_attribute("class") for n in all_of(d, countdown))

        wait_for(browser, "amber", has("at_risk"))
        wait_for(browser, "red", has("breached"), timeout=30)
        wait_for(browser, "the overdue time", lambda d: "overdue" in text(d, countdown))
        assert text(browser, countdown).startswith("+")
