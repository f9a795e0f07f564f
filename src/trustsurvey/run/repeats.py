"""The repeat groups of Kobo/ODK waves in the run: kept beside the analysis frame.

Estimation stays one row per respondent: the analysis frame (``out/analysis.parquet``) holds
the respondent tables only. The repeat rows (one per instance: a household member, a
contact with the police…) are validated with the waves and written to ``out/repeats/``:

- ``<repeat>.parquet``: every row of the repeat, all waves stacked, with ``wave``,
  ``respondent_row`` (the 1-based row of its respondent in the wave file, empty when its
  parent is missing; the analysis frame's ``source_row``) and the respondent's id;
- ``per_respondent.csv``: one row per respondent of each such wave (``wave``, ``row``, id)
  and one column per repeat, the number of its instances (0 for none), to join onto the
  analysis frame by ``wave`` and ``source_row`` (or the id).

Nothing is dropped: every repeat row, orphans included, is written and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey.run.context import RunContext
from trustsurvey.run.frame import respondent_id_column


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text (mixed values cannot go to Parquet as they are)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: None if pd.isna(v) else str(v))
            out[column] = out[column].astype("string")
    return out


def repeat_tables(ctx: RunContext) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Each repeat's rows over all waves, and the instances per respondent."""
    from trustsurvey.validation.repeats import respondent_rows, rows_per_respondent

    id_column = respondent_id_column(ctx.study.questionnaire)
    tables: dict[str, list[pd.DataFrame]] = {}
    counts: list[pd.DataFrame] = []
    for code, export in ctx.exports.items():
        if not export.repeats:
            continue
        main = export.data.data
        ids = main[id_column] if id_column and id_column in main else None
        head = pd.DataFrame({"wave": code, "row": np.arange(1, len(main) + 1)})
        if ids is not None and id_column is not None:
            head[id_column] = ids.to_numpy()
        counts.append(pd.concat([head, rows_per_respondent(export)], axis=1))
        for repeat, sd in export.repeats.items():
            rows = respondent_rows(export, repeat)
            table = sd.data.copy()
            table.insert(0, "wave", code)
            table.insert(1, "respondent_row", pd.array(rows + 1, dtype="Int64"))
            if ids is not None and id_column is not None and id_column not in table:
                known = ~np.isnan(rows)
                picked = np.full(len(rows), None, dtype=object)
                picked[known] = ids.to_numpy()[rows[known].astype(int)]
                table.insert(2, id_column, picked)
            tables.setdefault(repeat, []).append(table)
    stacked = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    per = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame()
    for name in stacked:
        if name in per:
            per[name] = per[name].fillna(0).astype("int64")
    return stacked, per


def write_repeats(ctx: RunContext) -> None:
    """Write ``out/repeats/`` (nothing when no wave has repeat groups)."""
    stacked, per = repeat_tables(ctx)
    if not stacked:
        return
    folder = ctx.study.out_dir / "repeats"
    for name, table in stacked.items():
        target = folder / f"{name}.parquet"
        with atomic_path(target) as tmp:
            _plain(table).to_parquet(tmp, index=False)
        ctx.outputs[f"repeat_{name}"] = target
    target = folder / "per_respondent.csv"
    with atomic_path(target) as tmp:
        per.to_csv(tmp, index=False, encoding="utf-8")
    ctx.outputs["repeats_per_respondent"] = target
    for name, table in stacked.items():
        linked = int(table["respondent_row"].notna().sum())
        ctx.echo(
            f"      repeat {name}: {len(table)} rows, {linked} linked to a respondent "
            f"(out/repeats/{name}.parquet; instances per respondent in per_respondent.csv)"
        )
