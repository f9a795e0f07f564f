"""Outputs are written whole or not at all; bad output paths give one clean error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish.fixture import demo_bundle
from trustsurvey.publish.report import write_report
from trustsurvey.publish.safe import to_csv_bytes, to_xlsx_bytes


@pytest.fixture(scope="module")
def bundle():
    return demo_bundle()


def test_report_path_that_is_a_folder_is_a_clean_error(bundle, tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    with pytest.raises(PublishError) as info:
        write_report(bundle, tmp_path)
    assert "report.html" in str(info.value) and "What to do" in str(info.value)


def test_out_that_is_a_file_is_a_clean_error(bundle, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder")
    with pytest.raises(PublishError) as info:
        write_report(bundle, target)
    assert "out" in str(info.value)


def test_failed_write_keeps_the_previous_report_whole(bundle, tmp_path: Path, monkeypatch) -> None:
    html, xlsx = write_report(bundle, tmp_path)
    before = html.read_bytes(), xlsx.read_bytes()

    def disk_full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(PublishError) as info:
        write_report(bundle, tmp_path)
    assert "No space left on device" in str(info.value)
    monkeypatch.undo()
    assert (html.read_bytes(), xlsx.read_bytes()) == before
    assert html.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]  # no half-written file


def test_control_characters_and_bidi_overrides_never_reach_a_spreadsheet() -> None:
    frame = pd.DataFrame({"community": ["Zmi\x07iv\u202e", "\x00=HYPERLINK()"], "n": [1, 2]})
    xlsx = to_xlsx_bytes({"t": frame})  # openpyxl refuses control characters
    back = pd.read_excel(__import__("io").BytesIO(xlsx))
    assert back["community"].tolist() == ["Zmiiv", "'=HYPERLINK()"]
    assert "\x07" not in to_csv_bytes(frame).decode("utf-8-sig")
