"""Attach the joint-probability variance of a PPS design to its structure.

The PSU inclusion probabilities come from ``fpc`` (R's convention), else ``probs``, else the
diagonal of :func:`~trustsurvey.design.pps.ppsmat`; ``Dcheck`` is built over the first-stage
units in code order (see :mod:`trustsurvey.design.pps` for the formulas).

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0], "pi": [0.5, 0.5]}), fpc="pi", pps="overton")
>>> d.structure.joint.dcheck.toarray().round(3).tolist()
[[0.5, -0.5], [-0.5, 0.5]]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.pps import (
    PPS_VARIANCES,
    HartleyRao,
    JointProbabilities,
    JointVariance,
    StratumJointVariance,
    check_joint,
    hartley_rao_p2bar,
    hartley_rao_variance,
    joint_dcheck,
    overton_variance,
)
from trustsurvey.design.rows import row_ref
from trustsurvey.design.structure import DesignStructure
from trustsurvey.errors import DesignError


def check_pps_arguments(
    method: str | None, variance: str, fpc: list[str | None] | None, probs: Any
) -> None:
    """Clear errors for a ``variance`` or missing probabilities that R would not accept."""
    if variance not in PPS_VARIANCES:
        raise DesignError(
            f"unknown variance={variance!r}",
            item="variance",
            hint="use 'HT' (Horvitz-Thompson) or 'YG' (Yates-Grundy)",
        )
    if variance == "YG" and method in (None, "brewer"):
        raise DesignError(
            f"variance='YG' needs joint inclusion probabilities, not pps={method!r}",
            item="variance",
            hint="use pps='overton', 'hartley-rao' or ppsmat(joint), or variance='HT'",
        )
    has_fpc = fpc is not None and fpc[0] is not None
    if method == "brewer" and not has_fpc:
        raise DesignError(
            "pps='brewer' needs the PSU inclusion probabilities in fpc",
            item="fpc",
            hint="fpc='pi' names the column with each PSU's probability of selection",
        )
    if method in ("overton", "hartley-rao") and not has_fpc and probs is None:
        raise DesignError(
            f"pps={method!r} needs the PSU inclusion probabilities in fpc (or probs)",
            item="fpc",
            hint="fpc='pi' names the column with each PSU's probability of selection",
        )


def _unit_labels(
    data: pd.DataFrame,
    structure: DesignStructure,
    ids: list[str | None],
    strata: list[str] | None,
    nest: bool,
) -> np.ndarray:
    st = structure.stages[0]
    if ids[0] is None and not (nest and strata):
        return data.index.to_numpy()
    first = np.full(st.n_units, -1, dtype=np.int64)
    first[st.unit[::-1]] = np.arange(len(st.unit))[::-1]
    if ids[0] is None:
        return data.index.to_numpy()[first]
    values = data[ids[0]].to_numpy()[first]
    if nest and strata:
        keys = data[strata[0]].to_numpy()[first]
        return np.array(list(zip(keys, values, strict=True)), dtype=object)
    return values


def _probs_per_unit(
    data: pd.DataFrame, structure: DesignStructure, probs: Any
) -> np.ndarray | None:
    st = structure.stages[0]
    if st.unit_prob is not None:
        return st.unit_prob
    if probs is None:
        return None
    col = probs if isinstance(probs, str) else next(iter(probs))
    v = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    lo = np.full(st.n_units, np.inf)
    hi = np.full(st.n_units, -np.inf)
    np.minimum.at(lo, st.unit, v)
    np.maximum.at(hi, st.unit, v)
    varies = ~np.isclose(lo, hi, rtol=1e-12, atol=0)
    if varies.any():
        raise DesignError(
            f"probs column {col!r} varies within a PSU",
            item=col,
            row=row_ref(data.index, np.isin(st.unit, np.flatnonzero(varies))),
            hint="with pps the probabilities are the PSUs' inclusion probabilities",
        )
    return lo


def joint_structure(
    structure: DesignStructure,
    data: pd.DataFrame,
    pps: Any,
    method: str,
    variance: str,
    ids: list[str | None],
    strata: list[str] | None,
    nest: bool,
    probs: Any,
) -> tuple[DesignStructure, np.ndarray]:
    """The structure with its :class:`~trustsurvey.design.pps.JointVariance`, and the
    weights ``1/pi`` of every row (used when no weights, probs or fpc are given)."""
    st = structure.stages[0]
    prob = _probs_per_unit(data, structure, probs)
    labels = _unit_labels(data, structure, ids, strata, nest)
    if method == "joint":
        assert isinstance(pps, JointProbabilities)
        pij = check_joint(pps.joint, labels)
        diag = np.diag(pij)
        if prob is not None:
            off = ~np.isclose(diag, prob, rtol=1e-8, atol=1e-12)
            if off.any():
                i = int(np.flatnonzero(off)[0])
                raise DesignError(
                    f"the joint probabilities' diagonal ({diag[i]!r}) differs from the "
                    f"inclusion probability of PSU {labels[i]} ({prob[i]!r})",
                    item="pps",
                    row=row_ref(data.index, st.unit == i),
                    hint="the diagonal of ppsmat(joint) is each PSU's pi_i: give the same "
                    "probabilities in fpc",
                )
        prob = diag
        joint: JointVariance | StratumJointVariance = JointVariance(
            dcheck=joint_dcheck(pij, pps.tolerance), kind=variance
        )
    else:
        assert prob is not None
        strat = st.unit_stratum
        if method == "overton":
            joint = overton_variance(prob, strat, variance)
        else:
            spec = pps if isinstance(pps, HartleyRao) else None
            p2bar = hartley_rao_p2bar(spec, prob, strat, st.stratum_labels)
            joint = hartley_rao_variance(prob, strat, p2bar, variance)
    return replace(structure, joint=joint), 1.0 / prob[st.unit]
