"""Screenshots of every dashboard page in both languages, desktop (1400 px) and phone
(390 px), into docs/screenshots/: ``make screenshots`` (needs chromium and chromedriver).

Runs ``trustsurvey example`` and ``trustsurvey run`` in a temporary folder (or takes the
bundle folder given as the argument), serves its dashboard and saves
``<page>-<lang>-<desktop|phone>.png`` and an index, ``README.md``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from trustsurvey.dashboard.app import create_app
from trustsurvey.dashboard.config import PATHS, DashboardConfig

OUT = Path(__file__).parents[1] / "docs" / "screenshots"
SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}


def main(bundle: str | None = None) -> None:
    """Screenshots of ``bundle`` (a bundle folder), or of the example study run afresh."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        if bundle is None:
            for args in (["example", str(study), "--force"], ["run", str(study)]):
                subprocess.run([sys.executable, "-m", "trustsurvey", *args], check=True)
        path = Path(bundle) if bundle else study / "out" / "bundle"
        httpd = make_server("127.0.0.1", 0, create_app(path).server)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_port}"
        opts = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-dev-shm-usage", "--disable-background-networking"):  # fmt: skip
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            for lang in ("uk", "en"):
                for size, (w, h) in SIZES.items():
                    driver.execute_cdp_cmd(
                        "Emulation.setDeviceMetricsOverride",
                        {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600},
                    )
                    for page in DashboardConfig().pages:
                        shoot(driver, base, page, lang, OUT / f"{page}-{lang}-{size}.png")
        finally:
            driver.quit()
            httpd.shutdown()
    write_index()
    print(f"screenshots in {OUT}")


def write_index() -> None:
    """docs/screenshots/README.md: every page, both languages, desktop and phone."""
    lines = [
        "# Dashboard screenshots",
        "",
        "Made by `make screenshots` from the example study (`trustsurvey example` + `run`):",
        "every page in Ukrainian and English, at 1400 px (desktop) and 390 px (phone).",
        "",
    ]
    for page in DashboardConfig().pages:
        lines += [f"## {page.replace('_', ' ').capitalize()}", ""]
        for lang in ("uk", "en"):
            cells = [f"![{page} {lang} {size}]({page}-{lang}-{size}.png)" for size in SIZES]
            lines += [f"{lang}: " + " ".join(cells), ""]
    (OUT / "README.md").write_text("\n".join(lines), encoding="utf-8")


def shoot(driver, base: str, page: str, lang: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    driver.get(base + PATHS[page])
    WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#page h2")))
    if (
        driver.execute_script("return document.querySelector('#lang-switch input:checked').value")
        != lang
    ):
        driver.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        WebDriverWait(driver, 20).until(
            lambda d: d.execute_script("return document.documentElement.lang") == lang
        )
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=true]').length === 0"
        )
    )
    time.sleep(0.5)
    driver.save_screenshot(str(path))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)  # optional: an existing bundle folder
