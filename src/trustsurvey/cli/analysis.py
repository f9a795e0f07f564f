"""Commands of the analysis room: ``trustsurvey plan``, ``sample`` and ``did``.

Heavy libraries are imported inside the commands so ``trustsurvey --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustsurvey.errors import AnalysisError, InputFileError

PLAN_HELP = "\n\n".join(
    [
        "Sample size, power and minimum detectable effect for a difference-in-differences.",
        "Pilot and control communities, baseline and follow-up, as four independent "
        "cross-sections: Var(DiD) = sd^2 deff (1/n_pt0 + 1/n_pt1 + 1/n_ct0 + 1/n_ct1), with "
        "deff = (1 + (m - 1) ICC) x weighting deff. With --effect: respondents needed per arm "
        "and wave; with --n: the minimum detectable effect (and the power, if both are given).",
        "Respondents for a DiD of 0.3 SD:",
        "trustsurvey plan --effect 0.3 --icc 0.05 --cluster-size 10 --deff-weighting 1.3",
        "A rise of 10 points in awareness of the community officer from 20%:",
        "trustsurvey plan --effect 0.10 --proportion 0.2 --icc 0.05 --cluster-size 12",
        "MDE with 400 respondents per arm and wave:",
        "trustsurvey plan --n 400 --icc 0.05 --cluster-size 10",
        "ICC and cluster size estimated from an earlier wave:",
        "trustsurvey plan --effect 0.3 --sd 1.18 --icc-from waves.sav --subset 'wave == 1' "
        "--item q7_trust,q12_safety --cluster psu",
    ]
)

SAMPLE_HELP = "\n\n".join(
    [
        "Draw the next wave's sample from a settlement frame (CSV or XLSX).",
        "Allocates --n-psu settlements across strata, selects them by systematic PPS on --size "
        "(certainty settlements first), takes --take households per settlement and gives each "
        "household sheet a Kish selection table. Writes to OUTDIR: allocation.csv, "
        "settlements.csv (pi1, pi2), households.csv (interviewer sheets: Kish table and its "
        "choice for 1 to 6+ adults, pi1, pi2, empty adults/pi3/weight columns) and "
        "kish_tables.csv. The frame file is never modified.",
        "40 settlements, 10 households each, households counted in the frame:",
        "trustsurvey sample frame.csv --strata hromada --size population --n-psu 40 "
        "--take 10 --households households --seed 7 -o sample_w3",
        "Neyman allocation, at least 4 settlements per hromada, 2.6 persons per household:",
        "trustsurvey sample frame.xlsx --strata hromada --size population --n-psu 40 "
        "--take 10 --household-size 2.6 --allocation neyman --sd sd_trust --minimum 4 "
        "-o sample_w3",
    ]
)


def _read_frame(path: Path):
    import pandas as pd

    if not path.is_file():
        raise InputFileError("frame file not found", file=path, hint="check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path)
    if suffix in (".csv", ".txt"):
        try:
            return pd.read_csv(path, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError) as err:
            raise InputFileError(
                f"cannot read the frame ({err})", file=path, hint="save it as UTF-8 CSV"
            ) from err
    raise InputFileError(f"unsupported frame type {suffix!r}", file=path, hint="use CSV or XLSX")


def _show(title: str, frame) -> None:
    typer.echo(title)
    typer.echo(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    typer.echo("")


def plan(
    effect: Annotated[float | None, typer.Option(help="DiD to detect, outcome units.")] = None,
    power: Annotated[float, typer.Option(help="Target power.")] = 0.8,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    icc: Annotated[float, typer.Option(help="Intra-cluster correlation.")] = 0.0,
    cluster_size: Annotated[
        float | None,
        typer.Option(help="Respondents per settlement (default 1, or the mean from --icc-from)."),
    ] = None,
    deff_weighting: Annotated[
        float, typer.Option(help="Kish weighting design effect 1 + CV^2.")
    ] = 1.0,
    sd: Annotated[float, typer.Option(help="Respondent-level SD of the outcome.")] = 1.0,
    proportion: Annotated[
        float | None,
        typer.Option(help="Binary outcome: baseline share p; sets --sd to sqrt(p (1 - p))."),
    ] = None,
    n: Annotated[
        float | None, typer.Option(help="Respondents per arm x wave cell (gives the MDE).")
    ] = None,
    communities_per_arm: Annotated[
        int, typer.Option(help="Communities per arm (splits the cell size).")
    ] = 1,
    icc_from: Annotated[
        Path | None, typer.Option(help="Earlier wave (.sav/.csv/...) to estimate the ICC from.")
    ] = None,
    item: Annotated[
        str | None,
        typer.Option(
            help="With --icc-from: outcome column(s), comma-separated; the largest ICC is used."
        ),
    ] = None,
    cluster: Annotated[str, typer.Option(help="With --icc-from: settlement column.")] = "psu",
    subset: Annotated[
        str | None, typer.Option(help='With --icc-from: rows to use, e.g. "wave == 1".')
    ] = None,
) -> None:
    from trustsurvey.analysis import planning

    if icc_from is not None:
        from trustsurvey.io import read_survey

        if not item:
            raise AnalysisError("--icc-from needs --item", item="item", hint="e.g. --item q7_trust")
        data = read_survey(icc_from).analysis()
        if subset:
            try:
                data = data.query(subset)
            except (SyntaxError, ValueError, KeyError, NameError, TypeError) as err:
                raise AnalysisError(
                    f"cannot apply --subset {subset!r} ({err})",
                    file=icc_from,
                    item="subset",
                    hint='write a pandas expression such as "wave == 1"',
                ) from err
        items = [i.strip() for i in item.split(",") if i.strip()]
        icc_table = planning.icc_anova(data, items, cluster)
        _show(f"ICC from {icc_from} (ANOVA estimator):", icc_table)
        worst = icc_table.loc[icc_table["icc"].idxmax()]
        icc = max(float(worst["icc"]), 0.0)
        if cluster_size is None:
            cluster_size = float(worst["mean_cluster_size"])
        typer.echo(
            f"Planning with ICC {icc:.4f} ({worst['item']}, the largest) and "
            f"{cluster_size:.1f} respondents per settlement."
        )
        if sd == 1.0 and effect is not None:
            typer.echo(
                f"The effect is in units of --sd (now 1); observed SD of {worst['item']}: "
                f"{float(data[worst['item']].std()):.3f}."
            )
        typer.echo("")
    if proportion is not None:
        if not 0 < proportion < 1:
            raise AnalysisError(
                f"--proportion must be between 0 and 1, got {proportion}", item="proportion"
            )
        sd = (proportion * (1 - proportion)) ** 0.5
        typer.echo(f"Binary outcome: sd = sqrt({proportion} x {1 - proportion:.4g}) = {sd:.4f}\n")
    if effect is None and n is None:
        raise AnalysisError(
            "nothing to plan", item="effect", hint="give --effect (sample size) or --n (MDE)"
        )
    cluster_size = 1.0 if cluster_size is None else cluster_size
    common = {"alpha": alpha, "sd": sd, "icc": icc, "cluster_size": cluster_size,
              "deff_weighting": deff_weighting}  # fmt: skip
    if effect is not None:
        _show(
            "Respondents needed per arm and wave:",
            planning.did_sample_size(
                effect, power=power, communities_per_arm=communities_per_arm, **common
            ),
        )
    if n is not None:
        _show("Minimum detectable DiD:", planning.did_mde(n, power=power, **common))
        if effect is not None:
            _show("Power for the given effect and n:", planning.did_power(effect, n, **common))


def sample(
    frame_path: Annotated[
        Path, typer.Argument(metavar="FRAME", help="Settlement frame, CSV or XLSX.")
    ],
    strata: Annotated[str, typer.Option(help="Stratum column (e.g. hromada).")],
    size: Annotated[str, typer.Option(help="Population-size column (PPS measure).")],
    n_psu: Annotated[int, typer.Option(help="Settlements to select in all.")],
    take: Annotated[int, typer.Option(help="Households per settlement.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Folder for the output CSVs.")],
    allocation: Annotated[str, typer.Option(help="proportional, equal or neyman.")] = (
        "proportional"
    ),
    sd: Annotated[str | None, typer.Option(help="Neyman: column with each stratum's SD.")] = None,
    minimum: Annotated[int, typer.Option(help="Minimum settlements per stratum.")] = 0,
    households: Annotated[
        str | None,
        typer.Option(
            help="Households-per-settlement column for pi2 (default: a households column)."
        ),
    ] = None,
    household_size: Annotated[
        float | None, typer.Option(help="Average household size, if no households column.")
    ] = None,
    id_col: Annotated[str | None, typer.Option("--id", help="Settlement id column.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same sample).")] = 1,
) -> None:
    from trustsurvey.analysis.sampling import draw_sample, kish_grid

    frame = _read_frame(frame_path)
    draw = draw_sample(
        frame,
        strata=strata,
        size=size,
        n_psu=n_psu,
        take=take,
        allocation=allocation,
        sd=sd,
        minimum=minimum,
        households=households,
        household_size=household_size,
        id=id_col,
        seed=seed,
    )
    outdir.mkdir(parents=True, exist_ok=True)
    if outdir.resolve() == frame_path.resolve().parent and frame_path.name in (
        "allocation.csv", "settlements.csv", "households.csv", "kish_tables.csv"
    ):  # fmt: skip
        raise InputFileError(
            "the output would overwrite the frame", file=frame_path, hint="choose another -o"
        )
    draw.allocation.to_csv(outdir / "allocation.csv", index=False)
    draw.settlements.to_csv(outdir / "settlements.csv", index=False)
    draw.households.to_csv(outdir / "households.csv", index=False)
    kish_grid().reset_index().to_csv(outdir / "kish_tables.csv", index=False)
    _show("Allocation:", draw.allocation)
    typer.echo(
        f"{len(draw.settlements)} settlements ({int(draw.settlements['certainty'].sum())} "
        f"certainty), {len(draw.households)} household sheets written to {outdir}"
    )


WEIGHTS_HELP = "\n\n".join(
    [
        "Complete household sheets after fieldwork: pi3 = 1 / eligible adults and the overall "
        "weight 1 / (pi1 pi2 pi3).",
        "Fill the adults column of households.csv written by 'trustsurvey sample' (leave it "
        "blank where no interview took place), then:",
        "trustsurvey sample-weights sample_w3/households.csv -o sample_w3/weights.csv",
    ]
)


def sample_weights(
    sheets_path: Annotated[
        Path, typer.Argument(metavar="SHEETS", help="households.csv with adults filled in.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
    adults: Annotated[str, typer.Option(help="Column with the number of adults.")] = "adults",
) -> None:
    from trustsurvey.analysis.sampling import complete_weights

    if output.resolve() == sheets_path.resolve():
        raise InputFileError(
            "the output would overwrite the sheets", file=sheets_path, hint="choose another -o"
        )
    done = complete_weights(_read_frame(sheets_path), adults=adults)
    output.parent.mkdir(parents=True, exist_ok=True)
    done.to_csv(output, index=False)
    n = int(done["weight"].notna().sum())
    typer.echo(f"{n} of {len(done)} households weighted; written to {output}")


DID_HELP = "\n\n".join(
    [
        "Design-based difference-in-differences of one or more outcomes in a survey file.",
        "Reads FILE (.sav/.csv/.parquet/...; missing codes become missing), declares the design "
        "(--ids, --strata, --weights, --nest) and fits outcome ~ treated x post for each "
        "OUTCOME, post = 0 at the lowest period code and 1 at the highest. Prints one row per "
        "outcome (estimate, se, ci, df, p, Holm and BH adjusted p) and the 2 x 2 weighted means; "
        "an outcome that cannot be estimated is listed with its reason.",
        "Settlements revisited in both waves: declare the PSU across waves (--strata raion, not "
        "wave x raion) so their correlation enters the SE.",
        "trustsurvey did trust.sav q7_trust q15_know_officer --ids psu --strata stratum "
        "--weights pw --nest",
        "Adjusted for sex and age group (treatment-coded dummies), written to a CSV:",
        "trustsurvey did trust.sav q7_trust --ids psu --strata stratum --weights pw --nest "
        "--covariate gender --covariate age_cat -o did.csv",
    ]
)


def did_command(
    file: Annotated[Path, typer.Argument(help="Survey file with both waves.")],
    outcomes: Annotated[list[str], typer.Argument(help="Outcome column(s).")],
    treated: Annotated[str, typer.Option(help="0/1 column, 1 = pilot community.")] = "pilot",
    period: Annotated[str, typer.Option(help="Wave column.")] = "wave",
    ids: Annotated[str | None, typer.Option(help="PSU (settlement) column.")] = None,
    strata: Annotated[str | None, typer.Option(help="Stratum column.")] = None,
    weights: Annotated[str | None, typer.Option(help="Design weight column.")] = None,
    nest: Annotated[bool, typer.Option(help="PSU ids are unique only within strata.")] = False,
    covariate: Annotated[
        list[str] | None,
        typer.Option(help="Categorical adjustment variable (repeat the option for several)."),
    ] = None,
    family: Annotated[
        str, typer.Option(help="gaussian, or binomial (a ratio of odds ratios, not a DiD).")
    ] = "gaussian",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the table (CSV).")] = None,
) -> None:
    from trustsurvey.analysis.did import did_table
    from trustsurvey.design import SurveyDesign, result_info
    from trustsurvey.io import read_survey

    if not file.is_file():
        raise InputFileError("survey file not found", file=file, hint="check the path")
    data = read_survey(file).analysis()
    design = SurveyDesign(data, ids=ids, strata=strata, weights=weights, nest=nest)
    covs = list(covariate or [])
    table = did_table(
        design,
        outcomes,
        treated=treated,
        period=period,
        covariates=covs or None,
        categorical=covs,
        family=family,
    )
    cols = ["outcome", "estimate", "se", "ci_low", "ci_high", "df", "p", "p_holm", "p_bh", "n"]
    _show("Difference-in-differences (treated x post):", table[cols])
    cells = result_info(table)["cells"]
    if len(cells):
        _show("Weighted means by arm and period:", cells)
    bad = table[table["reason"] != ""]
    for row in bad.itertuples():
        typer.echo(f"{row.outcome}: not estimated: {row.reason}")
    if out is not None:
        from trustsurvey._files import atomic_write_csv as write_csv

        write_csv(out, table)
        typer.echo(f"Written {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``trustsurvey`` app."""
    app.command("plan", help=PLAN_HELP)(plan)
    app.command("sample", help=SAMPLE_HELP)(sample)
    app.command("sample-weights", help=WEIGHTS_HELP)(sample_weights)
    app.command("did", help=DID_HELP)(did_command)
