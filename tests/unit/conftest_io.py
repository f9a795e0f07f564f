"""Helpers for the io room's tests: small SPSS files with one feature each, written with
pyreadstat (UTF-8), and comparison of what pyreadstat reads from two files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat


def make_feature_sav(path: Path, *, compress: bool = False) -> Path:
    """A .sav with discrete missing codes, a 97–99 range plus a code, a labelled string
    variable with a string missing code, dates, datetimes and measure levels."""
    frame = pd.DataFrame(
        {
            "id": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "trust": [1.0, 5.0, 8.0, 9.0, np.nan, 3.0],
            "income": [12.0, 97.0, 98.0, 99.0, 40.0, 0.0],
            "oblast": ["KYV", "LVV", "XXX", "", "ODS", "KYV"],
            "comment": ["Добре", "Погано", "", "Не знаю", "Все гаразд", "—"],
            "visit": pd.to_datetime(
                ["2024-03-01", "2024-04-15", None, "2023-12-31", "2024-06-30", "1999-01-01"]
            ).astype("datetime64[us]"),
            "started": pd.to_datetime(
                [
                    "2024-03-01 10:15:00",
                    "2024-04-15 08:00:30",
                    "2024-05-01 23:59:59",
                    None,
                    "2024-06-30 12:00:00",
                    "2024-07-01 00:00:00",
                ]
            ).astype("datetime64[us]"),
        }
    )
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label="Тестовий файл",
        compress=compress,
        column_labels={
            "id": "Номер анкети",
            "trust": "Наскільки Ви довіряєте поліції?",
            "income": "Дохід домогосподарства",
            "oblast": "Область",
            "comment": "Коментар",
            "visit": "Дата візиту",
            "started": "Початок інтерв'ю",
        },
        variable_value_labels={
            "trust": {
                1.0: "Зовсім не довіряю",
                5.0: "Повністю довіряю",
                8.0: "Важко відповісти",
                9.0: "Відмова",
            },
            "income": {97.0: "Не знаю", 98.0: "Важко відповісти", 99.0: "Відмова"},
            "oblast": {"KYV": "Київська", "LVV": "Львівська", "XXX": "Невідомо"},
        },
        missing_ranges={
            "trust": [8.0, 9.0],
            "income": [{"lo": 97.0, "hi": 99.0}, 0.0],
            "oblast": ["XXX"],
        },
        variable_measure={"trust": "ordinal", "income": "scale", "oblast": "nominal"},
        variable_format={
            "id": "F4.0",
            "trust": "F1.0",
            "income": "F8.2",
            "visit": "DATE11",
            "started": "DATETIME20",
        },
    )
    return path


def _strip_string_widths(formats: dict[str, str]) -> dict[str, str]:
    """String display widths follow the longest value when pyreadstat writes; compare the
    format type only for strings."""
    return {k: ("A" if re.fullmatch(r"A\d+", v) else v) for k, v in formats.items()}


def assert_same_spss(a: Path, b: Path) -> None:
    """Values, variable labels, value labels, user-missing codes and ranges, measure levels
    and (non-string) formats of two SPSS files are identical as pyreadstat reads them."""
    da, ma = pyreadstat.read_sav(str(a), user_missing=True)
    db, mb = pyreadstat.read_sav(str(b), user_missing=True)
    pd.testing.assert_frame_equal(da, db)
    assert ma.column_names == mb.column_names
    assert ma.column_names_to_labels == mb.column_names_to_labels
    assert ma.variable_value_labels == mb.variable_value_labels
    assert ma.missing_ranges == mb.missing_ranges
    assert ma.variable_measure == mb.variable_measure
    assert _strip_string_widths(ma.original_variable_types) == _strip_string_widths(
        mb.original_variable_types
    )
    assert ma.file_label == mb.file_label
