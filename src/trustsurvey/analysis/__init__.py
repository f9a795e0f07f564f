"""Analysis: reliability, comparisons, DiD, ordinal models, focus groups, planning, sampling.

Plain functions on pandas DataFrames returning tidy DataFrames (pingouin style). Modules:

- :mod:`~trustsurvey.analysis.reliability` — scale scores, Cronbach's alpha, omega, items
- :mod:`~trustsurvey.analysis.focus_groups` — coded focus groups: themes, agreement
- :mod:`~trustsurvey.analysis.planning` — DiD power, sample size, MDE, ICC
- :mod:`~trustsurvey.analysis.sampling` — allocation, systematic PPS, Kish tables

On a ``SurveyDesign`` (design-based, R ``survey`` conformant):

- :mod:`~trustsurvey.analysis.did` — difference-in-differences, event study, pre-trend test
- :mod:`~trustsurvey.analysis.staggered` — staggered roll-out: group-time ATTs, event study
- :mod:`~trustsurvey.analysis.few_clusters` — wild cluster bootstrap, randomisation inference
- :mod:`~trustsurvey.analysis.honest` — pre-trend sensitivity (HonestDiD-style bounds)
- :mod:`~trustsurvey.analysis.compare` — pilot vs control means and shares per wave,
  community and subgroup; Likert distributions and Rao-Scott tests
- :mod:`~trustsurvey.analysis.choices` — multiple-choice items (local problems)
- :mod:`~trustsurvey.analysis.effects` — standardised mean differences with design-based CIs
- :mod:`~trustsurvey.analysis.ordinal` — proportional-odds model (R's ``svyolr``)
- :mod:`~trustsurvey.analysis.imputation` — multiple imputation (chained equations, PMM)
  within the design; :mod:`~trustsurvey.analysis.rubin` — Rubin's rules
- :mod:`~trustsurvey.analysis.nonresponse` — worst-case bounds and delta-adjusted bands for
  item non-response ("difficult to answer")
- :mod:`~trustsurvey.analysis.margins` — predictive margins and average marginal effects
- :mod:`~trustsurvey.analysis.small_area` — small-area estimates (Fay-Herriot, BHF EBLUP)
- :mod:`~trustsurvey.analysis.multiplicity` — Holm and Benjamini-Hochberg p-values
- :mod:`~trustsurvey.analysis.figures` — plotly figures of these tables

Names are loaded on first use, so importing the package stays light.
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
_EXPORTS.update(
    {
        # the function ``did`` is ``trustsurvey.did`` (or ``trustsurvey.analysis.did.did``):
        # the package attribute ``did`` is the submodule once it is imported
        "did": ("did_table", "event_study"),
        "staggered": ("did_staggered", "staggered_effects"),
        "few_clusters": (
            "randomisation_inference",
            "wild_bootstrap_did",
            "wild_bootstrap_staggered",
        ),
        "honest": ("honest_bounds", "honest_event_study"),
        "compare": (
            "compare_communities",
            "compare_means",
            "compare_proportions",
            "compare_subgroups",
            "likert_distribution",
            "likert_tests",
        ),
        "choices": ("multiple_choice", "multiple_choice_difference", "option_columns"),
        "effects": ("standardized_difference",),
        "ordinal": ("proportional_odds", "svyolr"),
        "margins": ("marginal_effects", "predictive_margins"),
        "multiplicity": ("adjust_pvalues",),
        "figures": ("forest_figure", "likert_figure", "problems_figure", "trend_figure"),
        "imputation": ("ImputedDesigns", "impute", "mi_analyse"),
        "rubin": ("mi_combine",),
        "nonresponse": ("delta_band", "imbens_manski", "nonresponse_bounds"),
    }
)
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"trustsurvey.analysis.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'trustsurvey.analysis' has no attribute {name!r}")
