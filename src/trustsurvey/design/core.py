"""``SurveyDesign``: the sampling design of a survey and its estimators.

The class is thin: it adds the factorised structure (:mod:`.structure`) and the
linearisation variance engine to the :class:`~trustsurvey.design.base.Design` interface,
whose verbs delegate to a function in their own module (:mod:`.estimators`,
:mod:`.proportion`, :mod:`.quantile`, :mod:`.contrast`, :mod:`.models`, :mod:`.tests`), as
R's ``svymean.survey.design`` lives apart from ``svydesign`` (Lumley 2010).

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

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustsurvey.design import estimators
from trustsurvey.design.base import Design, Reweight, check_positive
from trustsurvey.design.pps import HartleyRao, JointProbabilities, pps_method
from trustsurvey.design.pps_structure import check_pps_arguments, joint_structure
from trustsurvey.design.rows import row_ref
from trustsurvey.design.structure import DesignStructure, build_structure
from trustsurvey.design.variance import InfluenceAdjustment, design_covariance, domain_lonely
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.domains import Domains
    from trustsurvey.design.replicate import ReplicateDesign


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


class SurveyDesign(Design):
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
    pps
        Sampling with probability proportional to size without replacement, as R's
        ``svydesign(pps=)``: ``"brewer"`` (Brewer's approximation, any number of stages),
        ``"overton"``, ``"hartley-rao"`` (or :func:`~trustsurvey.design.pps.hartley_rao`)
        or :func:`~trustsurvey.design.pps.ppsmat` (the joint inclusion probabilities of the
        PSUs). ``fpc`` then gives each unit's inclusion probability (in (0, 1], constant
        within a unit); without weights or probs the weights are ``1 / prod(fpc)``. See
        :mod:`trustsurvey.design.pps`.
    variance
        ``"HT"`` (Horvitz-Thompson) or ``"YG"`` (Yates-Grundy) form of the variance of a
        joint-probability PPS design (R's ``svydesign(variance=)``).

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
        pps: str | JointProbabilities | HartleyRao | None = None,
        variance: str = "HT",
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
        fpc_list: list[str | None] | None = (
            None if fpc is None else ([fpc] if isinstance(fpc, str) else list(fpc))
        )
        method = pps_method(pps)
        check_pps_arguments(method, variance, fpc_list, probs)
        self.structure: DesignStructure = build_structure(
            data,
            ids=id_list,
            strata=strata_list,
            fpc=fpc_list,
            nest=nest,
            lonely_psu=lonely_psu,
            adjust_domain_lonely=adjust_domain_lonely,
            pps=method,
        )
        if method is not None and method != "brewer":
            self.structure, unit_weights = joint_structure(
                self.structure, data, pps, method, variance, id_list, strata_list, nest, probs
            )
            if weights is None and probs is None and fpc_list is None:
                weights = unit_weights
        self._init_state(data, self._make_weights(data, weights, probs))
        self._spec: dict[str, Any] = {
            "ids": id_list,
            "strata": strata_list,
            "weights": weights if isinstance(weights, str) else None,
            "fpc": fpc_list,
            "nest": nest,
            "probs": probs,
            "lonely_psu": lonely_psu,
            "pps": method,
            "variance": variance,
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
            check_positive(values, name, "weight", data.index)
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

    # ------------------------------------------------------------------ properties
    variance_method = "linearisation"

    @property
    def degf(self) -> int:
        """Design degrees of freedom of the full design: PSUs minus strata (R's ``degf``)."""
        return self.structure.degf

    def __repr__(self) -> str:
        s = self.structure
        return (
            f"SurveyDesign(n={s.n}, stages={len(self._spec['ids'])}, "
            f"psu={s.stages[0].n_units}, strata={s.stages[0].n_strata}, degf={s.degf}, "
            f"fpc={s.has_fpc}, lonely_psu={s.lonely_psu!r}"
            + (f", pps={s.pps!r}" if s.pps else "")
            + (", subset" if self._mask is not None else "")
            + (f", calibrated x{len(self._adjustments)}" if self._adjustments else "")
            + ")"
        )

    # ------------------------------------------------------------------ the variance engine
    def replace_weights(
        self,
        new_weights: np.ndarray | pd.Series | Sequence[float],
        calibration: InfluenceAdjustment | Sequence[InfluenceAdjustment] | None = None,
        *,
        keep_calibration: bool = True,
        reweight: Reweight | None = None,
    ) -> SurveyDesign:
        """A design identical but for its weights (and extra calibration adjustments).

        This is the hook of :mod:`trustsurvey.weighting`: ``new_weights`` (aligned with
        :attr:`data`, all positive) replace the weights; each ``calibration`` object's
        ``adjust(scores) -> scores`` is appended to the adjustments the variance routine
        applies, in order, to the weighted influence values before the stage-wise aggregation.
        ``reweight`` is for replicate designs and not used here.

        ``keep_calibration=True`` (default) keeps the adjustments of earlier calibrations, as
        R keeps ``design$postStrata`` through later calibrations; ``False`` starts from none
        (weights taken as fixed, as R's ``svydesign(weights = new weights)``: the weighting
        functions' ``fixed_weights=True``), before appending ``calibration``.

        >>> import pandas as pd
        >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 2.0, 3.0]}), weights="w")
        >>> d.replace_weights([2.0, 2.0, 2.0], keep_calibration=False).weights.tolist()
        [2.0, 2.0, 2.0]
        """
        w = self._checked_weights(new_weights)
        out = self._copy()
        out._w = w
        out._adjustments = self._with_calibration(calibration, keep_calibration)
        return out

    _replace_weights = replace_weights  # the name earlier releases documented

    def linear_stats(
        self,
        ys: np.ndarray | Sequence[np.ndarray],
        valid: np.ndarray | Sequence[np.ndarray | None] | None,
        doms: Domains,
        kind: str,
        *,
        covmat: bool = False,
        deff: str = "wor",
    ) -> dict[str, np.ndarray]:
        """Means/totals of the columns of ``ys`` per domain, linearised (see
        :func:`trustsurvey.design.estimators.linear_stats`)."""
        return estimators.linear_stats(self, ys, valid, doms, kind, covmat=covmat, deff=deff)

    def influence_covariance(
        self,
        scores: np.ndarray,
        *,
        diag: bool = False,
        factors: np.ndarray | None = None,
        single: np.ndarray | None = None,
    ) -> np.ndarray:
        """Design covariance of the totals of the influence values ``scores`` (``n x k``, rows
        in data order) after the calibration adjustments (R's ``svyrecvar``); see
        :func:`trustsurvey.design.variance.design_covariance` for ``factors``/``single``."""
        return design_covariance(
            self.structure, scores, self._adjustments, diag=diag, factors=factors, single=single
        )

    def model_covariance(
        self,
        estimate: np.ndarray,
        used: np.ndarray,
        *,
        influence: Callable[[], np.ndarray],
        refit: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """Sandwich covariance from the influence values (R's ``svy.varcoef``); a single PSU
        of a stratum among the used rows is treated as R's domain rule."""
        scores = influence()
        k = scores.shape[1]
        fac, sng = domain_lonely(self.structure, used, np.zeros(len(used), dtype=np.int64), 1)
        return self.influence_covariance(
            scores,
            factors=None if fac is None else np.repeat(fac, k),
            single=None if sng is None else np.repeat(sng, k, axis=1),
        )

    def model_degf(self, used: np.ndarray) -> int:
        """PSUs minus strata among the rows used (R's ``degf`` after ``na.action``)."""
        st = self.structure.stages[0]
        return int(
            len(np.unique(st.unit[used])) - len(np.unique(self.structure.stratum_of_row[used]))
        )

    # ------------------------------------------------------------------ estimators
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

    # ------------------------------------------------------------------ replicate weights
    def replicate(
        self,
        type: str = "JK1",
        replicates: int | None = None,
        seed: int | None = None,
        fay_rho: float = 0.0,
        *,
        mse: bool = False,
    ) -> ReplicateDesign:
        """A replicate-weight version of this design (R's ``as.svrepdesign``)."""
        from trustsurvey.design.replicate import as_replicate

        if self.structure.pps is not None:
            raise DesignError(
                f"replicate weights are not made from a PPS design (pps={self.structure.pps!r})",
                item="pps",
                hint="estimate with the PPS design itself; its variance is the "
                "Horvitz-Thompson (or Brewer) linearisation",
            )

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
    ) -> ReplicateDesign:
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
