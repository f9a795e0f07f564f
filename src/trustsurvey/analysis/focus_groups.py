"""Focus groups: coded segments, theme matrices, valence, intercoder agreement.

Data model (one row per line of the files, nothing dropped):

- **groups** — ``id`` (or ``group_id``), ``community``, ``arm``, optional ``date``,
  ``participants`` and composition columns (kept as they are);
- **segments** — ``group`` (or ``group_id``), ``segment``, ``coder``, ``theme`` (or
  ``code``, ``theme_code``: a code of the codebook) and ``valence`` toward police
  (-1/0/1 or negative/neutral/positive). A segment with several themes has one row per
  theme; a double-coded segment has rows from each coder.

The codebook is the ``codebook:`` section of ``questionnaires/focus_group_protocol.yaml``
(``load_questionnaire(path).codebook``) or a plain ``{code: label}`` dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.errors import AnalysisError, DataValidationError, InputFileError

__all__ = [
    "FocusGroupData",
    "codebook_parents",
    "compare_with_survey",
    "intercoder_agreement",
    "read_focus_groups",
    "resolve_codebook",
    "theme_frequencies",
    "theme_heatmap",
    "valence_balance",
]

GROUP_ALIASES = {
    "group_id": ("group_id", "id", "group"),
    "community": ("community", "hromada"),
    "arm": ("arm", "pilot"),
}
SEGMENT_ALIASES = {
    "group_id": ("group_id", "group"),
    "segment": ("segment", "segment_id"),
    "coder": ("coder", "coder_id"),
    "theme": ("theme", "theme_code", "code"),
}
VALENCE_WORDS = {"negative": -1, "neutral": 0, "positive": 1, "neg": -1, "neu": 0, "pos": 1}


@dataclass
class FocusGroupData:
    """Checked focus-group records: groups, coded segments and the codebook used."""

    groups: pd.DataFrame
    segments: pd.DataFrame
    codebook: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- codebook
def resolve_codebook(codebook: Any = None, language: str = "en") -> dict[str, str]:
    """``{code: label}`` from a dict, a questionnaire, its ``Codebook``, a YAML path or None.

    None loads the standard ``focus_group_protocol`` instrument shipped with trustsurvey.

    >>> resolve_codebook({"trust": "Trust in police"})
    {'trust': 'Trust in police'}
    """
    if codebook is None or isinstance(codebook, str | Path):
        from trustsurvey.questionnaire import instrument_path, load_questionnaire

        path = instrument_path("focus_group_protocol") if codebook is None else codebook
        codebook = load_questionnaire(path)
    if hasattr(codebook, "codebook") and not hasattr(codebook, "themes"):
        if codebook.codebook is None:
            raise AnalysisError(
                "the questionnaire has no codebook",
                file=getattr(codebook, "source", None),
                hint="add a 'codebook:' section with the theme codes",
            )
        codebook = codebook.codebook
    if hasattr(codebook, "themes"):
        return {str(code): _label(theme.label, language) for code, theme in codebook.themes.items()}
    if isinstance(codebook, Mapping):
        return {str(k): str(v) for k, v in codebook.items()}
    if isinstance(codebook, Sequence):
        return {str(c): str(c) for c in codebook}
    raise AnalysisError(
        f"cannot use a {type(codebook).__name__} as a codebook",
        item="codebook",
        hint="pass a dict {code: label}, a questionnaire or the path of its YAML",
    )


def codebook_parents(codebook: Any = None) -> dict[str, str]:
    """``{child code: parent code}`` of a hierarchical codebook (empty for a plain dict).

    >>> codebook_parents({"trust": "Trust"})
    {}
    """
    if isinstance(codebook, Mapping):
        return {}
    if codebook is None or isinstance(codebook, str | Path):
        from trustsurvey.questionnaire import instrument_path, load_questionnaire

        path = instrument_path("focus_group_protocol") if codebook is None else codebook
        codebook = load_questionnaire(path)
    book = getattr(codebook, "codebook", None) if not hasattr(codebook, "themes") else codebook
    themes = getattr(book, "themes", {}) or {}
    return {str(c): str(t.parent) for c, t in themes.items() if getattr(t, "parent", None)}


def _label(text: Any, language: str) -> str:
    getter = getattr(text, "get", None)
    if getter is not None:
        value = getter(language)
        if value:
            return str(value)
    return str(text)


# --------------------------------------------------------------------------- reading
def _read_table(source: str | Path | pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), f"<{what} DataFrame>"
    path = Path(source)
    if not path.is_file():
        raise InputFileError(f"{what} file not found", file=path, hint="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, encoding="utf-8-sig")
        else:
            raise InputFileError(
                f"unsupported {what} file type {suffix!r}", file=path, hint="use CSV or XLSX"
            )
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as err:
        raise InputFileError(
            f"cannot read the {what} file ({err})", file=path, hint="save it as UTF-8 CSV or XLSX"
        ) from err
    if frame.empty:
        raise InputFileError(f"the {what} file has no rows", file=path)
    return frame, str(path)


def _rename(frame: pd.DataFrame, aliases: dict, file: str, required: Sequence[str]) -> pd.DataFrame:
    mapping = {}
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for canonical, names in aliases.items():
        for name in names:
            if name in lower:
                mapping[lower[name]] = canonical
                break
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        expected = [" or ".join(aliases[c]) for c in missing]
        raise DataValidationError(
            f"required column(s) missing: {'; '.join(expected)}",
            file=file,
            item=missing,
            hint=f"the file has columns {', '.join(map(str, frame.columns))}",
        )
    return frame.rename(columns=mapping)


def _rows(mask: pd.Series) -> list[int]:
    """1-based data row numbers (the header is not counted) where ``mask`` is True."""
    return [int(i) + 1 for i in np.flatnonzero(mask.to_numpy(dtype=bool))]


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


def _valence(series: pd.Series, file: str) -> pd.Series:
    def convert(v: Any) -> float:
        if pd.isna(v) or (isinstance(v, str) and not v.strip()):
            return np.nan
        if isinstance(v, str):
            key = v.strip().lower()
            if key in VALENCE_WORDS:
                return float(VALENCE_WORDS[key])
            try:
                v = float(key)
            except ValueError:
                return np.inf
        return float(v) if float(v) in (-1.0, 0.0, 1.0) else np.inf

    values = series.map(convert).astype("float64")
    bad = np.isinf(values)
    if bad.any():
        raise DataValidationError(
            f"valence not one of -1/0/1 or negative/neutral/positive: "
            f"{', '.join(map(str, series[bad].unique()[:5]))}",
            file=file,
            item="valence",
            row=_rows(bad),
            hint="code valence toward police as negative, neutral or positive",
        )
    return values


def read_focus_groups(
    groups_path: str | Path | pd.DataFrame,
    segments_path: str | Path | pd.DataFrame,
    codebook: Any = None,
    *,
    language: str = "en",
) -> FocusGroupData:
    """Read and check focus-group records from CSV/XLSX files (or DataFrames).

    Parameters
    ----------
    groups_path : path or DataFrame
        One row per group: ``id``/``group_id``, ``community``, ``arm`` (or ``pilot``),
        optional ``date``, ``participants`` and composition columns.
    segments_path : path or DataFrame
        One row per coded theme of a segment: ``group``/``group_id``, ``segment``,
        ``coder``, ``theme``/``code``/``theme_code``, optional ``valence``.
    codebook : dict, questionnaire, Codebook, path or None
        Allowed theme codes; None uses the standard ``focus_group_protocol`` instrument.
    language : str
        Language of the theme labels kept with the data.

    Returns
    -------
    FocusGroupData
        ``groups`` and ``segments`` with canonical column names (``group_id``,
        ``community``, ``arm``; ``group_id, segment, coder, theme, valence``) and every other
        column kept; ``codebook`` as ``{code: label}``.

    Raises
    ------
    DataValidationError
        A required column missing (e.g. no coder column), a duplicate group id, a segment of
        an unknown group, a blank coder or theme, a theme code not in the codebook, or a bad
        valence — naming the file, the rows (1-based, header not counted) and the values.

    Examples
    --------
    >>> groups = pd.DataFrame({"id": ["G1", "G2"], "community": ["Chuhuiv", "Zmiiv"],
    ...                        "arm": ["pilot", "control"], "participants": [8, 9]})
    >>> segments = pd.DataFrame({"group": ["G1", "G1", "G2"], "segment": [1, 2, 1],
    ...                          "coder": ["A", "A", "A"],
    ...                          "theme": ["trust", "respect", "trust"],
    ...                          "valence": ["positive", "neutral", "negative"]})
    >>> fg = read_focus_groups(groups, segments, codebook={"trust": "Trust", "respect": "Respect"})
    >>> fg.segments["valence"].tolist()
    [1.0, 0.0, -1.0]
    """
    codes = resolve_codebook(codebook, language)
    groups, gfile = _read_table(groups_path, "groups")
    segments, sfile = _read_table(segments_path, "segments")
    groups = _rename(groups, GROUP_ALIASES, gfile, ["group_id", "community", "arm"])
    segments = _rename(segments, SEGMENT_ALIASES, sfile, ["group_id", "segment", "coder", "theme"])

    for col in ("group_id", "community", "arm"):
        blank = _blank(groups[col])
        if blank.any():
            raise DataValidationError(
                f"blank {col}", file=gfile, item=col, row=_rows(blank), hint=f"fill in the {col}"
            )
    groups["group_id"] = groups["group_id"].astype(str).str.strip()
    dup = groups["group_id"].duplicated(keep=False)
    if dup.any():
        raise DataValidationError(
            f"duplicate group id(s): {', '.join(groups.loc[dup, 'group_id'].unique())}",
            file=gfile,
            item="group_id",
            row=_rows(dup),
            hint="give every focus group its own id",
        )
    if "participants" in groups.columns:
        n = pd.to_numeric(groups["participants"], errors="coerce")
        bad = ~_blank(groups["participants"]) & (n.isna() | (n < 1))
        if bad.any():
            raise DataValidationError(
                "participants must be a positive count",
                file=gfile,
                item="participants",
                row=_rows(bad),
            )

    for col in ("group_id", "segment", "coder", "theme"):
        blank = _blank(segments[col])
        if blank.any():
            raise DataValidationError(
                f"blank {col}",
                file=sfile,
                item=col,
                row=_rows(blank),
                hint=f"fill in the {col}; every coded segment needs one",
            )
    for col in ("group_id", "coder", "theme"):
        segments[col] = segments[col].astype(str).str.strip()
    unknown_group = ~segments["group_id"].isin(groups["group_id"])
    if unknown_group.any():
        raise DataValidationError(
            f"segment(s) of unknown group(s): "
            f"{', '.join(segments.loc[unknown_group, 'group_id'].unique()[:10])}",
            file=sfile,
            item="group_id",
            row=_rows(unknown_group),
            hint=f"add the group to {gfile} or correct the group id",
        )
    unknown_theme = ~segments["theme"].isin(list(codes))
    if unknown_theme.any():
        raise DataValidationError(
            f"theme code(s) not in the codebook: "
            f"{', '.join(segments.loc[unknown_theme, 'theme'].unique()[:10])}",
            file=sfile,
            item="theme",
            row=_rows(unknown_theme),
            hint="use a code of the codebook (focus_group_protocol.yaml) or add it there",
        )
    if "valence" in segments.columns:
        segments["valence"] = _valence(segments["valence"], sfile)
    else:
        segments["valence"] = np.nan
    files = {"groups": gfile, "segments": sfile}
    return FocusGroupData(groups, segments, codes, files, codebook_parents(codebook))


# --------------------------------------------------------------------------- matrices
def _primary(fg: FocusGroupData, coder: str | None) -> pd.DataFrame:
    """Segment rows of one coder: ``coder`` if given, else each segment's first coder."""
    seg = fg.segments
    if coder is not None:
        if coder not in set(seg["coder"]):
            raise AnalysisError(
                f"coder {coder!r} not in the segments file",
                file=fg.files.get("segments"),
                item="coder",
                hint=f"coders: {', '.join(sorted(seg['coder'].unique()))}",
            )
        return seg.loc[seg["coder"] == coder]
    first = seg.groupby(["group_id", "segment"], sort=False)["coder"].transform("first")
    return seg.loc[seg["coder"] == first]


def _with_parents(seg: pd.DataFrame, parents: dict[str, str]) -> pd.DataFrame:
    """Add a row for each ancestor of every coded theme (a sub-theme counts for its parent)."""
    extra = []
    current = seg
    for _ in range(10):  # codebooks are shallow; guard against cycles
        up = current.loc[current["theme"].isin(list(parents))].copy()
        if up.empty:
            break
        up["theme"] = up["theme"].map(parents)
        extra.append(up)
        current = up
    return pd.concat([seg, *extra], ignore_index=True) if extra else seg


def theme_frequencies(
    fg: FocusGroupData,
    by: str | Sequence[str] = "arm",
    *,
    coder: str | None = None,
    include_subthemes: bool = False,
) -> pd.DataFrame:
    """Share of groups and of segments mentioning each theme, by arm or community.

    Parameters
    ----------
    fg : FocusGroupData
        From :func:`read_focus_groups`.
    by : str or list of str
        Group-level columns, e.g. ``"arm"``, ``"community"`` or ``["arm", "community"]``.
    coder : str, optional
        Count one coder's codes; default each segment's first-listed coder, so a
        double-coded segment counts once.
    include_subthemes : bool
        Count a segment coded with a sub-theme (e.g. ``hotline``) for its parent theme
        (``responsiveness``) too, following the codebook's ``parent`` links.

    Returns
    -------
    DataFrame, one row per ``by`` level x codebook theme (zeros included):
        ``by`` columns, ``theme``, ``label``, ``groups_mentioning``, ``groups``,
        ``share_groups``, ``segments_mentioning``, ``segments``, ``share_segments``.

    Notes
    -----
    A group mentions a theme if any of its segments carries the code. Shares are of all
    groups (segments) in the level, including groups without coded segments.

    Examples
    --------
    >>> groups = pd.DataFrame({"id": ["G1", "G2"], "community": ["A", "B"],
    ...                        "arm": ["pilot", "control"]})
    >>> segments = pd.DataFrame({"group": ["G1", "G1", "G2"], "segment": [1, 2, 1],
    ...                          "coder": "A", "theme": ["trust", "respect", "trust"]})
    >>> fg = read_focus_groups(groups, segments, {"trust": "Trust", "respect": "Respect"})
    >>> theme_frequencies(fg).loc[:, ["arm", "theme", "share_groups"]].values.tolist()
    [['control', 'trust', 1.0], ['control', 'respect', 0.0], ['pilot', 'trust', 1.0], ['pilot', 'respect', 1.0]]
    """  # noqa: E501
    by_cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by_cols if c not in fg.groups.columns]
    if missing:
        raise AnalysisError("grouping column not in the groups file", item=missing)
    seg = _primary(fg, coder).merge(fg.groups[["group_id", *by_cols]], on="group_id")
    if include_subthemes:
        seg = _with_parents(seg, fg.parents)
    rows = []
    for key, gsub in fg.groups.groupby(by_cols, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ids = set(gsub["group_id"])
        ssub = seg.loc[seg["group_id"].isin(ids)]
        n_seg = ssub[["group_id", "segment"]].drop_duplicates().shape[0]
        for theme, label in fg.codebook.items():
            hit = ssub.loc[ssub["theme"] == theme]
            g_hit = hit["group_id"].nunique()
            s_hit = hit[["group_id", "segment"]].drop_duplicates().shape[0]
            row = dict(zip(by_cols, key, strict=True))
            row.update(
                theme=theme,
                label=label,
                groups_mentioning=g_hit,
                groups=len(ids),
                share_groups=g_hit / len(ids),
                segments_mentioning=s_hit,
                segments=n_seg,
                share_segments=s_hit / n_seg if n_seg else np.nan,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def valence_balance(
    fg: FocusGroupData, by: str | Sequence[str] | None = None, *, coder: str | None = None
) -> pd.DataFrame:
    """Valence toward police per theme: counts, balance and mean.

    Parameters
    ----------
    fg : FocusGroupData
    by : str or list of str, optional
        Group-level columns (e.g. ``"arm"``).
    coder : str, optional
        As :func:`theme_frequencies`.

    Returns
    -------
    DataFrame, one row per (``by`` level,) theme with coded segments:
        ``theme, label, segments, negative, neutral, positive, uncoded`` (no valence),
        ``balance = (positive - negative) / coded``, ``mean_valence``.

    Notes
    -----
    The balance is the net share of positive statements among segments with a valence,
    from -1 (all negative) to +1 (all positive).

    Examples
    --------
    >>> groups = pd.DataFrame({"id": ["G1"], "community": ["A"], "arm": ["pilot"]})
    >>> segments = pd.DataFrame({"group": "G1", "segment": [1, 2, 3], "coder": "A",
    ...                          "theme": "trust", "valence": [1, 1, -1]})
    >>> fg = read_focus_groups(groups, segments, {"trust": "Trust"})
    >>> round(float(valence_balance(fg)["balance"].iloc[0]), 3)
    0.333
    """
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    seg = _primary(fg, coder).merge(fg.groups[["group_id", *by_cols]], on="group_id")
    rows = []
    keys = [*by_cols, "theme"]
    for key, sub in seg.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        v = sub["valence"]
        coded = int(v.notna().sum())
        pos, neg = int((v == 1).sum()), int((v == -1).sum())
        row = dict(zip(keys, key, strict=True))
        row.update(
            label=fg.codebook.get(row["theme"], row["theme"]),
            segments=len(sub),
            negative=neg,
            neutral=int((v == 0).sum()),
            positive=pos,
            uncoded=len(sub) - coded,
            balance=(pos - neg) / coded if coded else np.nan,
            mean_valence=float(v.mean()) if coded else np.nan,
        )
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- agreement
def _kappa(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Cohen's kappa of two integer-coded raters (categories 0..k-1)."""
    n = len(a)
    if n == 0:
        return np.nan
    po = float((a == b).mean())
    pe = float((np.bincount(a, minlength=k) * np.bincount(b, minlength=k)).sum() / n**2)
    return (po - pe) / (1 - pe) if pe < 1 else np.nan


def _value_counts(matrix: np.ndarray) -> np.ndarray:
    """units x categories: how many coders gave each category to each unit."""
    k = int(np.nanmax(matrix)) + 1 if np.isfinite(matrix).any() else 1
    return np.stack([(matrix == c).sum(axis=0) for c in range(k)], axis=1)


def _kripp(counts: np.ndarray) -> float:
    """Krippendorff's nominal alpha (``krippendorff`` package) from unit x value counts."""
    import krippendorff

    pairable = counts[counts.sum(axis=1) >= 2]
    if (pairable.sum(axis=0) > 0).sum() < 2:
        return np.nan
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))


def _agreement_rows(
    matrix: np.ndarray, label: str, n_boot: int, ci: float, rng: np.random.Generator
) -> dict[str, Any]:
    """Statistics for a coders x units matrix of category numbers (NaN = not coded)."""
    n_coders, n_units = matrix.shape
    both = ~np.isnan(matrix).any(axis=0)
    note = []
    kappa = np.nan
    if n_coders == 2:
        a = matrix[0, both].astype(int)
        b = matrix[1, both].astype(int)
        k = int(np.nanmax(matrix)) + 1
        kappa = _kappa(a, b, k)
        agree = float((a == b).mean()) if both.any() else np.nan
    else:
        note.append("Cohen's kappa needs exactly two coders")
        pairs = matrix[:, both]
        agree = float((pairs == pairs[0]).all(axis=0).mean()) if both.any() else np.nan
    counts = _value_counts(matrix)
    alpha = _kripp(counts)
    if np.isnan(alpha):
        note.append("no variation in the codes: agreement coefficients undefined")
    picks = rng.integers(0, n_units, size=(n_boot, n_units))  # segments resampled
    boot_a = [_kripp(counts[pick]) for pick in picks]
    boot_k: list[float] = []
    if n_coders == 2:
        a_all = np.nan_to_num(matrix[0], nan=-1).astype(int)
        b_all = np.nan_to_num(matrix[1], nan=-1).astype(int)
        for pick in picks:
            ok = both[pick]
            boot_k.append(_kappa(a_all[pick][ok], b_all[pick][ok], k))
    q = [(1 - ci) / 2 * 100, (1 + ci) / 2 * 100]

    def interval(values: list[float], point: float) -> tuple[float, float]:
        arr = np.asarray(values, dtype=float)
        arr = arr[np.isfinite(arr)]
        if np.isnan(point) or arr.size < max(10, n_boot // 2):
            return np.nan, np.nan
        lo, hi = np.percentile(arr, q)
        return float(lo), float(hi)

    k_lo, k_hi = interval(boot_k, kappa) if n_coders == 2 else (np.nan, np.nan)
    a_lo, a_hi = interval(boot_a, alpha)
    return {
        "theme": label,
        "units": int(n_units),
        "units_all_coders": int(both.sum()),
        "coders": int(n_coders),
        "percent_agreement": agree,
        "cohen_kappa": kappa,
        "kappa_ci_low": k_lo,
        "kappa_ci_high": k_hi,
        "krippendorff_alpha": alpha,
        "alpha_ci_low": a_lo,
        "alpha_ci_high": a_hi,
        "note": "; ".join(note),
    }


def intercoder_agreement(
    fg: FocusGroupData,
    *,
    per_theme: bool = True,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 12345,
) -> pd.DataFrame:
    """Cohen's kappa and Krippendorff's alpha between coders, with bootstrap CIs.

    Parameters
    ----------
    fg : FocusGroupData
        Segments coded by two or more coders (only segments with at least two coders count).
    per_theme : bool
        Add one row per theme: agreement on the theme's presence (yes/no) per segment.
    n_boot : int
        Bootstrap replications (segments resampled with replacement).
    ci : float
        Level of the percentile intervals.
    seed : int
        Seed of the bootstrap (``numpy.random.default_rng``).

    Returns
    -------
    DataFrame; first row ``theme = "(all)"``, then ``"(valence)"`` (agreement on the
    valence toward police, when coded), then one row per theme:
        ``theme, units`` (segments), ``units_all_coders``, ``coders``,
        ``percent_agreement``, ``cohen_kappa, kappa_ci_low, kappa_ci_high``,
        ``krippendorff_alpha, alpha_ci_low, alpha_ci_high``, ``note`` (why a value is NA).

    Notes
    -----
    When every coder gives one theme per segment, "(all)" is agreement on that nominal
    code; when segments carry several themes, "(all)" pools the presence/absence decisions
    over segment x theme units. Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` (Cohen 1960; as
    statsmodels ``cohens_kappa``); Krippendorff's alpha, nominal, by the ``krippendorff``
    package (Krippendorff 2011), handles missing codings. Percentile bootstrap over segments
    (Hayes and Krippendorff 2007). R: ``irr::kappa2``, ``irr::kripp.alpha(method="nominal")``.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educ. Psychol. Meas. 20.
    Hayes, A. F. and Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. Communication Methods and Measures 1, 77-89.

    Examples
    --------
    >>> groups = pd.DataFrame({"id": ["G1"], "community": ["A"], "arm": ["pilot"]})
    >>> segments = pd.DataFrame({"group": "G1", "segment": [1, 1, 2, 2, 3, 3, 4, 4],
    ...     "coder": ["A", "B"] * 4,
    ...     "theme": ["trust", "trust", "respect", "respect", "trust", "respect",
    ...               "respect", "respect"]})
    >>> fg = read_focus_groups(groups, segments, {"trust": "Trust", "respect": "Respect"})
    >>> res = intercoder_agreement(fg, n_boot=50, per_theme=False)
    >>> round(float(res["cohen_kappa"].iloc[0]), 3)
    0.5
    """
    seg = fg.segments
    coders = sorted(seg["coder"].unique())
    per_seg = seg.groupby(["group_id", "segment"])["coder"].nunique()
    multi = per_seg[per_seg >= 2].index
    if len(multi) == 0:
        raise AnalysisError(
            "no segment is coded by two or more coders",
            file=fg.files.get("segments"),
            item="coder",
            hint="double-code a subset of segments to measure agreement",
        )
    seg = seg.set_index(["group_id", "segment"]).loc[multi].reset_index()
    coders = sorted(seg["coder"].unique())
    units = list(multi)
    rng = np.random.default_rng(seed)
    counts = seg.groupby(["group_id", "segment", "coder"]).size()
    single = bool((counts == 1).all())
    themes = list(fg.codebook)
    presence = (
        seg.assign(hit=1.0)
        .pivot_table(index=["group_id", "segment", "coder"], columns="theme", values="hit",
                     aggfunc="max")
        .reindex(columns=themes)
    )  # fmt: skip
    coded = seg[["group_id", "segment", "coder"]].drop_duplicates()
    rows = []
    if single:
        code_num = {t: i for i, t in enumerate(themes)}
        m = np.full((len(coders), len(units)), np.nan)
        pos = {u: j for j, u in enumerate(units)}
        for r in seg.itertuples(index=False):
            m[coders.index(r.coder), pos[(r.group_id, r.segment)]] = code_num[r.theme]
        rows.append(_agreement_rows(m, "(all)", n_boot, ci, rng))
    else:
        blocks = [_presence_matrix(presence, coded, coders, units, t) for t in themes]
        rows.append(_agreement_rows(np.concatenate(blocks, axis=1), "(all)", n_boot, ci, rng))
        rows[-1]["note"] = "; ".join(
            filter(None, ["several themes per segment: pooled presence/absence", rows[-1]["note"]])
        )
    if seg["valence"].notna().any():
        rows.append(_valence_agreement(seg, coders, single, n_boot, ci, rng))
    if per_theme:
        for t in themes:
            m = _presence_matrix(presence, coded, coders, units, t)
            rows.append(_agreement_rows(m, t, n_boot, ci, rng))
            if np.nansum(m) == 0:
                rows[-1]["note"] = "theme not used in the double-coded segments"
    return pd.DataFrame(rows)


def _valence_agreement(
    seg: pd.DataFrame, coders: list[str], single: bool, n_boot: int, ci: float, rng
) -> dict[str, Any]:
    """Agreement on valence: per segment (one theme each) or per segment x theme."""
    keys = ["group_id", "segment"] if single else ["group_id", "segment", "theme"]
    coded = seg.dropna(subset=["valence"])
    n_coders = coded.groupby(keys)["coder"].nunique()
    units = list(n_coders[n_coders >= 2].index)
    if not units:
        return {"theme": "(valence)", "units": 0, "coders": len(coders),
                "note": "no unit with a valence from two coders"}  # fmt: skip
    pos = {u: j for j, u in enumerate(units)}
    m = np.full((len(coders), len(units)), np.nan)
    for r in coded.itertuples(index=False):
        key = tuple(getattr(r, k) for k in keys)
        if key in pos:
            m[coders.index(r.coder), pos[key]] = r.valence + 1  # -1/0/1 -> 0/1/2
    row = _agreement_rows(m, "(valence)", n_boot, ci, rng)
    unit = "segments" if single else "segment x theme units both coders gave that theme"
    row["note"] = "; ".join(filter(None, [f"valence agreement over {unit}", row["note"]]))
    return row


def _presence_matrix(
    presence: pd.DataFrame, coded: pd.DataFrame, coders: list[str], units: list, theme: str
) -> np.ndarray:
    """coders x units: 1 theme coded, 0 segment coded without it, NaN coder did not code it."""
    m = np.full((len(coders), len(units)), np.nan)
    pos = {u: j for j, u in enumerate(units)}
    rows = [coders.index(c) for c in coded["coder"]]
    cols = [pos[u] for u in zip(coded["group_id"], coded["segment"], strict=True)]
    keys = pd.MultiIndex.from_frame(coded[["group_id", "segment", "coder"]])
    values = presence[theme].reindex(keys).to_numpy()
    m[rows, cols] = np.where(values == 1, 1.0, 0.0)
    return m


# --------------------------------------------------------------------------- survey link
PHASES = {1: "pre", 2: "post", "1": "pre", "2": "post", "pre": "pre", "post": "post",
          "before": "pre", "after": "post"}  # fmt: skip


def compare_with_survey(
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    item: str,
    groups: pd.DataFrame | None = None,
    phase: str = "phase",
    missing_codes: Sequence[float] = (8, 9),
) -> pd.DataFrame:
    """Participants' pre/post trust beside the survey estimate for their community.

    Parameters
    ----------
    participants : DataFrame
        One row per participant and phase: ``group_id`` (or ``group``), ``phase``
        (1/"pre"/"before" and 2/"post"/"after"), the item, and ``community`` (or give
        ``groups`` to look it up).
    survey : DataFrame
        ``community, estimate, ci_low, ci_high``: the weighted survey estimate of the item
        per community, e.g. ``SurveyDesign.mean(item, by="community")`` (community as
        a column or as the index).
    item : str
        The participants' item on the survey's scale (an outcome of the study's analysis plan).
    groups : DataFrame, optional
        ``FocusGroupData.groups``, used when participants lack a community column.
    phase : str
        Phase column.
    missing_codes : sequence
        Answer codes treated as missing (8 "difficult to answer", 9 "refused").

    Returns
    -------
    DataFrame, one row per community x phase:
        ``community, phase, participants`` (valid answers), ``fg_mean, fg_se``,
        ``survey_estimate, survey_ci_low, survey_ci_high``, ``difference`` (focus group
        minus survey), ``z`` and ``p`` (normal test of the difference, the survey SE taken
        as CI width / (2 x 1.96)), ``reading`` ("more trusting than the survey",
        "less trusting than the survey", "in line with the survey", or why it is NA).

    Notes
    -----
    Focus-group participants are not a probability sample; the comparison shows whether
    they were unusually trusting or distrusting residents (a selection check, Krueger and
    Casey 2015, ch. 10), not a population estimate. ``z = (mean_fg - est) /
    sqrt(se_fg^2 + se_survey^2)``, two-sided p at 0.05 decides the reading.

    Examples
    --------
    >>> part = pd.DataFrame({"group_id": ["G1"] * 6, "community": "Chuhuiv",
    ...                      "phase": [1, 1, 1, 2, 2, 2], "trust": [4, 5, 4, 5, 5, 4]})
    >>> survey = pd.DataFrame({"community": ["Chuhuiv"], "estimate": [3.0],
    ...                        "ci_low": [2.8], "ci_high": [3.2]})
    >>> compare_with_survey(part, survey, item="trust")["reading"].tolist()
    ['more trusting than the survey', 'more trusting than the survey']
    """
    part = participants.copy()
    if "group_id" not in part.columns and "group" in part.columns:
        part = part.rename(columns={"group": "group_id"})
    for col in (item, phase):
        if col not in part.columns:
            raise AnalysisError("column not in the participants' table", item=col)
    if "community" not in part.columns:
        if groups is None or "group_id" not in part.columns:
            raise AnalysisError(
                "participants have no community column",
                item="community",
                hint="add a community column or pass groups= (FocusGroupData.groups)",
            )
        lookup = groups.set_index("group_id")["community"]
        part["community"] = part["group_id"].astype(str).map(lookup)
        unknown = part["community"].isna()
        if unknown.any():
            raise DataValidationError(
                "participants of unknown groups", item="group_id", row=_rows(unknown)
            )
    if "community" not in survey.columns and survey.index.name == "community":
        survey = survey.reset_index()  # e.g. SurveyDesign.mean(item, by="community")
    need = {"community", "estimate", "ci_low", "ci_high"} - set(survey.columns)
    if need:
        raise AnalysisError("survey estimates lack column(s)", item=sorted(need))
    ph = part[phase].map(lambda v: PHASES.get(v if not isinstance(v, str) else v.strip().lower()))
    if ph.isna().any():
        raise DataValidationError(
            "phase must be 1/pre/before or 2/post/after",
            item=phase,
            row=_rows(ph.isna()),
        )
    part["_phase"] = ph
    y = pd.to_numeric(part[item], errors="coerce")
    bad = part[item].notna() & y.isna()
    if bad.any():
        shown = ", ".join(map(str, part.loc[bad, item].unique()[:5]))
        raise DataValidationError(
            f"answers that are not numbers: {shown}",
            item=item,
            row=_rows(bad),
            hint="use the questionnaire's answer codes",
        )
    blank = _blank(part["community"])
    if blank.any():
        raise DataValidationError("participants without a community", item="community",
                                  row=_rows(blank))  # fmt: skip
    part["_y"] = y.where(~y.isin(list(missing_codes)))
    est = survey.set_index(survey["community"].astype(str))
    rows = []
    for (community, p), sub in part.groupby(["community", "_phase"], sort=True):
        vals = sub["_y"].dropna()
        row: dict[str, Any] = {
            "community": community,
            "phase": p,
            "participants": len(vals),
            "fg_mean": float(vals.mean()) if len(vals) else np.nan,
            "fg_se": float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else np.nan,
        }
        row.update(_survey_side(row, est.loc[str(community)] if str(community) in est.index
                                else None))  # fmt: skip
        rows.append(row)
    out = pd.DataFrame(rows)
    rank = out["phase"].map({"pre": 0, "post": 1})
    out = out.assign(_rank=rank).sort_values(["community", "_rank"], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def _survey_side(fg: dict[str, Any], est: pd.Series | None) -> dict[str, Any]:
    """Survey estimate, difference, z, p and a reading for one community x phase."""
    if est is None:
        return {"survey_estimate": np.nan, "survey_ci_low": np.nan, "survey_ci_high": np.nan,
                "difference": np.nan, "z": np.nan, "p": np.nan,
                "reading": "NA: no survey estimate for this community"}  # fmt: skip
    crit = stats.norm.isf(0.025)
    out: dict[str, Any] = {
        "survey_estimate": float(est["estimate"]),
        "survey_ci_low": float(est["ci_low"]),
        "survey_ci_high": float(est["ci_high"]),
    }
    se_survey = (out["survey_ci_high"] - out["survey_ci_low"]) / (2 * crit)
    diff = fg["fg_mean"] - out["survey_estimate"]
    z = p = np.nan
    if fg["participants"] == 0:
        reading = "NA: no valid answers from participants"
    elif fg["participants"] < 2:
        reading = "NA: fewer than two valid answers"
    else:
        denom = float(np.sqrt(fg["fg_se"] ** 2 + se_survey**2))
        z = diff / denom if denom > 0 else np.nan
        p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
        if np.isnan(p):
            reading = "NA: no variation to compare"
        elif p >= 0.05:
            reading = "in line with the survey"
        elif diff > 0:
            reading = "more trusting than the survey"
        else:
            reading = "less trusting than the survey"
    out.update(difference=diff, z=z, p=p, reading=reading)
    return out


# --------------------------------------------------------------------------- figure
def theme_heatmap(
    freq: pd.DataFrame, *, value: str = "share_groups", by: str = "arm", title: str | None = None
):
    """Plotly heatmap of theme frequencies (themes x arms) from :func:`theme_frequencies`.

    Parameters
    ----------
    freq : DataFrame
        Output of :func:`theme_frequencies` with a ``by`` column.
    value : {"share_groups", "share_segments"}
        Which share to colour.
    by : str
        Column for the x axis.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> freq = pd.DataFrame({"arm": ["pilot", "control"], "theme": ["trust", "trust"],
    ...                      "label": ["Trust", "Trust"], "share_groups": [0.5, 1.0]})
    >>> theme_heatmap(freq).data[0].type
    'heatmap'
    """
    import plotly.graph_objects as go

    for col in (by, "label", value):
        if col not in freq.columns:
            raise AnalysisError("column not in the theme table", item=col)
    wide = freq.pivot_table(index="label", columns=by, values=value, sort=False)
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(),
            x=[str(c) for c in wide.columns],
            y=list(wide.index),
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": value.replace("_", " ")},
            hovertemplate="%{y}<br>%{x}: %{z:.0%}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title or f"Focus-group themes by {by} ({value.replace('_', ' ')})",
        yaxis={"autorange": "reversed"},
        height=max(300, 28 * len(wide.index) + 120),
    )
    return fig
