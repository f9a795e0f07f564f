"""A file's dictionary compared with the questionnaire.

* ``missing_column``: an item of the questionnaire is not in the file (error if the item is
  required, else warning);
* ``extra_column``: a column the questionnaire does not define (warning); columns the
  reader knows as the form's or server's own (``meta.form_columns``: Kobo ``_id``,
  geopoint parts…) are not reported, nor are items of a repeat missing from the
  respondent-level table (their answers come in a table of their own);
* ``unlabelled_code``: the file labels a code the questionnaire does not know (warning);
* ``label_mismatch``: the file's label of a code differs from the questionnaire's Ukrainian
  and English labels (warning; compared after trimming and case-folding);
* ``missing_not_declared``: an SPSS file does not declare a questionnaire missing code as
  user-missing for a column that holds it (warning; the reader still treats it as missing
  because the questionnaire declares it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire

from typing import Any

import pandas as pd

from trustsurvey.validation.report import empty_table, issues


def _num(code: Any) -> Any:
    try:
        return float(code)
    except (TypeError, ValueError):
        return str(code)


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def metadata_issues(
    meta,
    q: Questionnaire,
    data: pd.DataFrame,
    *,
    file: str = "",
    only_present: bool = False,
) -> pd.DataFrame:
    """Differences between the file's declared metadata and the questionnaire."""
    parts = []
    columns = list(getattr(meta, "column_names", None) or data.columns)
    known: set[str] = set()
    for name, item in q.items.items():
        cols = q.columns_for(name)
        known.update(cols)
        absent = [c for c in cols if c not in columns]
        if absent and not only_present and not item.repeat:
            severity = "error" if item.required else "warning"
            parts.append(
                issues(
                    file,
                    "missing_column",
                    name,
                    [-1] * len(absent),
                    absent,
                    [None] * len(absent),
                    [f"column {c} not in the file" for c in absent],
                    [f"стовпця {c} немає у файлі" for c in absent],
                    severity=severity,
                )
            )
        if name not in columns or item.type == "multiple":
            continue
        labels = (getattr(meta, "value_labels", {}) or {}).get(name) or {}
        expected = {_num(k): v for k, v in {**item.codes, **item.missing}.items()}
        for code, label in labels.items():
            key = _num(code)
            if key not in expected:
                if item.codes or item.missing:
                    parts.append(
                        issues(
                            file,
                            "unlabelled_code",
                            name,
                            [-1],
                            [code],
                            [None],
                            f"file labels code {code} as '{label}'",
                            f"у файлі код {code} має мітку «{label}»",
                        )
                    )
                continue
            text = expected[key]
            wanted = {_norm(text.get(lang)) for lang in ("uk", "en") if text.get(lang)}
            if _norm(label) not in wanted:
                parts.append(
                    issues(
                        file,
                        "label_mismatch",
                        name,
                        [-1],
                        [code],
                        [None],
                        f"file: '{label}', questionnaire: '{text.get('uk')}'",
                        f"у файлі: «{label}», в опитувальнику: «{text.get('uk')}»",
                    )
                )
        if getattr(meta, "format", "") in ("sav", "zsav", "por") and item.missing:
            declared = {_num(c) for c in (meta.missing_values or {}).get(name, [])}
            for lo, hi in (meta.missing_ranges or {}).get(name, []):
                declared |= {m for m in map(_num, item.missing) if lo <= m <= hi}
            values = pd.to_numeric(data[name], errors="coerce") if name in data else None
            for code in item.missing:
                held = values is not None and bool((values == _num(code)).any())
                if _num(code) not in declared and held:
                    parts.append(
                        issues(
                            file,
                            "missing_not_declared",
                            name,
                            [-1],
                            [code],
                            [None],
                            f"code {code} is not declared user-missing in the file",
                            f"код {code} не оголошено пропущеним значенням у файлі",
                        )
                    )
    known.update(getattr(meta, "form_columns", None) or {})
    extra = [c for c in columns if c not in known]
    if extra:
        parts.append(
            issues(
                file,
                "extra_column",
                "",
                [-1] * len(extra),
                extra,
                [None] * len(extra),
                [f"column {c}" for c in extra],
                [f"стовпець {c}" for c in extra],
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()
