"""The weighted data as Stata .dta: the questionnaire's labels, valid names, values kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from trustsurvey.questionnaire import instrument_path, load_questionnaire
from trustsurvey.weighting.export import write_stata


def test_labels_from_the_questionnaire_and_stata_names(tmp_path: Path) -> None:
    q = load_questionnaire(instrument_path("police_trust_core"))
    item = next(n for n, it in q.items.items() if it.codes and it.text)
    codes = [float(c) for c in list(q.items[item].codes)[:2]]
    frame = pd.DataFrame(
        {item: codes, "a.very-long column name that Stata cannot take as it is": ["x", None],
         "weight_final": [0.5, 1.5]}
    )  # fmt: skip
    path = write_stata(frame, tmp_path / "w.dta", q, "weight_final", lang="en")
    data, meta = pyreadstat.read_dta(str(path))
    assert meta.column_names[0] == item and len(meta.column_names[1]) <= 32
    assert meta.column_names_to_labels[item] == q.items[item].text.get("en")[:80]
    assert meta.column_names_to_labels[meta.column_names[1]].startswith("a.very-long column")
    assert "Final weight" in meta.column_names_to_labels["weight_final"]
    assert set(meta.variable_value_labels[item]) >= {int(c) for c in codes}
    assert data[item].tolist() == codes and data["weight_final"].tolist() == [0.5, 1.5]
    assert data.iloc[:, 1].tolist() == ["x", ""]
