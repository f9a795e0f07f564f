"""Browser-test fixtures: bundles made by the real pipeline (one run per study shape per
session), a dashboard server per bundle, headless Chromium, and ``ui``: the steps every
browser test takes on a dashboard page (open it in a language, wait until Dash is idle, read
a table, pick from a dropdown, download, run axe-core)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SRC = Path(__file__).parents[2] / "src"
#: seconds a step waits for the page before the test fails
WAIT = 20
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
#: the serious and critical axe-core violations of the page, as "rule: first targets"
AXE_JS = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(
  r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
   .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))
)).catch(e => done(['axe failed: ' + e]));
"""


def _trustsurvey(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    subprocess.run([sys.executable, "-m", "trustsurvey", *args], check=True, env=env,
                   capture_output=True, text=True)  # fmt: skip


@pytest.fixture(scope="session")
def study_bundle(tmp_path_factory) -> Callable[[str], Path]:
    """``study_bundle(shape)``: the bundle folder of ``trustsurvey example`` (``shape``
    "example" is the bundled example study) after ``trustsurvey run``; each shape runs once."""
    made: dict[str, Path] = {}
    # under pytest-xdist every worker has its own basetemp inside the run's one folder: the
    # bundles are built there once, by the first worker that asks (a file lock makes the
    # others wait for it), and then only read
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def make(shape: str = "example") -> Path:
        if shape not in made:
            folder = shared / f"study-{shape}" / "study"
            ready = folder / "ready" if shape == "renamed" else folder  # after its import
            with open(shared / f"study-{shape}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (shared / f"study-{shape}.built").exists():
                    shutil.rmtree(folder.parent, ignore_errors=True)
                    extra = () if shape == "example" else ("--shape", shape)
                    _trustsurvey("example", str(folder), "--force", *extra)
                    _trustsurvey("run", str(ready))
                    (shared / f"study-{shape}.built").touch()
            made[shape] = ready / "out" / "bundle"
        return made[shape]

    return make


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Any], str]]:
    """``serve(bundle)``: the URL of a dashboard server for that bundle (a bundle folder, or a
    loaded :class:`Bundle`); one server per bundle."""
    from werkzeug.serving import make_server

    from trustsurvey.dashboard.app import create_app

    servers: dict[object, tuple[object, str]] = {}

    def start(bundle: Any) -> str:
        key = bundle if isinstance(bundle, Path) else id(bundle)  # a Bundle is not hashable
        if key not in servers:
            httpd = make_server("127.0.0.1", 0, create_app(bundle).server, threaded=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            servers[key] = (httpd, f"http://127.0.0.1:{httpd.server_port}")
        return servers[key][1]

    yield start
    for httpd, _ in servers.values():
        httpd.shutdown()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def chromium_downloads() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="ts-dl-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium(chromium_downloads):  # type: ignore[no-untyped-def]
    """Headless Chromium (Debian's chromium + chromedriver) that saves downloads."""
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ts-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                f"--user-data-dir={profile}", "--window-size=1400,1000"):  # fmt: skip
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option(
        "prefs",
        {"download.default_directory": str(chromium_downloads),
         "download.prompt_for_download": False},
    )  # fmt: skip
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(chromium_downloads)},
    )
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Served(NamedTuple):
    """A study run by the real pipeline and served: its bundle, the dashboard's URL and the
    study folder that was run."""

    bundle: Any
    url: str
    folder: Path


@pytest.fixture(scope="session")
def served_study(study_bundle, serve) -> Callable[[str], Served]:  # type: ignore[no-untyped-def]
    """``served_study(shape)``: the study of that shape (see ``study_bundle``), served."""
    from trustsurvey.publish.bundle import read_bundle

    def make(shape: str = "example") -> Served:
        path = study_bundle(shape)
        return Served(read_bundle(path), serve(path), path.parents[1])

    return make


class Ui:
    """The steps of a browser test on a dashboard page, in one place."""

    def __init__(self, driver: Any, downloads: Path, screenshots: Path) -> None:
        self.driver = driver
        self.downloads = downloads
        self.screenshots = screenshots

    def until(self, condition: Callable[[Any], Any], message: str = "") -> Any:
        """Wait (at most ``WAIT`` seconds) until ``condition(driver)`` is true; its value."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT).until(condition, message)

    def wait_for(self, css: str) -> Any:
        """The first element matching ``css``, once there is one."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def settle(self) -> None:
        """Wait until Dash has no callback in flight (and the page has drawn what it got)."""
        self.until(
            lambda d: d.execute_script(
                "return document.querySelectorAll('[data-dash-is-loading=true]').length === 0"
            )
        )
        time.sleep(0.3)

    def switch_language(self, lang: str) -> None:
        """Choose ``lang`` on the language switch (if it is not chosen) and wait until the
        document says it is in ``lang``."""
        from selenium.webdriver.common.by import By

        current = self.driver.execute_script(
            "return document.querySelector('#lang-switch input:checked').value"
        )
        if current != lang:
            self.driver.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        self.until(lambda d: d.execute_script("return document.documentElement.lang") == lang)

    def open(
        self,
        url: str,
        lang: str,
        ready: str = "#page h2",
        drawn: str | Callable[[Any], Any] | None = None,
    ) -> None:
        """Open ``url``, wait for ``ready`` (CSS), switch to ``lang``, wait for ``drawn`` (CSS
        or a condition on the driver) when given, and wait until Dash is idle."""
        self.driver.get(url)
        self.wait_for(ready)
        self.switch_language(lang)
        if isinstance(drawn, str):
            self.wait_for(drawn)
        elif drawn is not None:
            self.until(drawn)
        self.settle()

    def table(self, table_id: str) -> pd.DataFrame:
        """The table ``table_id`` as shown: its header and cell texts."""
        from selenium.webdriver.common.by import By

        table = self.driver.find_element(By.ID, table_id)
        head = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
        rows = [
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]
        return pd.DataFrame(rows, columns=head)

    def pick(self, dropdown_id: str, value: str) -> None:
        """Choose ``value`` in the (Dash 4) dropdown ``dropdown_id``: open it, click it."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.driver.find_element(By.ID, dropdown_id).click()
        option = f"label.dash-dropdown-option:has(input[value='{value}'])"
        self.until(ec.element_to_be_clickable((By.CSS_SELECTOR, option))).click()

    def download(self, button_css: str, name: str = "*.csv") -> Path:
        """Click the download button ``button_css`` and return the file the browser saved
        (``name``: its name, or a pattern)."""
        from selenium.webdriver.common.by import By

        for f in self.downloads.glob("*"):
            f.unlink()
        self.driver.find_element(By.CSS_SELECTOR, button_css).click()
        self.until(lambda d: any(self.downloads.glob(name)), f"no {name} was downloaded")
        time.sleep(0.3)
        return next(self.downloads.glob(name))

    @staticmethod
    def read_csv(path: Path) -> pd.DataFrame:
        """A downloaded CSV as text (empty cells as "")."""
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str).fillna("")

    def errors(self) -> list[str]:
        """The browser console's severe messages since they were last read."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def axe(self) -> list[str]:
        """The serious and critical axe-core violations of the page shown."""
        self.driver.set_script_timeout(60)
        self.driver.execute_script(AXE)
        return self.driver.execute_async_script(AXE_JS)

    def screenshot(self, name: str) -> None:
        """Save the page as ``<tests output>/screenshots/<name>.png``."""
        self.driver.save_screenshot(str(self.screenshots / f"{name}.png"))


@pytest.fixture(scope="session")
def ui(chromium, chromium_downloads, output_dir) -> Ui:  # type: ignore[no-untyped-def]
    """The shared steps (:class:`Ui`) on the session's Chromium."""
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return Ui(chromium, chromium_downloads, shots)
