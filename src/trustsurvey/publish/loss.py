"""What disclosure control cost a bundle: rows suppressed and the share of information lost.

The information lost is the weighted count of the suppressed rows over the weighted count of
all rows, over the tables with a count (Hundepool et al. 2012, *Statistical Disclosure
Control*, sec. 4.2: a cell's cost is its weighted frequency; :func:`row_costs` with
``suppression_cost="weighted"``). A row whose n alone is withheld (its mean stays) is counted
apart and loses nothing here.

>>> from trustsurvey.publish.fixture import synthetic_tables
>>> from trustsurvey.publish.suppression import protect_tables
>>> t = synthetic_tables(seed=1)
>>> out, _ = protect_tables(t, DisclosurePolicy())
>>> lost = information_lost(t, out)
>>> 0 < lost["info_lost"] < 1, lost["suppressed"] >= lost["complementary"]
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.publish.optimal import row_costs
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.relations import N_WITHHELD, build_cells
from trustsurvey.publish.schema import KINDS

COMPLEMENTARY = "complementary"


def row_weights(tables: Mapping[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Weighted count of every row of the (normalised, unprotected) tables with a count."""
    index = build_cells(tables)
    cost = row_costs(tables, index, DisclosurePolicy(suppression_cost="weighted"))
    out = {}
    for kind, df in tables.items():
        spec = KINDS[kind]
        if spec.count:
            start = index.offsets[(kind, spec.count)]
            out[kind] = cost[start : start + len(df)]
    return out


def information_lost(
    tables: Mapping[str, pd.DataFrame], published: Mapping[str, pd.DataFrame]
) -> dict[str, Any]:
    """Rows, rows suppressed, complements, n withheld and the share of information lost of
    ``published`` (the protected ``tables``; rows matched by their keys, as protection may
    reorder them)."""
    weight = row_weights(tables)
    rows = hidden = complements = withheld = 0
    lost = total = 0.0
    for kind, w in weight.items():
        df = published[kind]
        keys = [k for k in KINDS[kind].keys if k in df.columns]
        true_rows = tables[kind][keys].reset_index(drop=True).reset_index(names="_true")
        pos = df[keys].reset_index(drop=True).reset_index(names="_pub").merge(true_rows, on=keys)
        order = np.empty(len(df), dtype=int)
        order[pos["_pub"].to_numpy()] = pos["_true"].to_numpy()
        sup = df["suppressed"].to_numpy(dtype=bool)
        why = df["suppression_reason"].astype(object)
        lost += float(w[order][sup].sum())
        total += float(w.sum())
        rows += len(df)
        hidden += int(sup.sum())
        complements += int((why == COMPLEMENTARY).sum())
        withheld += int((why == N_WITHHELD).sum())
    return {
        "cells": rows,
        "suppressed": hidden,
        "complementary": complements,
        "n_withheld": withheld,
        "info_lost": lost / total if total else 0.0,
    }
