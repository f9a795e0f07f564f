"""The single call the ``trustsurvey run`` pipeline makes at its end.

>>> import tempfile
>>> from trustsurvey.publish.fixture import synthetic_tables, synthetic_meta
>>> out = tempfile.mkdtemp()
>>> path = publish_study_results({"estimates": synthetic_tables()["estimates"]}, out,
...                              study_meta=synthetic_meta())
>>> path.name, sorted(p.name for p in path.iterdir())
('bundle', ['estimates.parquet', 'manifest.json'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey.publish.bundle import write_bundle


def publish_study_results(
    tables: Mapping[str, pd.DataFrame | Sequence[pd.DataFrame] | None],
    out_dir: str | Path,
    *,
    study_meta: Mapping[str, Any],
    policy: Any = None,
    report: bool = False,
    previous: str | Path | None = None,
    derived: Any = None,
) -> Path:
    """Write ``out_dir/bundle`` (and optionally the HTML and Excel report) from tidy tables.

    Pass whatever tables exist; absent kinds (``None`` or missing keys) are skipped.

    Parameters
    ----------
    tables
        Kind -> tidy DataFrame (or list of DataFrames, concatenated). Grouping columns may be
        columns or the index (as ``SurveyDesign.mean(..., by=...)`` returns them). A key
        column the table lacks means "all" (a margin). One extra grouping column on an
        ``estimates`` table (e.g. ``sex``) becomes ``subgroup='sex', level=<value>``. Kinds:

        - ``estimates``: ``outcome, [community, arm,] wave, [subgroup, level,] estimate, se,
          ci_low, ci_high, df, deff, n`` (``n`` = unweighted respondents behind the estimate)
        - ``likert``: ``outcome, [community, arm,] wave, category, order, share, se, n,
          dont_know`` (one row per answer category incl. "difficult to answer"; ``n`` = its
          unweighted count)
        - ``did``: ``outcome, contrast, estimate, se, ci_low, ci_high, p_value, df, n``
        - ``problems``: ``[community, arm,] wave, problem, rank, share, se, n``
        - ``focus_groups``: ``theme, arm, [wave,] n_groups, n_mentions, share_groups``
        - ``sample_sizes``: ``[community, arm,] wave, n, n_weighted, response_rate``
        - ``weighting``: ``[community, arm,] wave, statistic, value``
        - ``quality``: ``wave, check, n_flagged, share_flagged``
    out_dir
        ``STUDY/out``.
    study_meta
        ``study`` (required), ``title`` ({uk, en}), ``waves`` ([{code, label}]),
        ``questionnaire_hash``, ``n_respondents``, ``arms`` ({community: arm}), ``labels``
        ({"outcome"|"community"|"arm"|"problem"|"theme"|"subgroup"|"level": {code: {uk, en}},
        "category": {outcome: {code: {uk, en}}}}), ``pii_items``, ``free_text_items``.
    policy
        ``study.publish`` (``min_cell``, ``max_cv``), a mapping, a
        :class:`~trustsurvey.publish.policy.DisclosurePolicy` or ``None`` (defaults 30, 0.3).
    report
        Also write ``out_dir/report.html`` and ``out_dir/tables.xlsx``.
    previous
        The last released bundle of the study, when this run updates it
        (:func:`~trustsurvey.publish.bundle.write_bundle`).
    derived
        Tables computed from the protected ones (``write_bundle``'s ``derived``).

    Returns
    -------
    Path of the written bundle folder.
    """
    path = write_bundle(
        {k: v for k, v in tables.items() if v is not None},
        out_dir,
        study_meta=study_meta,
        policy=policy,
        previous=previous,
        derived=derived,
    )
    if report:
        from trustsurvey.publish.report import write_report

        write_report(path, Path(out_dir))
    return path
