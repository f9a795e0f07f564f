"""GNU PSPP, an SPSS implementation independent of ReadStat, reads what ``convert`` writes.

``tests/fixtures/corpora/spss/pspp_reads_ours.py`` had PSPP 1.6.2 read every corpus file and
its ``.sav`` and ``.zsav`` copies made by ``trustsurvey convert``; what PSPP said is in
``pspp_reads_ours.json``. PSPP must see the copy as it sees the original: the same variables,
labels, value labels, formats, missing values, alignment, documents, multiple-response sets
and data, and no new warning or error. The differences listed in ``_normalise`` are the
documented ones (see the README's SPSS section). The last test checks that the JSON still
describes what the writer writes now.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyreadstat
import pytest

from trustsurvey.io import read_survey
from trustsurvey.io.write import write_spss

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "spss"
SAID = json.loads((CORPUS / "pspp_reads_ours.json").read_text(encoding="utf-8"))
CASES = [(name, copy) for name in sorted(SAID) for copy in ("copy.sav", "copy.zsav")]
#: files without measure levels and display widths (no display record, portable files):
#: PSPP shows its defaults for the original, ReadStat's "unknown" (Nominal) for the copy
NO_DISPLAY_RECORD = {"r-foreign/electric.sav", "pspp/portable.por"}
#: text that needs more bytes in UTF-8 than its width: widened, with a warning
WIDENED = {"pspp/latin_cp1252.sav": {"ville": "A8"}, "pspp/hebrew_cp1255.sav": {"עיר": "A12"}}


def _messages(tables: dict[str, list[list[str]]]) -> list[str]:
    return [
        row[0]
        for rows in tables.values()
        for row in rows
        if row and (row[0].startswith("warning:") or row[0].startswith("error:"))
    ]


def variables(tables: dict[str, list[list[str]]]) -> list[dict[str, str]]:
    """Rows of PSPP's first "Variables" table (``DISPLAY DICTIONARY``) as dictionaries;
    PSPP leaves out the columns that are empty for every variable (Label, Missing Values)."""
    header: list[str] = []
    out: list[dict[str, str]] = []
    for row in tables.get("Variables", []):
        if row and row[0] == "Name":
            if header:
                break  # SYSFILE INFO repeats the table
            header = row
        elif header and len(row) == len(header):
            out.append(dict(zip(header, row, strict=True)))
    return out


def _normalise(name: str, tables: dict[str, list[list[str]]]) -> dict[str, list]:
    """The tables without what is documented to differ."""
    out: dict[str, list] = {}
    for title, rows in tables.items():
        if title in ("errors", "File Information", "Variables"):
            continue
        kept = []
        for row in rows:
            if row and (row[0].startswith("warning:") or row[0].startswith("error:")):
                continue
            row = [cell.rstrip(" ") for cell in row]  # pyreadstat drops trailing blanks
            if title == "Data List" and name == "r-foreign/electric.sav":
                row = [cell.lower() for cell in row]
            kept.append(row)
        out[title] = kept
    described = []
    for var in variables(tables):
        var = {k: v.rstrip(" ") for k, v in var.items() if v.strip()}
        var["Name"] = var["Name"].lower()  # files without long names: PSPP shows them lower
        if name in NO_DISPLAY_RECORD:
            var.pop("Measurement Level"), var.pop("Width")
        if var["Name"] in WIDENED.get(name, {}):
            var["Print Format"] = var["Write Format"] = WIDENED[name][var["Name"]]
        described.append(var)
    out["Variables"] = described
    return out


@pytest.mark.parametrize(("name", "copy"), CASES)
def test_pspp_sees_the_copy_as_the_original(name: str, copy: str) -> None:
    original, written = SAID[name]["original"], SAID[name][copy]
    assert written["errors"] == original["errors"]  # e.g. a weekday 0 PSPP cannot list
    new = set(_messages(written)) - set(_messages(original))
    assert new == set()
    assert _normalise(name, written) == _normalise(name, original)
    info = dict((row[0], row[1]) for row in written["File Information"] if len(row) == 2)
    before = dict((row[0], row[1]) for row in original["File Information"] if len(row) == 2)
    assert info["Type"] == "SPSS System File"
    assert info["Encoding"] == "UTF-8"
    assert info["Compression"] == ("ZSAV" if copy.endswith(".zsav") else "None")
    for key in ("Label", "Variables", "Documents"):
        assert info.get(key) == before.get(key), key
    if before.get("Cases") != "Unknown":  # portable files do not say
        assert info["Cases"] == before["Cases"]


def test_every_corpus_file_was_read_by_pspp() -> None:
    files = sorted(
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.suffix.lower() in (".sav", ".zsav", ".por")
    )
    assert sorted(SAID) == files


@pytest.mark.parametrize("name", sorted(SAID))
def test_the_json_describes_what_the_writer_writes_now(name: str, tmp_path: Path) -> None:
    """Names, labels, formats, alignments and measure levels PSPP reported for the copy are
    those of a copy written now (as pyreadstat reads them; ReadStat's "unknown" measure is
    Nominal to PSPP)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = write_spss(read_survey(CORPUS / name), tmp_path / "copy.sav")
    _, meta = pyreadstat.read_sav(str(out), metadataonly=True)
    rows = variables(SAID[name]["copy.sav"])
    assert [r["Name"] for r in rows] == meta.column_names
    for row, col in zip(rows, meta.column_names, strict=True):
        assert row.get("Label", "").rstrip(" ") == (meta.column_names_to_labels.get(col) or "")
        fmt = meta.original_variable_types[col]
        assert row["Print Format"] in (fmt, fmt + ".0")
        assert row["Alignment"].lower() == meta.variable_alignment[col]
        measure = meta.variable_measure[col]
        assert row["Measurement Level"].lower() == ("nominal" if measure == "unknown" else measure)
