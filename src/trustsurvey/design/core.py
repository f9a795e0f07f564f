"""``SurveyDesign``: the sampling design of a survey and its estimators.

The class is thin: it holds the data, the factorised structure (:mod:`.structure`), the
weights and any calibration adjustments; each method delegates to a function in its own
module (:mod:`.estimators`, :mod:`.proportion`, :mod:`.quantile`, :mod:`.contrast`,
:mod:`.models`, :mod:`.tests`, :mod:`.replicate`), as R's ``svymean.survey.design`` lives apart
from ``svydesign`` (Lumley 2010).

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"stratum": [1, 1, 1, 2, 2, 2], "psu": [1, 2, 3, 4, 5, 6],
...                    "w": [10.0, 10, 10, 20, 20, 20], "y": [1.0, 2, 3, 2, 4, 6]})
>>> d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
>>> d.degf
4
>>> round(float(d.mean("y")["estimate"].iloc[0]), 4)
3.3333
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design import estimators
from trustsurvey.design.rows import row_ref
from trustsurvey.design.structure import DesignStructure, build_structure
from trustsurvey.design.variance import InfluenceAdjustment
from trustsurvey.errors import DesignError


def _stage_list(value: Any, n_stages: int | None = None) -> list[str | None]:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value == 1):
        return [None]
    if isinstance(value, str):
        return [value]
    out: list[str | None] = []
    for v in value:
        if v is None or (isinstance(v, int) and v == 1):
            out.append(None)
        else:
            out.append(str(v))
    return out


class SurveyDesign:
    """A complex survey design: stages of clusters, strata, weights, finite population corrections.

    Parameters
    ----------
    data
        One row per respondent. Kept as given (index and row order) in :attr:`data`.
    ids
        Cluster id column per stage (a name or a list of names, first-stage first); ``None``
        or ``1`` for individuals.
    strata
        Stratum column (one for every stage, or a list per stage), or ``None``.
    weights
        Sampling weight column (or values aligned with ``data``).
    fpc
        Finite population correction per stage (a column name or a list per stage), as
        population counts (values > 1) or sampling fractions (values <= 1).
    nest
        PSU ids are only unique within strata (R's ``nest=TRUE``).
    probs
        Selection probability column(s), one per stage or overall; weights are ``1/prod``.
    lonely_psu
        A stratum with one PSU: ``"fail"`` (a :class:`DesignError` naming the strata),
        ``"adjust"``, ``"average"``, ``"certainty"`` or ``"remove"`` as R's
        ``options(survey.lonely.psu=)``. Inside a domain a single PSU of a stratum that has
        several in the full design is centred on the stratum mean of the full design (zero for
        the missing PSUs), R's default ``survey.adjust.domain.lonely=FALSE``.
    adjust_domain_lonely
        R's ``options(survey.adjust.domain.lonely=TRUE)``: with ``"adjust"`` such a domain PSU
        is not centred, with ``"average"`` its stratum is left out and the others scaled up
        (first stage only).

    With neither weights nor probs, weights are the product over stages of ``N_h/n_h`` from the
    fpc (R's behaviour), or 1 with a warning if there is no fpc. The variance is full
    multistage (R's ``survey.ultimate.cluster=FALSE``).
    """

    def __init__(
        self,
        data: pd.DataFrame,
        ids: str | Sequence[str | None] | int | None = None,
        strata: str | Sequence[str] | None = None,
        weights: str | pd.Series | np.ndarray | None = None,
        fpc: str | Sequence[str | None] | None = None,
        nest: bool = False,
        probs: str | Sequence[str] | None = None,
        lonely_psu: str = "fail",
        *,
        adjust_domain_lonely: bool = False,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(
                f"data must be a pandas DataFrame, not {type(data).__name__}",
                hint="read the file first, e.g. with trustsurvey.io.read_survey",
            )
        id_list = _stage_list(ids)
        strata_list = (
            None if strata is None else ([strata] if isinstance(strata, str) else list(strata))
        )
        fpc_list = None if fpc is None else ([fpc] if isinstance(fpc, str) else list(fpc))
        self._data = data
        self.structure: DesignStructure = build_structure(
            data,
            ids=id_list,
            strata=strata_list,
            fpc=fpc_list,
            nest=nest,
            lonely_psu=lonely_psu,
            adjust_domain_lonely=adjust_domain_lonely,
        )
        self._w = self._make_weights(data, weights, probs)
        self._mask: np.ndarray | None = None
        self._domain: str | None = None  # what subset() selected, for messages
        self._adjustments: tuple[InfluenceAdjustment, ...] = ()
        self._spec = {
            "ids": id_list,
            "strata": strata_list,
            "weights": weights if isinstance(weights, str) else None,
            "fpc": fpc_list,
            "nest": nest,
            "probs": probs,
            "lonely_psu": lonely_psu,
        }

    # ------------------------------------------------------------------ construction helpers
    def _make_weights(self, data: pd.DataFrame, weights: Any, probs: Any) -> np.ndarray:
        n = len(data)
        if weights is not None and probs is not None:
            raise DesignError(
                "give either weights or probs, not both",
                item=["weights", "probs"],
                hint="weights are 1/probs; pass one of them",
            )
        if weights is not None:
            name = weights if isinstance(weights, str) else "weights"
            if isinstance(weights, str):
                estimators.check_columns(data, [weights], "weight")
                column = data[weights]
                if column.dtype == np.float64:  # a read-only view under copy-on-write
                    values = column.to_numpy()
                else:
                    values = pd.to_numeric(column, errors="coerce").to_numpy(
                        dtype=float, na_value=np.nan
                    )
            else:
                values = np.asarray(
                    weights.reindex(data.index) if isinstance(weights, pd.Series) else weights,
                    dtype=float,
                )
                if values.shape != (n,):
                    raise DesignError(
                        f"weights have {values.size} values for {n} rows",
                        item="weights",
                        hint="give one weight per row",
                    )
            self._check_positive(values, name, "weight", data.index)
            return values
        if probs is not None:
            cols = [probs] if isinstance(probs, str) else list(probs)
            estimators.check_columns(data, cols, "probs")
            p = np.ones(n)
            for c in cols:
                v = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                bad = ~np.isfinite(v) | (v <= 0) | (v > 1)
                if bad.any():
                    raise DesignError(
                        f"selection probabilities in {c!r} must be in (0, 1]",
                        item=c,
                        row=row_ref(data.index, bad),
                        hint="fix or remove those rows explicitly",
                    )
                p = p * v
            return 1.0 / p
        if self.structure.sampling_weights_from_fpc is not None:
            return self.structure.sampling_weights_from_fpc.copy()
        warnings.warn(
            "no weights or probabilities given: assuming equal probability (weight 1)",
            UserWarning,
            stacklevel=3,
        )
        return np.ones(n)

    @staticmethod
    def _check_positive(values: np.ndarray, name: str, role: str, index: pd.Index) -> None:
        if values.size and values.min() > 0 and values.max() < np.inf:  # NaN fails both
            return
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            kinds = []
            if np.isnan(values).any():
                kinds.append("missing")
            if np.isinf(values).any():
                kinds.append("infinite")
            if (values[np.isfinite(values)] <= 0).any():
                kinds.append("zero or negative")
            raise DesignError(
                f"{role} column {name!r} has {int(bad.sum())} {' / '.join(kinds)} values",
                item=name,
                row=row_ref(index, bad),
                hint="every respondent needs a positive finite weight; fix the weights or "
                "use design.subset() to leave respondents out of an estimate",
            )

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> pd.DataFrame:
        """The input frame (original index and row order), with any derived columns."""
        return self._data

    @property
    def weights(self) -> pd.Series:
        """Sampling weights aligned with :attr:`data` (zero outside a subset's domain)."""
        w = self._w if self._mask is None else np.where(self._mask, self._w, 0.0)
        return pd.Series(w, index=self._data.index, name="weight")

    @property
    def degf(self) -> int:
        """Design degrees of freedom of the full design: PSUs minus strata (R's ``degf``)."""
        return self.structure.degf

    @property
    def calibration(self) -> tuple[InfluenceAdjustment, ...]:
        """Calibration adjustments applied to influence values before aggregation."""
        return self._adjustments

    @property
    def domain(self) -> pd.Series | None:
        """The boolean domain of a subset design (``None`` for the full design)."""
        return None if self._mask is None else pd.Series(self._mask, index=self._data.index)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        s = self.structure
        return (
            f"SurveyDesign(n={s.n}, stages={len(self._spec['ids'])}, "
            f"psu={s.stages[0].n_units}, strata={s.stages[0].n_strata}, degf={s.degf}, "
            f"fpc={s.has_fpc}, lonely_psu={s.lonely_psu!r}"
            + (", subset" if self._mask is not None else "")
            + (f", calibrated x{len(self._adjustments)}" if self._adjustments else "")
            + ")"
        )

    # ------------------------------------------------------------------ derived designs
    def _copy(self) -> SurveyDesign:
        return copy.copy(self)

    def _replace_weights(
        self,
        new_weights: np.ndarray | pd.Series,
        calibration: InfluenceAdjustment | Sequence[InfluenceAdjustment] | None = None,
        *,
        keep_calibration: bool = True,
    ) -> SurveyDesign:
        """A design identical but for its weights (and extra calibration adjustments).

        This is the internal hook for weighting: ``new_weights`` (aligned with :attr:`data`,
        all positive) replace the weights; each ``calibration`` object's
        ``adjust(scores) -> scores`` is appended to the adjustments the variance routine applies,
        in order, to the weighted influence values before the stage-wise aggregation.

        ``keep_calibration=True`` (default) keeps the adjustments of earlier calibrations, as
        R keeps ``design$postStrata`` through later calibrations; ``False`` starts from none
        (weights taken as fixed, as R's ``svydesign(weights = new weights)``: the weighting
        functions' ``fixed_weights=True``), before appending ``calibration``.

        >>> import pandas as pd
        >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 2.0, 3.0]}), weights="w")
        >>> d._replace_weights([2.0, 2.0, 2.0], keep_calibration=False).weights.tolist()
        [2.0, 2.0, 2.0]
        """
        w = np.asarray(
            new_weights.reindex(self._data.index)
            if isinstance(new_weights, pd.Series)
            else new_weights,
            dtype=float,
        )
        if w.shape != (len(self._data),):
            raise DesignError(
                f"new weights have {w.size} values for {len(self._data)} rows",
                item="weights",
                hint="give one weight per row of design.data",
            )
        self._check_positive(w, "weights", "new weight", self._data.index)
        out = self._copy()
        out._w = w
        if not keep_calibration:
            out._adjustments = ()
        if calibration is not None:
            extra = (
                [calibration] if isinstance(calibration, InfluenceAdjustment) else list(calibration)
            )
            for adj in extra:
                if not isinstance(adj, InfluenceAdjustment):
                    raise DesignError(
                        f"calibration object {adj!r} has no adjust(scores) method",
                        item="calibration",
                    )
            out._adjustments = (*out._adjustments, *extra)
        return out

    def with_columns(self, **columns: Any) -> SurveyDesign:
        """A design with derived variables added (Series aligned on the index, arrays in row
        order, scalars, or callables of the data frame), like R's ``update(design, ...)``."""
        out = self._copy()
        new = {}
        for name, value in columns.items():
            if callable(value):
                value = value(self._data)
            if isinstance(value, pd.Series):
                value = value.reindex(self._data.index)
            new[name] = value
        out._data = self._data.assign(**new)
        return out

    def subset(
        self, mask: pd.Series | np.ndarray | Sequence[bool], *, name: str | None = None
    ) -> SurveyDesign:
        """A domain design: the full design is kept and rows outside get zero influence
        (R's ``subset.survey.design``). ``mask`` is a boolean Series aligned on the index or
        an array in row order; missing values are an error. ``name`` says what the mask
        selects (default: the Series' name) in the error an empty domain raises when
        estimated (as R's ``svymean`` on an empty subset)."""
        if isinstance(mask, pd.Series):
            if not mask.index.equals(self._data.index):
                mask = mask.reindex(self._data.index)
            values = mask.to_numpy()
        else:
            values = np.asarray(mask)
        if values.shape != (len(self._data),):
            raise DesignError(
                f"subset mask has {values.size} values for {len(self._data)} rows",
                item="subset",
                hint="give a boolean Series aligned on design.data.index",
            )
        if pd.isna(values).any():
            raise DesignError(
                "subset mask has missing values",
                item="subset",
                row=row_ref(self._data.index, pd.isna(values)),
                hint="decide explicitly whether those rows are in the domain (fillna(False))",
            )
        m = values.astype(bool)
        out = self._copy()
        out._mask = m if self._mask is None else (self._mask & m)
        label = (
            repr(name)
            if name
            else (
                f"(subset on {mask.name!r})" if isinstance(mask, pd.Series) and mask.name else None
            )
        )
        label = label or "subset(mask)"
        prev = getattr(self, "_domain", None) or "subset(mask)"
        out._domain = label if self._mask is None else f"{prev} & {label}"
        return out

    # ------------------------------------------------------------------ estimators
    def _linear_stats(
        self,
        ys: np.ndarray,
        valid: np.ndarray,
        doms: Any,
        kind: str,
        *,
        covmat: bool = False,
        deff: str = "wor",
    ) -> dict[str, np.ndarray]:
        """Means/totals of the columns of ``ys`` per domain (the engine's common core)."""
        return estimators.linear_stats(self, ys, valid, doms, kind, covmat=covmat, deff=deff)

    def mean(
        self,
        variables: str | list[str],
        by: str | list[str] | None = None,
        *,
        by_missing: str = "drop",
        covmat: bool = False,
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
        deff: str = "wor",
    ) -> pd.DataFrame:
        """Weighted means with linearised SEs (R's ``svymean``/``svyby``); see
        :mod:`trustsurvey.design.estimators`. Several variables with ``by`` give a long
        frame indexed by (by..., variable)."""
        return estimators.mean_or_total(
            self,
            variables,
            "mean",
            by=by,
            by_missing=by_missing,
            covmat=covmat,
            level=level,
            cv=cv,
            moe=moe,
            deff=deff,
        )

    def total(
        self,
        variables: str | list[str],
        by: str | list[str] | None = None,
        *,
        by_missing: str = "drop",
        covmat: bool = False,
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
        deff: str = "wor",
    ) -> pd.DataFrame:
        """Weighted totals with linearised SEs (R's ``svytotal``)."""
        return estimators.mean_or_total(
            self,
            variables,
            "total",
            by=by,
            by_missing=by_missing,
            covmat=covmat,
            level=level,
            cv=cv,
            moe=moe,
            deff=deff,
        )

    def proportion(
        self,
        y: str,
        by: str | list[str] | None = None,
        *,
        method: str = "wald",
        by_missing: str = "drop",
        covmat: bool = False,
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Share of every category of ``y`` (one row per category, sorted, the category as the
        index), with ``svyciprop``'s interval ``method`` ("wald", "logit", "asin", "beta",
        "likelihood")."""
        from trustsurvey.design.proportion import proportion

        return proportion(
            self,
            y,
            by=by,
            method=method,
            by_missing=by_missing,
            covmat=covmat,
            level=level,
            cv=cv,
            moe=moe,
            df=df,
        )

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: str | list[str] | None = None,
        *,
        by_missing: str = "drop",
        covmat: bool = False,
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
    ) -> pd.DataFrame:
        """Ratio of weighted totals (R's ``svyratio``)."""
        return estimators.ratio(
            self,
            numerator,
            denominator,
            by=by,
            by_missing=by_missing,
            covmat=covmat,
            level=level,
            cv=cv,
            moe=moe,
        )

    def quantile(
        self,
        y: str,
        q: float | Sequence[float] = (0.5,),
        by: str | list[str] | None = None,
        *,
        by_missing: str = "drop",
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Quantiles with Woodruff intervals, as R's ``svyquantile`` (survey 4.x defaults)."""
        from trustsurvey.design.quantile import quantile

        return quantile(
            self, y, q, by=by, by_missing=by_missing, level=level, cv=cv, moe=moe, df=df
        )

    # ------------------------------------------------------------------ contrasts and tests
    def contrast(
        self, result: pd.DataFrame, weights: Any, *, level: float = 0.95, df: float | None = None
    ) -> pd.DataFrame:
        """Linear combinations of a result's rows with SEs (R's ``svycontrast``)."""
        from trustsurvey.design.contrast import contrast

        return contrast(result, weights, level=level, df=df if df is not None else self.degf)

    def wald_test(
        self,
        result: pd.DataFrame,
        contrasts: Any = None,
        *,
        terms: str | Sequence[str] | None = None,
        null: Any = None,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Joint Wald test of linear hypotheses ``L b = null`` (R's ``regTermTest``)."""
        from trustsurvey.design.contrast import wald_test

        return wald_test(result, contrasts, terms=terms, null=null, df=df, default_df=self.degf)

    def ttest(self, y: str, group: str) -> pd.DataFrame:
        """Design-based two-group t test (R's ``svyttest``)."""
        from trustsurvey.design.tests import ttest

        return ttest(self, y, group)

    def chisq(self, a: str, b: str, statistic: str = "F") -> pd.DataFrame:
        """Rao-Scott test of association of two categorical items (R's ``svychisq``)."""
        from trustsurvey.design.tests import chisq

        return chisq(self, a, b, statistic=statistic)

    def glm(self, formula: str, family: str = "gaussian", *, level: float = 0.95) -> pd.DataFrame:
        """Design-based generalised linear model (R's ``svyglm``); formulas in formulaic
        syntax, e.g. ``"trust ~ pilot * wave + C(sex)"``."""
        from trustsurvey.design.models import glm

        return glm(self, formula, family=family, level=level)

    # ------------------------------------------------------------------ replicate weights
    def replicate(
        self,
        type: str = "JK1",
        replicates: int | None = None,
        seed: int | None = None,
        fay_rho: float = 0.0,
        *,
        mse: bool = False,
    ) -> Any:
        """A replicate-weight version of this design (R's ``as.svrepdesign``)."""
        from trustsurvey.design.replicate import as_replicate

        return as_replicate(self, type, replicates=replicates, seed=seed, fay_rho=fay_rho, mse=mse)

    @staticmethod
    def from_replicate_weights(
        data: pd.DataFrame,
        weights: str,
        replicate_weights: Sequence[str],
        type: str = "other",
        scale: float | None = None,
        rscales: Sequence[float] | float | None = None,
        mse: bool = False,
        fay_rho: float | None = None,
    ) -> Any:
        """A design from replicate weights shipped with the data (R's ``svrepdesign``)."""
        from trustsurvey.design.replicate import ReplicateDesign

        return ReplicateDesign.from_columns(
            data,
            weights,
            replicate_weights,
            type=type,
            scale=scale,
            rscales=rscales,
            mse=mse,
            fay_rho=fay_rho,
        )

    # ------------------------------------------------------------------ weighting (delegates)
    def poststratify(
        self, targets: Any, *, total: float | None = None, fixed_weights: bool = False
    ) -> SurveyDesign:
        """Post-stratify to population counts (delegates to :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import poststratify

        return poststratify(self, targets, total=total, fixed_weights=fixed_weights)

    def rake(
        self,
        margins: Any,
        *,
        total: float | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
        fixed_weights: bool = False,
    ) -> SurveyDesign:
        """Rake to marginal targets (delegates to :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import rake

        return rake(
            self, margins, total=total, tol=tol, max_iter=max_iter, fixed_weights=fixed_weights
        )

    def calibrate(
        self,
        totals: Any,
        method: str = "linear",
        bounds: Any = None,
        *,
        tol: float = 1e-10,
        max_iter: int = 100,
        fixed_weights: bool = False,
    ) -> SurveyDesign:
        """Calibrate to population totals (delegates to :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import calibrate

        return calibrate(
            self,
            totals,
            method=method,
            bounds=bounds,
            tol=tol,
            max_iter=max_iter,
            fixed_weights=fixed_weights,
        )

    def trim(
        self,
        lower: float | None = None,
        upper: float | None = None,
        *,
        strict: bool = False,
        fixed_weights: bool = False,
    ) -> SurveyDesign:
        """Trim extreme weights (delegates to :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import trim

        return trim(self, lower=lower, upper=upper, strict=strict, fixed_weights=fixed_weights)
