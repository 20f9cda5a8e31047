"""A real headless Chromium for the tests that look at pages as a reader sees them.

Debian's ``chromium`` and ``chromium-driver`` (installed by ``.ci/install-servers``), driven by
Selenium over that chromedriver; Selenium is told to stay offline, so it never fetches a browser
or a driver of its own. Without the packages the test is skipped, saying so. The fixtures over
`chromium` (one per test for the console, one per module for the report) are in
``tests/web/conftest.py`` and ``tests/report/test_report_browser.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: 1280×900 at one device pixel per CSS pixel, so screenshots measure layout in CSS pixels.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--force-device-scale-factor=1",
    "--window-size=1280,900",
)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A Selenium driver of headless Chromium with its profile in ``profile``; quit on exit.

    The page's console messages are kept (``driver.get_log("browser")``).
    """
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/install-servers)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium must not fetch a driver or browser
    from selenium import webdriver  # deferred: only browser tests need it
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
