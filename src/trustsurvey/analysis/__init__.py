"""Analysis: reliability of indices, focus groups, DiD planning and sample drawing.

Plain functions on pandas DataFrames returning tidy DataFrames (pingouin style). Modules:

- :mod:`~trustsurvey.analysis.reliability` — scale scores, Cronbach's alpha, omega, items
- :mod:`~trustsurvey.analysis.focus_groups` — coded focus groups: themes, agreement
- :mod:`~trustsurvey.analysis.planning` — DiD power, sample size, MDE, ICC
- :mod:`~trustsurvey.analysis.sampling` — allocation, systematic PPS, Kish tables

Comparisons and difference-in-differences on a ``SurveyDesign`` live in their own modules
(``compare``, ``did``) next to these. Names are loaded on first use, so importing the
package stays light.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "reliability": (
        "cronbach_alpha",
        "factor_loadings_by_group",
        "item_analysis",
        "omega_total",
        "scale_reliability",
        "scale_score",
    ),
    "focus_groups": (
        "FocusGroupData",
        "compare_with_survey",
        "intercoder_agreement",
        "read_focus_groups",
        "theme_frequencies",
        "theme_heatmap",
        "valence_balance",
    ),
    "planning": (
        "design_effect",
        "did_mde",
        "did_power",
        "did_sample_size",
        "icc_anova",
        "simulate_did_power",
    ),
    "sampling": (
        "KISH_TABLES",
        "SampleDraw",
        "allocate",
        "complete_weights",
        "draw_sample",
        "kish_assign",
        "kish_grid",
        "kish_select",
        "pps_probabilities",
        "systematic_pps",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"trustsurvey.analysis.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'trustsurvey.analysis' has no attribute {name!r}")
