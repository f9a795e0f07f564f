"""The ``renamed`` shape: the example's data as a fieldwork firm delivers it.

The firm's files use their own variable names (``q7_trust``, ``q8_1``, ``gender``,
``hromada``, ``q12_safety`` …), Ukrainian labels only, "difficult to answer" coded 98 and
refusals 99 (on every scale), the arm as a variable ``grupa`` (1 pilot, 2 control) and the
multiple-choice question as 0/1 variables ``q16_1`` … ``q16_13``. :func:`firm_frame` renames
a wave, :func:`firm_questionnaire_data` gives the matching questionnaire (for the ready
variant of the study; a user drafts their own with ``trustsurvey init``).

>>> import pandas as pd
>>> out = firm_frame(pd.DataFrame({"trust_police": [4.0, 8.0, 9.0], "pilot": [1, 0, 1]}))
>>> out.to_dict("list")
{'q7_trust': [4.0, 98.0, 99.0], 'grupa': [1, 2, 1]}
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from trustsurvey.example.responses import PROBLEM_RATE

#: our item -> the firm's variable
RENAME: dict[str, str] = {
    "resp_id": "id",
    "wave": "hvylia",
    "raion": "raion",
    "community": "hromada",
    "pilot": "grupa",
    "stratum": "strata",
    "psu": "cluster",
    "pw": "vaga",
    "interviewer": "int_id",
    "interview_date": "data_int",
    "settlement": "typ_np",
    "trust_police": "q7_trust",
    "trust_local": "q7_local",
    "trust_police_10": "q9_ess",
    "pj_respect": "q8_1",
    "pj_fair": "q8_2",
    "pj_explain": "q8_3",
    "pj_listen": "q8_4",
    "eff_response": "q8_5",
    "eff_crime": "q8_6",
    "abuse_power": "q8_7",
    "legit_obey": "q10_1",
    "legit_cooperate": "q10_2",
    "safe_night": "q12_safety",
    "victim_12m": "q13",
    "victim_reported": "q13_1",
    "contact_police": "q14",
    "contact_satisfaction": "q14_1",
    "aware_officer": "q15_know_officer",
    "problems": "q16",
    "will_report": "q17",
    "will_join_group": "q18",
    "sex": "gender",
    "age": "age",
    "agegrp": "age_cat",
    "education": "osvita",
    "duration_min": "tryvalist",
    "phone": "tel",
}
#: the firm's codes of "difficult to answer" and refusal, on every scale
DK, REFUSED = 98, 99
#: our missing codes -> the firm's
MISSING = {8: DK, 88: DK, 9: REFUSED, 77: REFUSED}
MISSING_LABELS = {DK: "Важко відповісти", REFUSED: "Відмова від відповіді"}
#: the problems' options in order, numbered 1..13 by the firm ("none" last)
PROBLEM_OPTIONS = [*PROBLEM_RATE, "none"]
ARM_CODES = {1: "Пілотна громада", 2: "Контрольна громада"}


def firm_columns() -> dict[str, str]:
    """Every column's new name, the multiple-choice columns included."""
    out = dict(RENAME)
    for i, option in enumerate(PROBLEM_OPTIONS, start=1):
        out[f"problems_{option}"] = f"q16_{i}"
    return out


def firm_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One wave renamed and recoded as the firm delivers it (missing codes 98/99)."""
    out = frame.copy()
    for col in out.columns:
        if col in ("resp_id", "stratum", "psu", "pw", "interviewer", "age", "duration_min"):
            continue
        if col == "pilot":
            out[col] = out[col].map({1: 1, 0: 2})
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].replace(MISSING)
    return out.rename(columns=firm_columns())


def _rename_expression(text: str) -> str:
    return re.sub(r"\b(\w+)\b", lambda m: RENAME.get(m.group(1), m.group(1)), text)


def _uk(text: Any) -> Any:
    """Ukrainian text only (the firm labels in Ukrainian)."""
    if isinstance(text, dict):
        return text.get("uk") or next(iter(text.values()))
    return text


def _missing(codes: dict[Any, Any]) -> dict[Any, Any]:
    out = {}
    for code in codes:
        new = MISSING[int(code)]
        out[new] = {"uk": MISSING_LABELS[new], "kind": "dont_know" if new == DK else "refused"}
    return out


def firm_questionnaire_data(data: dict[str, Any]) -> dict[str, Any]:
    """A study questionnaire's data renamed for the firm's files (Ukrainian only, 98/99)."""
    out: dict[str, Any] = {
        "name": "firm_police_trust",
        "version": "1.0",
        "languages": ["uk"],
        "title": "Довіра до поліції (файли соціологічної компанії)",
    }
    scales = {}
    for name, scale in data.get("scales", {}).items():
        scale = dict(scale)
        if "text" in scale:
            scale["text"] = _uk(scale["text"])
        scale["codes"] = {k: _uk(v) for k, v in scale["codes"].items()}
        if scale.get("missing"):
            scale["missing"] = _missing(scale["missing"])
        scales[name] = scale
    out["scales"] = scales
    out["grids"] = {
        name: {**grid, "text": _uk(grid["text"])} for name, grid in data.get("grids", {}).items()
    }
    items = []
    for item in data["items"]:
        item = dict(item)
        item["name"] = RENAME.get(item["name"], item["name"])
        item["text"] = _uk(item["text"])
        for key in ("codes", "options"):
            if key in item:
                item[key] = {k: _uk(v) for k, v in item[key].items()}
        if item.get("missing"):
            item["missing"] = _missing(item["missing"])
        if item.get("relevant"):
            item["relevant"] = _rename_expression(item["relevant"])
        if item["name"] == "grupa":
            item["codes"] = dict(ARM_CODES)
        if item["name"] == "q16":
            options = item["options"]
            item["options"] = {i: options[o] for i, o in enumerate(PROBLEM_OPTIONS, start=1)}
            item["exclusive"] = len(PROBLEM_OPTIONS)
        items.append(item)
    out["items"] = items
    indices = []
    for index in data.get("indices", []):
        index = dict(index)
        index["text"] = _uk(index["text"])
        index["items"] = [RENAME.get(i, i) for i in index["items"]]
        if "reversed" in index:
            index["reversed"] = [RENAME.get(i, i) for i in index["reversed"]]
        indices.append(index)
    out["indices"] = indices
    return out
