"""Whole-pipeline properties of the published bundle (issue 8, "Fuzzing and properties").

* Rows permuted -> the same bundle: every Parquet table byte for byte, and the manifest but
  for its creation time. The pipeline puts respondents in a canonical order (by wave and
  respondent id, :func:`trustsurvey._order.canonical_order`) from ``clean`` on;
  without it the floating-point sums of the estimates, shares and weights came out in a
  different order and differed in their last bits (floating-point addition is not
  associative).
* One respondent removed, or one new respondent added -> the disclosure audit
  (:func:`trustsurvey.publish.audit.audit_bundle`) passes on the new bundle; and an intruder
  holding both bundles learns nothing more: neither by subtraction (a count published in one
  and suppressed in the other, :func:`differencing_exposures`) nor by the audit's LP fed
  with the other bundle's counts (:func:`joint_exposures`). The update that adds one
  respondent names the first bundle as ``publish.previous_bundle``, as a re-publication
  must: without it, one respondent added to a small cell of ``min_cell - 1`` gave the old
  small cells back.

The studies are copies of the bundled example study (about 4,000 respondents), their wave
files rewritten (never the originals), run through the steps of ``trustsurvey run`` that make
the bundle (:data:`BUNDLE_STEPS`). The respondent removed sits in the smallest published
answer count; the one added joins the largest small (suppressed) count, so that it reaches
``min_cell``: where one respondent matters most. Longer runs (more permutations, more
respondents removed and added, every step): ``benchmarks/prop_bundle_long.py``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "example"
#: manifest keys that legitimately differ between two runs on the same data
RUN_SPECIFIC = ("created",)


# -- building study copies ----------------------------------------------------------------


def copy_study(src: Path, dst: Path) -> Path:
    """A copy of the study folder ``src`` (without its outputs) at ``dst``."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("out"))
    return dst


def rewrite_waves(folder: Path, change: Callable[[int, pd.DataFrame], pd.DataFrame]) -> None:
    """Replace each wave file of the study copy ``folder`` by ``change(wave, rows)``, keeping
    the file's labels and missing codes (raw files of the original study are never touched:
    only copies are rewritten)."""
    from trustsurvey.io import read_survey, write_survey
    from trustsurvey.io.survey_data import SurveyData
    from trustsurvey.study import load_study

    study = load_study(folder)
    if study.folder.resolve() == EXAMPLE.resolve():
        raise ValueError("rewrite only copies of the example study")
    for wave in study.waves:
        sd = read_survey(wave.file)
        new = change(wave.code, sd.data)
        if new is sd.data:  # this wave is unchanged
            continue
        new = new.reset_index(drop=True)
        meta = sd.meta
        if hasattr(meta, "n_rows"):
            import dataclasses

            meta = dataclasses.replace(meta, n_rows=len(new))
        wave.file.unlink()
        write_survey(SurveyData(new, meta), wave.file)


def permuted(seed: int, *, keep_pairs: bool = True) -> Callable[[int, pd.DataFrame], pd.DataFrame]:
    """A row permutation per wave (seeded). With ``keep_pairs`` two interviews with identical
    answers keep their relative order (see :func:`test_the_dropped_copy_of_a_duplicated_\
interview_does_not_depend_on_row_order` for why)."""

    def change(wave: int, rows: pd.DataFrame) -> pd.DataFrame:
        order = np.random.default_rng([seed, wave]).permutation(len(rows))
        if keep_pairs:
            order = _keep_duplicate_order(rows, order)
        return rows.iloc[order]

    return change


def duplicate_groups(rows: pd.DataFrame) -> list[np.ndarray]:
    """Positions of interviews with identical answers (as the validation's duplicate check
    compares them), groups of two or more."""
    from trustsurvey.questionnaire import instrument_path, load_questionnaire
    from trustsurvey.validation.quality import answer_columns

    q = load_questionnaire(instrument_path("police_trust_core"))
    cols = answer_columns(rows, q)
    hashed = pd.util.hash_pandas_object(rows[cols], index=False).to_numpy()
    groups = pd.Series(np.arange(len(rows))).groupby(hashed).indices
    return [np.sort(g) for g in groups.values() if len(g) > 1]


def _keep_duplicate_order(rows: pd.DataFrame, order: np.ndarray) -> np.ndarray:
    order = order.copy()
    where = np.empty(len(order), dtype=int)
    where[order] = np.arange(len(order))  # new position of each old row
    for group in duplicate_groups(rows):
        slots = np.sort(where[group])
        order[slots] = group  # the same slots, the copies in their old relative order
    return order


def swap_duplicates(wave: int, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with every group of identical interviews in reversed order (nothing else
    moves)."""
    order = np.arange(len(rows))
    for group in duplicate_groups(rows):
        order[group] = group[::-1]
    return rows.iloc[order]


def run_bundle(folder: Path, names: tuple[str, ...] | None = None) -> Path:
    """Run the pipeline of ``trustsurvey run`` on ``folder`` (the steps named in ``names``,
    default :data:`BUNDLE_STEPS`); return its bundle."""
    from trustsurvey.run.pipeline import STEPS, run_study

    names = BUNDLE_STEPS if names is None else names
    ctx = run_study(folder, steps=[s for s in STEPS if s.name in names], echo=lambda s: None)
    return ctx.outputs["bundle"]


# -- comparing bundles --------------------------------------------------------------------


def bundle_differences(a: Path, b: Path, ignore: tuple[str, ...] = RUN_SPECIFIC) -> list[str]:
    """What differs between two bundle folders: tables byte for byte, the manifest as JSON
    without the ``ignore`` keys. Empty when they are the same."""
    out = []
    files_a = sorted(p.name for p in a.glob("*.parquet"))
    files_b = sorted(p.name for p in b.glob("*.parquet"))
    if files_a != files_b:
        out.append(f"tables {files_a} != {files_b}")
    for name in sorted(set(files_a) & set(files_b)):
        if (a / name).read_bytes() != (b / name).read_bytes():
            out.append(f"{name}: {_why(a / name, b / name)}")
    ma, mb = (json.loads((p / "manifest.json").read_text("utf-8")) for p in (a, b))
    for key in sorted(set(ma) | set(mb)):
        if key not in ignore and ma.get(key) != mb.get(key):
            out.append(f"manifest[{key!r}] differs")
    return out


def _why(fa: Path, fb: Path) -> str:
    x, y = pd.read_parquet(fa), pd.read_parquet(fb)
    if x.shape != y.shape or list(x.columns) != list(y.columns):
        return f"shape/columns {x.shape} vs {y.shape}"
    worst = []
    for col in x.columns:
        if x[col].equals(y[col]):
            continue
        if x[col].dtype.kind == "f" and y[col].dtype.kind == "f":
            d = np.nanmax(np.abs(x[col].to_numpy() - y[col].to_numpy()), initial=0.0)
            worst.append(f"{col} (max |diff| {d:.2g})")
        else:
            worst.append(col)
    return ", ".join(worst) or "same values, different bytes (Parquet metadata)"


# -- one respondent more or less ------------------------------------------------------------


def answer_counts(folder: Path) -> pd.DataFrame:
    """True answer counts behind the bundle's Likert table of the run in ``folder``:
    ``outcome, arm, wave, category, n`` over the respondents cleaning kept (raw codes, so
    "difficult to answer" counts), one row per answer given, with the bundle's
    ``suppressed`` and ``suppression_reason`` of the matching arm-level row."""
    from trustsurvey.io import read_survey
    from trustsurvey.publish.schema import ALL
    from trustsurvey.study import load_study

    study = load_study(folder)
    lik = pd.read_parquet(study.out_dir / "bundle" / "likert.parquet")
    lik = lik[(lik["community"] == ALL) & (lik["arm"] != ALL)]
    parts = []
    for wave in study.waves:
        data = read_survey(study.out_dir / "clean" / f"{wave.file.stem}_clean.sav").data
        data = data.assign(arm=study.arms.arm_of(data))
        for item in sorted(lik["outcome"].unique()):
            n = data.groupby(["arm", item]).size().rename("n").reset_index()
            n = n.rename(columns={item: "code"}).assign(outcome=item, wave=wave.code)
            n["category"] = n["code"].map(lambda v: str(int(v)))
            parts.append(n)
    counts = pd.concat(parts, ignore_index=True)
    keys = ["outcome", "arm", "wave", "category"]
    flags = lik[[*keys, "suppressed", "suppression_reason"]]
    return counts.merge(flags, on=keys, how="inner").sort_values(keys, ignore_index=True)


def respondents_in(folder: Path, cell: pd.Series) -> list[Any]:
    """Ids of the respondents cleaning kept in the answer-count ``cell`` (one wave)."""
    from trustsurvey.io import read_survey
    from trustsurvey.study import load_study

    study = load_study(folder)
    wave = next(w for w in study.waves if w.code == cell["wave"])
    data = read_survey(study.out_dir / "clean" / f"{wave.file.stem}_clean.sav").data
    arm = study.arms.arm_of(data)
    hit = (arm == cell["arm"]).to_numpy() & (data[cell["outcome"]] == cell["code"]).to_numpy()
    return sorted(data.loc[hit, "resp_id"])


def without(wave: int, resp_id: Any) -> Callable[[int, pd.DataFrame], pd.DataFrame]:
    """Remove respondent ``resp_id`` from ``wave``."""

    def change(code: int, rows: pd.DataFrame) -> pd.DataFrame:
        if code != wave:
            return rows
        keep = rows["resp_id"] != resp_id
        assert (~keep).sum() == 1
        return rows[keep]

    return change


def with_new(
    wave: int, like: Any, item: str, code: float, id_offset: int = 1
) -> Callable[[int, pd.DataFrame], pd.DataFrame]:
    """Add a new respondent to ``wave``: a copy of respondent ``like`` (same PSU and design
    weight) answering ``code`` to ``item`` and one minute longer, with a new id (the wave's
    largest plus ``id_offset``), appended at the end of the file. The changed answer keeps it
    from being taken for a duplicate interview."""

    def change(w: int, rows: pd.DataFrame) -> pd.DataFrame:
        if w != wave:
            return rows
        new = rows[rows["resp_id"] == like].copy()
        assert len(new) == 1 and float(new[item].iloc[0]) != code
        new["resp_id"] = rows["resp_id"].max() + id_offset
        new[item] = code
        new["duration_min"] = new["duration_min"] + 1.0
        return pd.concat([rows, new], ignore_index=True)

    return change


# -- the intruder with two bundles ----------------------------------------------------------


def differencing_exposures(old: Path, new: Path, changed: int = 1) -> pd.DataFrame:
    """Count cells an intruder holding both bundles pins down by subtraction.

    Both bundles publish the sample sizes, so the intruder learns how many respondents
    differ (``changed``); one respondent adds at most 1 to any count cell (an answer count,
    a sample size, a domain's n). A count suppressed in one bundle and published in the
    other is then known within ``published ± changed`` (intersected with what the
    suppression reason says: a small cell holds at most ``threshold - 1``) — a width of at
    most ``2 * changed``. The cell is exposed when that is below the protection it needs
    (the audit's criterion, :func:`trustsurvey.publish.audit.audit_tables`). Withheld
    ``n`` beside a published mean (reason ``n_withheld``) need no protection of their own
    and are not listed. Rows are matched on the table's key columns.
    """
    from trustsurvey.publish.schema import KINDS

    (a, _), (b, _) = _read(old), _read(new)
    policy = b.policy
    rows = []
    for kind in sorted(set(a.tables) & set(b.tables)):
        spec = KINDS[kind]
        if not spec.count or "suppressed" not in a.tables[kind]:
            continue
        keys = list(spec.keys)
        both = a.tables[kind].merge(b.tables[kind], on=keys, suffixes=("_old", "_new"))
        for hidden, shown in (("new", "old"), ("old", "new")):
            mask = both[f"suppressed_{hidden}"] & ~both[f"suppressed_{shown}"]
            mask &= both[f"suppression_reason_{hidden}"].isin(["small_cell", "complementary"])
            for _, r in both[mask].iterrows():
                value = float(r[f"{spec.count}_{shown}"])
                lo, hi = value - changed, value + changed
                floor = _threshold(policy, kind)
                if r[f"suppression_reason_{hidden}"] == "small_cell":
                    hi = min(hi, floor - 1)
                else:
                    lo = max(lo, floor)
                lo = max(lo, 0.0)
                rows.append(
                    {
                        "table": kind,
                        **{k: r[k] for k in keys},
                        "suppressed_in": hidden,
                        "reason": r[f"suppression_reason_{hidden}"],
                        "published": value,
                        "lower": lo,
                        "upper": hi,
                        "exposed": hi - lo < min(policy.protection_interval, floor - 1),
                    }
                )
    return pd.DataFrame(rows)


def joint_exposures(target: Path, other: Path, changed: int = 1) -> pd.DataFrame:
    """The LP audit of bundle ``target`` by an intruder who also holds bundle ``other``.

    As :func:`trustsurvey.publish.audit.audit_tables` (the relations of
    :func:`trustsurvey.publish.relations.build_cells`, the bounds the suppression reasons
    imply, margins read as adding up exactly where the numbers allow it), plus what the other
    bundle adds: every count of ``target`` that ``other`` publishes lies within ``changed``
    of it. Returns the small and complementary cells of ``target`` that can then be pinned
    below the protection interval: ``table, row, column, reason, lower, upper``. Only the
    groups of linked cells that the other bundle narrows are solved.
    """
    from scipy.optimize import linprog

    from trustsurvey.publish.schema import KINDS

    (a, index), (b, _) = _read(target), _read(other)
    policy = a.policy
    cells = index.cells.set_index("cell", drop=False)
    hidden = cells[cells["suppressed"] & ~cells["is_share"]]
    known: dict[int, float] = {}  # cell -> the other bundle's published value
    for kind in sorted(set(a.tables) & set(b.tables)):
        spec = KINDS[kind]
        if not spec.count or "suppressed" not in b.tables[kind]:
            continue
        keys = list(spec.keys)
        left = a.tables[kind][keys].reset_index(names="arow")
        right = b.tables[kind].loc[~b.tables[kind]["suppressed"], [*keys, spec.count]]
        for r in left.merge(right, on=keys).itertuples(index=False):
            cell = hidden[(hidden["kind"] == kind) & (hidden["row"] == r.arow)]
            cell = cell[cell["column"] == spec.count]
            if len(cell) and np.isfinite(getattr(r, spec.count)):
                known[int(cell["cell"].iloc[0])] = float(getattr(r, spec.count))
    columns = ["table", "row", "column", "reason", "lower", "upper"]
    hidden_ids = set(cells.loc[cells["suppressed"], "cell"].astype(int))
    linked = sorted(_linked(known, index.relations, hidden_ids))
    if not linked:
        return pd.DataFrame(columns=columns)
    pos = {c: j for j, c in enumerate(linked)}
    value = cells["value"].to_numpy(dtype=float)
    rows, rhs, eq = [], [], []
    for rel in index.relations:
        members = [(c, 1.0) for c in rel.children]
        members += [(rel.parent, -1.0)] if rel.parent >= 0 else []
        if not any(m in pos for m, _ in members):
            continue
        coef, const = np.zeros(len(linked)), rel.const if rel.parent < 0 else 0.0
        for m, sign in members:
            if m in pos:
                coef[pos[m]] += sign
            else:
                const -= sign * value[m]
        rows.append(coef)
        rhs.append(const)
        eq.append(rel.sense)
    bounds, required = [], []
    for c in linked:
        reason, share = cells.at[c, "reason"], bool(cells.at[c, "is_share"])
        floor = _threshold(policy, cells.at[c, "kind"])
        lo, hi = (0.0, 1.0) if share else (0.0, np.inf)
        if not share and reason == "small_cell":
            hi = floor - 1.0
        elif not share and reason in ("complementary", "n_withheld"):
            lo = float(floor)
        if c in known:
            lo, hi = max(lo, known[c] - changed), min(hi, known[c] + changed)
        bounds.append((lo, None if np.isinf(hi) else hi))
        required.append(min(policy.protection_interval, floor - 1.0))
    a_mat, b_vec, sense = np.array(rows), np.array(rhs), np.array(eq)
    # the audit's readings: everything adds up exactly, then only the "eq" margins, then none
    readings = (sense != "le", sense == "eq", np.zeros(len(sense), dtype=bool))

    def optimum(j: int, sign: float) -> float:
        c = np.zeros(len(linked))
        c[j] = sign
        for use_eq in readings:
            kw = {}
            if use_eq.any():
                kw.update(A_eq=a_mat[use_eq], b_eq=b_vec[use_eq])
            if (~use_eq).any():
                kw.update(A_ub=a_mat[~use_eq], b_ub=b_vec[~use_eq])
            res = linprog(c, bounds=bounds, method="highs", **kw)
            if res.status == 3:
                return -np.inf
            if res.status == 0:
                return sign * float(res.fun)
        raise AssertionError("the two bundles contradict each other")

    out = []
    for cell in linked:
        reason = cells.at[cell, "reason"]
        if reason not in ("small_cell", "complementary") or cells.at[cell, "is_share"]:
            continue
        j = pos[cell]
        lo, hi = optimum(j, 1.0), optimum(j, -1.0)
        if hi - lo < required[j] - 1e-9:
            row = {"table": cells.at[cell, "kind"], "row": int(cells.at[cell, "row"])}
            row.update(column=cells.at[cell, "column"], reason=reason, lower=lo, upper=hi)
            out.append(row)
    return pd.DataFrame(out, columns=columns)


def _threshold(policy: Any, kind: str) -> int:
    """The smallest count a table of ``kind`` publishes (``DisclosurePolicy.threshold``)."""
    return int(policy.threshold(kind)) if hasattr(policy, "threshold") else policy.min_cell


def _linked(start: dict[int, float], relations: list, hidden: set[int]) -> set[int]:
    """The suppressed cells connected to ``start`` through relations among hidden cells."""
    seen, todo = set(start), list(start)
    while todo:
        cell = todo.pop()
        for rel in relations:
            members = {*rel.children, rel.parent} & hidden
            if cell in members:
                new = members - seen
                seen |= new
                todo += list(new)
    return seen


_READ: dict[Path, Any] = {}


def _read(bundle: Path) -> Any:
    """``read_bundle(bundle)`` with its cell index (``build_cells``), read once per run."""
    from trustsurvey.publish.bundle import read_bundle
    from trustsurvey.publish.relations import build_cells

    key = Path(bundle).resolve()
    if key not in _READ:
        b = read_bundle(key)
        _READ[key] = (b, build_cells(b.tables))
    return _READ[key]


# -- fixtures -------------------------------------------------------------------------------


#: the steps that make the bundle: ``measurement`` (reliability, focus-group agreement)
#: writes nothing the publish step reads, so it is left out to save time
BUNDLE_STEPS = ("read", "validate", "clean", "indices", "weight", "estimates", "programme")
BUNDLE_STEPS += ("analysis", "publish")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the example study, its bundle and its true answer counts."""
    folder = copy_study(EXAMPLE, tmp_path_factory.mktemp("props") / "base")
    bundle = run_bundle(folder)
    return {"folder": folder, "bundle": bundle, "counts": answer_counts(folder)}


def as_update(folder: Path, previous: Path) -> None:
    """Make the study copy an update of released results: ``publish.previous_bundle``."""
    study_yaml = folder / "study.yaml"
    text = study_yaml.read_text(encoding="utf-8")
    assert "publish:\n" in text
    study_yaml.write_text(
        # the released bundle lies outside the study folder, which the study must allow
        text.replace("publish:\n", f"publish:\n  previous_bundle: '{previous}'\n", 1)
        + "files_outside_folder: true\n",
        encoding="utf-8",
    )


def _variant(base: dict[str, Any], name: str, change: Callable) -> Path:
    folder = copy_study(base["folder"], base["folder"].parent / name)
    rewrite_waves(folder, change)
    return folder


@pytest.fixture(scope="module")
def removed(base: dict[str, Any]) -> dict[str, Any]:
    """The study without one respondent of the smallest published answer count."""
    counts = base["counts"]
    cell = counts[~counts["suppressed"]].sort_values("n", kind="stable").iloc[0]
    resp = respondents_in(base["folder"], cell)[-1]
    folder = _variant(base, "removed", without(int(cell["wave"]), resp))
    return {"folder": folder, "bundle": run_bundle(folder), "cell": cell, "resp_id": resp}


@pytest.fixture(scope="module")
def added(base: dict[str, Any]) -> dict[str, Any]:
    """The study with one new respondent in the largest suppressed small answer count
    (``min_cell - 1`` in the example, so it reaches the threshold)."""
    counts = base["counts"]
    small = counts[counts["suppression_reason"] == "small_cell"]
    cell = small.sort_values("n", kind="stable", ascending=False).iloc[0]
    item, wave = cell["outcome"], int(cell["wave"])
    same_arm = counts[
        (counts["outcome"] == item) & (counts["wave"] == wave) & (counts["arm"] == cell["arm"])
    ]
    other = same_arm[same_arm["code"] != cell["code"]].sort_values("n").iloc[-1]
    like = respondents_in(base["folder"], other)[0]
    folder = _variant(base, "added", with_new(wave, like, item, float(cell["code"])))
    as_update(folder, base["bundle"])
    return {"folder": folder, "bundle": run_bundle(folder), "cell": cell}


# -- the properties -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [20261122])
def test_rows_permuted_give_a_byte_identical_bundle(base: dict[str, Any], seed: int) -> None:
    folder = _variant(base, f"permuted{seed}", permuted(seed))
    bundle = run_bundle(folder)
    assert bundle_differences(base["bundle"], bundle) == []
    # the rows did move, and the run read them in their new order
    before = pd.read_parquet(base["folder"] / "out" / "analysis.parquet")
    after = pd.read_parquet(folder / "out" / "analysis.parquet")
    assert before["resp_id"].tolist() == after["resp_id"].tolist()  # the canonical order
    assert before["source_row"].tolist() != after["source_row"].tolist()  # from other rows


def test_bundle_comparison_sees_a_change_in_the_last_bit(
    base: dict[str, Any], tmp_path: Path
) -> None:
    """The byte comparison is not blind: one estimate moved by one ulp is a difference, and
    so is a manifest key other than the creation time."""
    copy = tmp_path / "bundle"
    shutil.copytree(base["bundle"], copy)
    assert bundle_differences(base["bundle"], copy) == []
    table = pd.read_parquet(copy / "estimates.parquet")
    table.loc[0, "estimate"] = np.nextafter(table.loc[0, "estimate"], np.inf)
    table.to_parquet(copy / "estimates.parquet", index=False)
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    manifest["created"] = "1999-01-01T00:00:00+00:00"
    manifest["policy"]["min_cell"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = bundle_differences(base["bundle"], copy)
    assert len(found) == 2, found
    assert found[0].startswith("estimates.parquet: estimate (max |diff|")
    assert found[1] == "manifest['policy'] differs"


def test_the_dropped_copy_of_a_duplicated_interview_does_not_depend_on_row_order(
    base: dict[str, Any],
) -> None:
    from trustsurvey.run.pipeline import STEPS, run_study

    folder = _variant(base, "swapped", swap_duplicates)
    steps = [s for s in STEPS if s.name in ("read", "validate", "clean")]
    before = run_study(base["folder"], steps=steps, echo=lambda s: None).cleaned.exclusions
    after = run_study(folder, steps=steps, echo=lambda s: None).cleaned.exclusions
    if "duplicate" not in set(before["checks"]):  # the example's copied interview
        pytest.fail("the example study no longer holds a duplicated interview")
    assert sorted(before["resp_id"].astype(str)) == sorted(after["resp_id"].astype(str))


def _audit_passes(bundle: Path) -> pd.DataFrame:
    from trustsurvey.publish.audit import audit_bundle

    result = audit_bundle(bundle)  # raises PublishError when a suppressed cell is exposed
    assert len(result) > 0 and not result["exposed"].any()
    return result


def _row(bundle: Path, cell: pd.Series) -> pd.Series:
    lik = pd.read_parquet(bundle / "likert.parquet")
    keys = ["outcome", "arm", "wave", "category"]
    hit = lik[(lik["community"] == "all") & (lik[keys] == cell[keys]).all(axis=1)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_audit_passes_after_removing_one_respondent(base, removed) -> None:  # type: ignore[no-untyped-def]
    _audit_passes(removed["bundle"])
    cell = removed["cell"]
    assert _row(removed["bundle"], cell)["n"] == cell["n"] - 1  # the respondent is gone


def test_audit_passes_after_adding_one_respondent(base, added) -> None:  # type: ignore[no-untyped-def]
    _audit_passes(added["bundle"])
    cell = added["cell"]
    assert _row(base["bundle"], cell)["suppression_reason"] == "small_cell"
    new = _row(added["bundle"], cell)
    # the count grew by one: at the threshold it is no longer a small cell
    if cell["n"] + 1 >= read_policy(added["bundle"]).min_cell:
        assert new["suppression_reason"] != "small_cell"


def read_policy(bundle: Path) -> Any:
    from trustsurvey.publish.bundle import read_bundle

    return read_bundle(bundle).policy


def published_change(old: Path, new: Path) -> int:
    """How many respondents the two bundles differ by, as an intruder reads it from the
    published sample sizes (the whole sample of each wave)."""
    from trustsurvey.publish.schema import ALL

    sizes = []
    for bundle in (old, new):
        ss = pd.read_parquet(bundle / "sample_sizes.parquet")
        whole = ss[(ss["community"] == ALL) & (ss["arm"] == ALL) & ~ss["suppressed"]]
        sizes.append(whole.set_index("wave")["n"])
    return int((sizes[0] - sizes[1]).abs().sum())


def _differencing(old: Path, new: Path) -> dict[str, pd.DataFrame]:
    changed = published_change(old, new)
    if changed != 1:  # one respondent, and the intruder can read that off
        pytest.fail(f"the bundles differ by {changed} respondents, not 1")
    pairs = differencing_exposures(old, new, changed)
    return {
        "subtraction": pairs[pairs["exposed"]] if len(pairs) else pairs,
        "old given new": joint_exposures(old, new, changed),
        "new given old": joint_exposures(new, old, changed),
    }


def test_removing_one_respondent_gives_an_intruder_with_both_bundles_nothing(base, removed) -> None:  # type: ignore[no-untyped-def]
    found = _differencing(base["bundle"], removed["bundle"])
    assert {k: len(v) for k, v in found.items()} == dict.fromkeys(found, 0), found


def test_adding_one_respondent_gives_an_intruder_with_both_bundles_nothing(base, added) -> None:  # type: ignore[no-untyped-def]
    """The new respondent lifts a small count (min_cell - 1) to min_cell. Written without
    ``publish.previous_bundle`` the update published the old complementary margin and both
    old small cells followed exactly (59 - 1 = 58 = 29 + 29); with it they stay hidden."""
    found = _differencing(base["bundle"], added["bundle"])
    assert {k: len(v) for k, v in found.items()} == dict.fromkeys(found, 0), found


def every_other_psu(wave: int, rows: pd.DataFrame) -> pd.DataFrame:
    """Half the example: every other PSU of each wave (about 2,000 respondents)."""
    psus = sorted(rows["psu"].dropna().unique())
    return rows[rows["psu"].isin(set(psus[::2]))]


def test_a_study_half_the_size_still_publishes_a_bundle_that_passes_the_audit(base) -> None:  # type: ignore[no-untyped-def]
    """More small cells: the writer must still find complements (it once gave up, because
    it demanded a protection interval for the n of estimates hidden only as complements)."""
    folder = _variant(base, "halved", every_other_psu)
    bundle = run_bundle(folder)
    result = _audit_passes(bundle)
    assert (result["reason"] == "small_cell").sum() > 20
    full = pd.read_parquet(base["bundle"] / "sample_sizes.parquet")
    half = pd.read_parquet(bundle / "sample_sizes.parquet")
    assert half["n"].sum() < 0.6 * full["n"].sum()
