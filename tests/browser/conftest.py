"""Browser-test fixtures: bundles made by the real pipeline (one run per study shape per
session), a dashboard server per bundle, and headless Chromium."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SRC = Path(__file__).parents[2] / "src"


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
def serve() -> Iterator[Callable[[Path], str]]:
    """``serve(bundle_dir)``: the URL of a dashboard server for that bundle (one per bundle)."""
    from werkzeug.serving import make_server

    from trustsurvey.dashboard.app import create_app

    servers: dict[Path, tuple[object, str]] = {}

    def start(bundle: Path) -> str:
        if bundle not in servers:
            httpd = make_server("127.0.0.1", 0, create_app(bundle).server, threaded=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            servers[bundle] = (httpd, f"http://127.0.0.1:{httpd.server_port}")
        return servers[bundle][1]

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
