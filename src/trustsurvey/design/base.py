"""``Design``: the one interface of :class:`SurveyDesign` and :class:`ReplicateDesign`.

A design is data, weights, an optional domain (``subset``), the calibration adjustments and
weighting history that made its weights, and a *variance engine*. The estimators (``mean``,
``total``, ``proportion``, ``ratio``, ``quantile``, ``glm``, ``ttest``, ``chisq``,
``contrast``, ``wald_test``) and the weighting verbs (``poststratify``, ``rake``,
``calibrate``, ``trim``) are the same on both; only the engine differs, as R's ``survey``
dispatches ``svymean.survey.design2`` (Taylor linearisation) and ``svymean.svyrep.design``
(replicate weights):

* :meth:`Design.linear_stats`: means or totals of columns per domain with their variances
  (and covariance);
* :meth:`Design.model_covariance`: the covariance of an M-estimator (a GLM, a proportional-odds
  model) from its influence values (linearisation) or by refitting it with every replicate's
  weights (replicates);
* :meth:`Design.model_degf`: the residual degrees of freedom base of such a model;
* :meth:`Design.replace_weights`: the same design with new weights (the weighting hook).

Free functions read a design only through this interface: :attr:`data`,
:attr:`full_weights`, :attr:`domain_mask` (or :meth:`restrict`), :attr:`calibration`,
:attr:`degf`, :attr:`history`.

>>> import pandas as pd
>>> from trustsurvey.design import Design, SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "w": [1.0] * 6})
>>> lin = SurveyDesign(df, ids="psu", weights="w")
>>> rep = lin.replicate("JK1")
>>> isinstance(lin, Design), isinstance(rep, Design), lin.variance_method, rep.variance_method
(True, True, 'linearisation', 'replicate')
>>> float(lin.mean("y")["estimate"].iloc[0]) == float(rep.mean("y")["estimate"].iloc[0])
True
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import pandas as pd

from trustsurvey.design.rows import row_ref
from trustsurvey.design.variance import InfluenceAdjustment
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.domains import Domains
    from trustsurvey.weighting.history import WeightingStep

#: a function of a full set of weights (one per row) giving new weights: how a weighting step
#: acts on every replicate's weights
Reweight = Callable[[np.ndarray], np.ndarray]


class Design(ABC):
    """A survey design: data, weights, domain, calibration, history and a variance engine.

    Subclasses set :attr:`variance_method` and implement the engine (:meth:`linear_stats`,
    :meth:`model_covariance`, :meth:`model_degf`, :meth:`replace_weights`, :attr:`degf`).
    """

    variance_method: ClassVar[str]

    _data: pd.DataFrame
    _w: np.ndarray
    _mask: np.ndarray | None
    _domain: str | None
    _adjustments: tuple[InfluenceAdjustment, ...]
    _history: tuple[WeightingStep, ...]

    def _init_state(self, data: pd.DataFrame, weights: np.ndarray) -> None:
        self._data = data
        self._w = weights
        self._mask = None
        self._domain = None  # what subset() selected, for messages
        self._adjustments = ()
        self._history = ()

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
    def full_weights(self) -> np.ndarray:
        """The weights of every row as a read-only array, ignoring the domain (R's
        ``weights(design)`` of the full design)."""
        out = self._w.view()
        out.flags.writeable = False
        return out

    @property
    @abstractmethod
    def degf(self) -> int:
        """Design degrees of freedom (R's ``degf``)."""

    @property
    def calibration(self) -> tuple[InfluenceAdjustment, ...]:
        """Calibration adjustments applied to influence values before aggregation."""
        return self._adjustments

    @property
    def domain(self) -> pd.Series | None:
        """The boolean domain of a subset design (``None`` for the full design)."""
        return None if self._mask is None else pd.Series(self._mask, index=self._data.index)

    @property
    def domain_mask(self) -> np.ndarray | None:
        """The domain as a boolean array in row order (``None`` for the full design)."""
        return self._mask

    @property
    def domain_label(self) -> str | None:
        """What ``subset`` selected, for messages (``None`` for the full design)."""
        return self._domain

    @property
    def history(self) -> tuple[WeightingStep, ...]:
        """The weighting steps that made these weights, oldest first (kept by ``subset`` and
        ``with_columns``; empty for an unweighted design)."""
        return self._history

    def restrict(self, ok: np.ndarray) -> np.ndarray:
        """``ok`` (boolean, row order) and the domain; a :class:`DesignError` if the domain is
        empty (as R's ``svymean`` on an empty subset)."""
        from trustsurvey.design.domains import check_domain

        check_domain(self)
        ok = np.asarray(ok, dtype=bool)
        return ok if self._mask is None else ok & self._mask

    def __len__(self) -> int:
        return len(self._data)

    # ------------------------------------------------------------------ derived designs
    def _copy(self) -> Self:
        return copy.copy(self)

    def with_history(self, steps: Sequence[WeightingStep]) -> Self:
        """The same design with its weighting history replaced by ``steps``."""
        out = self._copy()
        out._history = tuple(steps)
        return out

    def with_columns(self, **columns: Any) -> Self:
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
    ) -> Self:
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
        prev = self._domain or "subset(mask)"
        out._domain = label if self._mask is None else f"{prev} & {label}"
        return out

    def _checked_weights(self, new_weights: np.ndarray | pd.Series | Sequence[float]) -> np.ndarray:
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
        check_positive(w, "weights", "new weight", self._data.index)
        return w

    def _with_calibration(
        self,
        calibration: InfluenceAdjustment | Sequence[InfluenceAdjustment] | None,
        keep_calibration: bool,
    ) -> tuple[InfluenceAdjustment, ...]:
        out = self._adjustments if keep_calibration else ()
        if calibration is None:
            return out
        extra = [calibration] if isinstance(calibration, InfluenceAdjustment) else calibration
        for adj in extra:
            if not isinstance(adj, InfluenceAdjustment):
                raise DesignError(
                    f"calibration object {adj!r} has no adjust(scores) method",
                    item="calibration",
                )
        return (*out, *extra)

    # ------------------------------------------------------------------ the variance engine
    @abstractmethod
    def replace_weights(
        self,
        new_weights: np.ndarray | pd.Series | Sequence[float],
        calibration: InfluenceAdjustment | Sequence[InfluenceAdjustment] | None = None,
        *,
        keep_calibration: bool = True,
        reweight: Reweight | None = None,
    ) -> Self:
        """A design identical but for its weights: the hook of :mod:`trustsurvey.weighting`.

        ``new_weights`` (aligned with :attr:`data`, all positive) replace the weights. A
        linearisation design appends each ``calibration`` object (``adjust(scores) ->
        scores``) to the adjustments applied to influence values before aggregation
        (``keep_calibration=False`` drops the earlier ones: weights taken as fixed). A
        replicate design applies ``reweight`` (the same weighting step as a function of a set
        of weights) to every replicate's weights, as R's ``calibrate.svyrep.design``; without
        ``reweight`` the replicate weights are scaled by ``new / old`` weight.
        """

    @abstractmethod
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
        """Means (``kind="mean"``) or totals of the columns of ``ys`` per domain of ``doms``.

        ``valid`` marks the rows that count for each column (NaN never counts; the domain
        is applied here). Returns ``(D, V)`` arrays ``estimate, var, n, deff, sw`` (``sw``
        the weight totals) and, with ``covmat``, ``cov`` of the ``D*V`` estimates in
        group-major order.
        """

    @abstractmethod
    def model_covariance(
        self,
        estimate: np.ndarray,
        used: np.ndarray,
        *,
        influence: Callable[[], np.ndarray],
        refit: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """Covariance of an estimator fitted on rows ``used``.

        ``influence()`` gives its weighted influence values (``n x k``, rows in data order,
        zero where not used), summed to units by the linearisation engine (R's
        ``svy.varcoef``); ``refit(w)`` fits it again with weights ``w`` of the used rows, as
        the replicate engine does for every replicate (R's ``svrVar``). Each engine calls
        only its own.
        """

    @abstractmethod
    def model_degf(self, used: np.ndarray) -> int:
        """Design df on which a model fitted on rows ``used`` bases its residual df."""

    # ------------------------------------------------------------------ estimators
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
        """Weighted means with design-based SEs (R's ``svymean``/``svyby``); several
        variables with ``by`` give a long frame indexed by (by..., variable). With
        ``covmat=True`` their covariance is available from
        :func:`trustsurvey.design.vcov` of the result."""
        from trustsurvey.design import estimators

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
        """Weighted totals with design-based SEs (R's ``svytotal``)."""
        from trustsurvey.design import estimators

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

    @abstractmethod
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

    def contrast(
        self, result: pd.DataFrame, weights: Any, *, level: float = 0.95, df: float | None = None
    ) -> pd.DataFrame:
        """Linear combinations of a result's rows, or expressions of them (``"a / b"``,
        ``{"rr": "exp(x)"}``), with SEs (R's ``svycontrast``); the result needs its
        covariance (``covmat=True``, or any ``glm``)."""
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

    def ttest(self, y: str, group: str, *, level: float = 0.95) -> pd.DataFrame:
        """Design-based two-group t test (R's ``svyttest``) with a ``level`` interval."""
        from trustsurvey.design.tests import ttest

        return ttest(self, y, group, level=level)

    def chisq(self, a: str, b: str, statistic: str = "F") -> pd.DataFrame:
        """Rao-Scott test of association of two categorical items (R's ``svychisq``)."""
        from trustsurvey.design.tests import chisq

        return chisq(self, a, b, statistic=statistic)

    def glm(
        self,
        formula: str,
        family: str = "gaussian",
        *,
        level: float = 0.95,
        offset: str | None = None,
    ) -> pd.DataFrame:
        """Design-based generalised linear model (R's ``svyglm``); formulas in formulaic
        syntax, e.g. ``"y ~ x * wave + C(group)"``; families gaussian, (quasi)binomial and
        (quasi)poisson, with an ``offset`` (or an ``offset(log(pop))`` term). The covariance
        of the coefficients: :func:`trustsurvey.design.vcov`; the model:
        :func:`trustsurvey.design.result_info`."""
        from trustsurvey.design.models import glm

        return glm(self, formula, family=family, level=level, offset=offset)

    # ------------------------------------------------------------------ weighting (delegates)
    def poststratify(
        self,
        targets: Mapping[Any, Any],
        *,
        total: float | None = None,
        fixed_weights: bool = False,
    ) -> Self:
        """Post-stratify to population counts (R's ``postStratify``; see
        :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import poststratify

        return poststratify(self, targets, total=total, fixed_weights=fixed_weights)

    def rake(
        self,
        margins: Mapping[Any, Any],
        *,
        total: float | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
        fixed_weights: bool = False,
    ) -> Self:
        """Rake to marginal targets (R's ``rake``; see :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import rake

        return rake(
            self, margins, total=total, tol=tol, max_iter=max_iter, fixed_weights=fixed_weights
        )

    def calibrate(
        self,
        totals: Mapping[Any, Any],
        method: str = "linear",
        bounds: tuple[float, float] | None = None,
        *,
        tol: float = 1e-10,
        max_iter: int = 100,
        fixed_weights: bool = False,
    ) -> Self:
        """Calibrate to population totals (R's ``calibrate``; see
        :mod:`trustsurvey.weighting`)."""
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
    ) -> Self:
        """Trim extreme weights (R's ``trimWeights``; see :mod:`trustsurvey.weighting`)."""
        from trustsurvey.weighting import trim

        return trim(self, lower=lower, upper=upper, strict=strict, fixed_weights=fixed_weights)


def check_positive(values: np.ndarray, name: str, role: str, index: pd.Index) -> None:
    """A :class:`DesignError` naming the rows unless every value is positive and finite."""
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
