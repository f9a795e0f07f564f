"""The declared table kinds of a results bundle: a small schema per kind, in a registry.

Every table in a bundle is one of these kinds. A kind lists its key columns (what a row is
about), its value columns (numbers), which count column holds *unweighted respondents*
(subject to the small-cell rule), and which key columns are margin dimensions: a key equal to
:data:`ALL` marks a margin row that aggregates over that dimension.

A kind also declares, as data, how its numbers relate to the other tables (:class:`Link`:
counts within a sample size, a monthly series adding up to a period, the n of a mean equal to
the answers of its item), which columns are computed from its count (``derived``: rates per
1,000 with a published population) and the order of its rows (``order``: published columns
only). The disclosure audit builds its constraint system from these declarations; a kind
without them (``links=None``) cannot be published.

>>> KINDS["estimates"].keys
('outcome', 'community', 'arm', 'wave', 'subgroup', 'level')
>>> sorted(KINDS)[:3]
['appeals', 'appeals_monthly', 'did']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Value of a key column in a margin row ("all communities", "both arms", "everyone").
ALL = "all"


@dataclass(frozen=True)
class Link:
    """``sum(count of the child rows of a group) (sense) count of one row of parent``.

    Declared on the child kind. The child rows (those matching ``where``) are grouped by
    ``group`` (default ``on``); each group's parent is the row of ``parent`` (matching
    ``parent_where``) with the same values of the ``on`` keys. ``sense``: ``"eq"`` (always
    adds up), ``"le"`` (parts need not cover the whole) or ``"auto"`` (adds up unless the
    published numbers show otherwise, e.g. item non-response).

    >>> Link("sample_sizes", on=("community", "arm", "wave"), sense="le").parent
    'sample_sizes'
    """

    parent: str
    on: tuple[str, ...]
    sense: str = "auto"
    group: tuple[str, ...] = ()
    where: tuple[tuple[str, Any], ...] = ()
    parent_where: tuple[tuple[str, Any], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class TableKind:
    """Schema of one table kind.

    Parameters
    ----------
    name
        Registry key, also the Parquet file stem in the bundle.
    keys
        Key columns (strings, except ``wave`` which is an integer).
    values
        Numeric value columns, in order; the optional ones may be absent from the input.
    required
        Columns that must be present in the input (others are filled: keys with ``ALL``,
        values with missing).
    count
        Column of unweighted respondents the small-cell rule applies to, or ``None``.
    dims
        Margin dimensions: tuples of key columns; all ``ALL`` in a row = the margin over it.
        The first columns of a tuple name the partition family (``subgroup`` for
        ``(subgroup, level)``).
    blank
        Value columns blanked when a row is suppressed.
    flags
        Boolean columns carried as is (e.g. ``dont_know`` for "difficult to answer").
    share
        A share column that adds up to 1 within a group of key columns, or ``None``.
    share_group
        Keys defining the groups within which ``share`` adds to 1.
    unit
        What ``count`` counts: ``"respondents"`` (survey cells, threshold ``min_cell``) or
        ``"records"`` (programme records such as hotline appeals, threshold ``min_records``).
    links
        How the count relates to other tables (:class:`Link`); ``()`` when it relates to
        none beyond its own margins and shares, in which case ``unrelated`` says why.
        ``None`` (undeclared): the kind cannot be published.
    unrelated
        Why a kind without links (or without a count) needs none, e.g. "counts of
        programme activities, not of people".
    derived
        Value columns computed from ``count`` alone with published constants (a rate per
        1,000 with a published population): they reveal the count, so they are blanked with
        it (they must be in ``blank``).
    order
        Columns the published rows are sorted by (NaN last), for a kind whose rows an
        analysis may order by value, so that no row order follows a hidden value (a
        suppressed problem's share): keys and published values only. Kinds without it keep
        the order they were given in (the study's order of subgroups and levels).
    follows
        A kind whose values are derived from another kind's whole-domain rows (bounds
        around an estimate): a row is hidden (``complementary``) whenever the row of
        ``follows`` with the same keys (subgroup and level ``all``) is suppressed, has its
        ``n`` withheld, or is not published at all.
    """

    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    required: tuple[str, ...]
    count: str | None = None
    dims: tuple[tuple[str, ...], ...] = ()
    blank: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    share: str | None = None
    share_group: tuple[str, ...] = ()
    cv: bool = False
    unit: str = "respondents"
    doc: str = ""
    text_columns: tuple[str, ...] = field(default=())
    links: tuple[Link, ...] | None = None
    unrelated: str = ""
    derived: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    follows: str | None = None

    @property
    def declared(self) -> bool:
        """Whether the kind says how it relates to the other tables (publishable)."""
        return self.links is not None and (bool(self.links) or bool(self.unrelated))

    @property
    def row_order(self) -> tuple[str, ...]:
        """Columns the published rows are sorted by."""
        return self.order or self.keys

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a published table of this kind may hold, in order."""
        extra = ("cv", "unreliable") if self.cv else ()
        sup = ("suppressed", "suppression_reason") if self.count else ()
        return (*self.keys, *self.values, *self.flags, *extra, *sup)


_EST_VALUES = ("estimate", "se", "ci_low", "ci_high", "df", "deff", "n")
_BOUND_VALUES = (
    "answered",
    "lower",
    "upper",
    "lower_se",
    "upper_se",
    "ci_low",
    "ci_high",
    "share_missing",
    "scale_low",
    "scale_high",
    "n_missing",
)
_PROG_COUNTS = (
    "activities",
    "participants",
    "female",
    "male",
    "police",
    "residents",
    "officials",
    "ngo",
)
_STAGGERED_VALUES = ("estimate", "se", "ci_low", "ci_high", "band_low", "band_high", "df", "n")
_GROUP_DIMS = (("community",), ("arm",), ("subgroup", "level"))
_CAW = ("community", "arm", "wave")
_PROGRAMME = "counts of programme activities and participants (events), not of respondents"

KINDS: dict[str, TableKind] = {
    k.name: k
    for k in (
        TableKind(
            "estimates",
            keys=("outcome", "community", "arm", "wave", "subgroup", "level"),
            values=_EST_VALUES,
            required=("outcome", "wave", "estimate", "n"),
            count="n",
            dims=_GROUP_DIMS,
            blank=_EST_VALUES,
            cv=True,
            doc="Design-based estimates (means, proportions, indices) with CIs and unweighted n.",
            links=(
                Link(
                    "sample_sizes",
                    on=_CAW,
                    sense="le",
                    group=("outcome", "subgroup", "level", *_CAW),
                    where=(("subgroup", ALL),),
                    label="estimates: within sample size",
                ),
            ),
        ),
        TableKind(
            "likert",
            keys=("outcome", "community", "arm", "wave", "category"),
            values=("order", "share", "se", "n"),
            required=("outcome", "wave", "category", "share", "n"),
            count="n",
            dims=(("community",), ("arm",)),
            blank=("share", "se", "n"),
            flags=("dont_know",),
            share="share",
            share_group=("outcome", "community", "arm", "wave"),
            doc="Distribution of answers over categories incl. 'difficult to answer' (share, n).",
            links=(
                # every answer of an item is one of its categories: an intruder reads them as
                # adding up to the sample size unless the numbers show item non-response
                Link(
                    "sample_sizes",
                    on=_CAW,
                    group=("outcome", *_CAW),
                    label="likert: within sample size",
                ),
                # the n beside a mean counts the substantive answers of the item's
                # distribution ("auto": an estimate of a recoded item may count differently)
                Link(
                    "estimates",
                    on=("outcome", *_CAW),
                    where=(("dont_know", False),),
                    parent_where=(("subgroup", ALL), ("level", ALL)),
                    label="estimates: n = substantive answers",
                ),
            ),
            order=("outcome", "community", "arm", "wave", "order", "category"),
        ),
        TableKind(
            "nonresponse_bounds",
            keys=("outcome", "community", "arm", "wave"),
            values=_BOUND_VALUES,
            required=("outcome", "wave", "lower", "upper", "n_missing"),
            count="n_missing",
            dims=(("community",), ("arm",)),
            blank=_BOUND_VALUES,
            doc="Worst-case bounds on a mean when the non-answerers ('difficult to answer', "
            "refused, no answer) could have given any answer on the scale (Manski), with "
            "the mean of the answerers and the weighted share not answering; n_missing = "
            "unweighted non-answerers.",
            links=(
                Link(
                    "sample_sizes",
                    on=_CAW,
                    sense="le",
                    group=("outcome", *_CAW),
                    label="nonresponse_bounds: non-answerers within sample size",
                ),
            ),
            follows="estimates",
        ),
        TableKind(
            "did",
            keys=("outcome", "contrast"),
            values=("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n"),
            required=("outcome", "estimate", "ci_low", "ci_high", "n"),
            count="n",
            blank=("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n"),
            doc="Difference-in-differences results (pilot minus control change).",
            links=(),
            unrelated="its n counts both arms' respondents in the contrast's waves: withheld "
            "whenever the n of an overall estimate of its outcome is hidden",
        ),
        TableKind(
            "did_staggered",
            keys=("outcome", "type", "cohort", "wave", "event_time"),
            values=_STAGGERED_VALUES,
            required=("outcome", "type", "estimate", "n"),
            count="n",
            blank=_STAGGERED_VALUES,
            doc="Staggered-adoption DiD (Callaway & Sant'Anna 2021): group-time effects of each "
            "cohort (first treated wave), and their overall, per-cohort and event-time "
            "aggregates with the event study's simultaneous band.",
            links=(),
            unrelated="its n counts the answers of whole community-waves (a cohort and its "
            "comparison communities in two waves): withheld for every row of an outcome "
            "whenever the n of any community-wave estimate of that outcome is hidden",
        ),
        TableKind(
            "problems",
            keys=("community", "arm", "wave", "problem"),
            values=("rank", "share", "se", "n"),
            required=("wave", "problem", "share", "n"),
            count="n",
            dims=(("community",), ("arm",)),
            blank=("rank", "share", "se", "n"),
            doc="Local security problems named, ranked by share (n = respondents asked).",
            links=(
                Link(
                    "sample_sizes",
                    on=_CAW,
                    sense="le",
                    group=("problem", *_CAW),
                    label="problems: within sample size",
                ),
            ),
            # the rank is blanked with a suppressed row: its rows follow the problem code
            order=("community", "arm", "wave", "rank", "problem"),
        ),
        TableKind(
            "focus_groups",
            keys=("theme", "arm", "wave"),
            values=("n_groups", "n_mentions", "share_groups"),
            required=("theme", "arm", "n_groups"),
            doc="Focus-group theme matrix: groups and mentions per theme and arm (no quotes).",
            links=(),
            unrelated="counts of focus groups and coded mentions, not of respondents",
        ),
        TableKind(
            "sample_sizes",
            keys=("community", "arm", "wave"),
            values=("n", "n_weighted", "response_rate"),
            required=("wave", "n"),
            count="n",
            dims=(("community",), ("arm",)),
            blank=("n", "n_weighted", "response_rate"),
            doc="Unweighted (and weighted) respondents per community, arm and wave.",
            links=(),
            unrelated="the sample sizes other tables' counts are linked to (their links name it)",
        ),
        TableKind(
            "weighting",
            keys=("community", "arm", "wave", "statistic"),
            values=("value",),
            required=("wave", "statistic", "value"),
            doc="Weighting diagnostics (Kish deff, efficiency, weight range, trimming).",
            links=(),
            unrelated="summaries of the weights per wave and arm, no counts of respondents",
        ),
        TableKind(
            "quality",
            keys=("wave", "check"),
            values=("n_flagged", "share_flagged"),
            required=("wave", "check", "n_flagged"),
            doc="Data-quality checks: interviews flagged per check and wave.",
            links=(),
            unrelated="interviews flagged over a whole wave, not in any published cell",
        ),
        # programme monitoring (issue 9): aggregates of activity records, the hotline log and
        # training tests; no free-text notes, no caller details
        TableKind(
            "programme_activities",
            keys=("community", "arm", "type", "period"),
            values=_PROG_COUNTS,
            required=("period", "activities"),
            doc="Programme activities and participants by community, type, arm and period.",
            links=(),
            unrelated=_PROGRAMME,
        ),
        TableKind(
            "programme_timeline",
            keys=("community", "month"),
            values=("activities", "participants"),
            required=("month", "activities"),
            doc="Programme activities per community and month (timeline).",
            links=(),
            unrelated=_PROGRAMME,
        ),
        TableKind(
            "programme_intensity",
            keys=("community", "arm", "period"),
            values=(
                "population",
                "activities",
                "participants",
                "activities_per_1000",
                "participants_per_1000",
            ),
            required=("community", "period", "activities_per_1000"),
            doc="Programme intensity: activities and participants per 1,000 residents.",
            links=(),
            unrelated=_PROGRAMME + "; its populations make rates per 1,000 derived counts",
        ),
        TableKind(
            "appeals",
            keys=("community", "category", "period"),
            values=("n", "per_1000"),
            required=("period", "n"),
            count="n",
            dims=(("community",), ("category",)),
            blank=("n", "per_1000"),
            unit="records",
            doc="Hotline appeals per community, category and period; small counts suppressed.",
            links=(
                # the time-to-resolution table counts every appeal of a category
                Link(
                    "resolution",
                    on=("category",),
                    sense="eq",
                    where=(("community", ALL),),
                    parent_where=(("arm", ALL), ("period", ALL)),
                    label="appeals: periods add up to the category's appeals (resolution)",
                ),
            ),
            derived=("per_1000",),
        ),
        TableKind(
            "appeals_monthly",
            keys=("month", "period", "category"),
            values=("n", "per_1000"),
            required=("month", "period", "category", "n"),
            count="n",
            blank=("n", "per_1000"),
            unit="records",
            doc="Hotline appeals per month, period and category (all communities); a month "
            "split by the start of a wave has a row in each period; small counts suppressed.",
            links=(
                Link(
                    "appeals",
                    on=("category", "period"),
                    sense="eq",
                    parent_where=(("community", ALL),),
                    label="appeals_monthly: months add up to the period",
                ),
            ),
            derived=("per_1000",),
            order=("period", "month", "category"),
        ),
        TableKind(
            "resolution",
            keys=("arm", "category", "period"),
            values=(
                "n",
                "resolved",
                "pending",
                "share_resolved",
                "median_days",
                "median_ci_low",
                "median_ci_high",
                "p90_days",
            ),
            required=("n", "median_days"),
            count="n",
            blank=(
                "n",
                "resolved",
                "pending",
                "share_resolved",
                "median_days",
                "median_ci_low",
                "median_ci_high",
                "p90_days",
            ),
            unit="records",
            doc="Time to resolution of appeals (Kaplan-Meier; pending appeals censored).",
            links=(),
            unrelated="the appeals of a category over all periods are linked from appeals",
        ),
        TableKind(
            "training",
            keys=("type", "comparison"),
            values=(
                "n",
                "trainings",
                "mean_pre",
                "mean_later",
                "mean_change",
                "ci_low",
                "ci_high",
                "p_value",
                "hedges_g",
                "share_improved",
            ),
            required=("type", "comparison", "mean_change"),
            doc="Training evaluations: paired pre/post change with CI and effect size.",
            links=(),
            unrelated="changes in test scores of trained officers, no counts of respondents",
        ),
        TableKind(
            "dose_response",
            keys=("community", "arm"),
            values=(
                "change",
                "se",
                "ci_low",
                "ci_high",
                "activities_per_1000",
                "fitted",
                "fitted_ci_low",
                "fitted_ci_high",
            ),
            required=("community", "change", "activities_per_1000"),
            flags=("small_cell",),
            doc="Observational dose-response: change in trust per community against programme "
            "intensity (not a causal effect); a community with fewer than min_cell "
            "respondents in a wave has no change (small_cell) and is not in the fit.",
            links=(),
            unrelated="a change per community, blank where a wave has fewer than min_cell",
        ),
        TableKind(
            "dose_fit",
            keys=("term",),
            values=("estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "k"),
            required=("term", "estimate"),
            doc="Observational meta-regression of the change in trust on programme intensity.",
            links=(),
            unrelated="one fit over the communities with a published change",
        ),
        TableKind(
            "small_area",
            keys=("outcome", "community", "wave", "method", "basis"),
            values=("estimate", "rmse", "ci_low", "ci_high", "gamma"),
            required=("outcome", "community", "wave", "basis", "estimate"),
            doc="Model-based small-area estimates per community (Fay-Herriot EBLUP on the "
            "area covariates of the study): basis 'eblup' mixes the community's published "
            "direct estimate with the regression (weight gamma); basis 'synthetic' is the "
            "regression alone, for a community whose direct estimate is not published.",
            links=(),
            unrelated="derived only from published direct estimates: a community whose direct "
            "estimate is suppressed is left out of the model fit and gets the synthetic "
            "estimate, which does not depend on its respondents",
        ),
    )
}

#: Kinds in the order they are shown and written.
KIND_ORDER: tuple[str, ...] = tuple(KINDS)
