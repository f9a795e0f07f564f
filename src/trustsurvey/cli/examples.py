"""Example invocations shown at the end of every command's ``--help``.

:data:`EXAMPLES` maps a command path (``"questionnaire check"``) to its examples, each an
invocation and what it does; :func:`add_examples` puts them into the commands' epilogs
before typer builds the click commands. A command without an entry shows no examples (the
test of the command line walks every command and requires them).

>>> print(epilog("validate").splitlines()[0])
Examples:
"""

from __future__ import annotations

import typer

#: command path -> (invocation, what it does), in the order shown
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "inspect": [
        ("trustsurvey inspect wave1.sav", "variables, labels and missing codes of a file"),
        ("trustsurvey inspect wave1.csv --encoding cp1251", "a CSV saved in Windows-1251"),
    ],
    "convert": [
        ("trustsurvey convert wave1.sav wave1.parquet", "SPSS to Parquet, labels kept"),
        ("trustsurvey convert wave1.xlsx wave1.sav", "a spreadsheet to SPSS"),
    ],
    "example": [
        ("trustsurvey example my-study", "write the synthetic example study into my-study/"),
        ("trustsurvey example my-study --seed 3 --force", "other data, replacing the folder"),
    ],
    "validate": [
        ("trustsurvey validate my-study", "check every wave; report in my-study/out/validation/"),
        ("trustsurvey validate my-study -o checks", "write the report into checks/"),
    ],
    "clean": [
        ("trustsurvey clean my-study", "cleaned waves and exclusions.csv in my-study/out/clean/"),
    ],
    "run": [
        ("trustsurvey run my-study", "all ten steps; results in my-study/out/"),
        ("trustsurvey dashboard my-study/out/bundle", "then look at the results"),
    ],
    "weight": [
        ("trustsurvey weight my-study", "rake to the study's margins (my-study/out/weighting/)"),
        ("trustsurvey weight my-study --method poststratify", "poststratify instead"),
        ("trustsurvey weight my-study --lower 0.3 --upper 5", "with trimmed weights"),
    ],
    "plan": [
        ("trustsurvey plan --effect 0.3 --icc 0.05 --cluster-size 10", "sample size for a DiD"),
        ("trustsurvey plan --n 400 --proportion 0.4", "the detectable effect of 400 a cell"),
    ],
    "sample": [
        (
            "trustsurvey sample frame.csv --strata hromada --size pop --n-psu 40 --take 10 "
            "-o sample",
            "draw settlements (PPS) and households",
        ),
    ],
    "sample-weights": [
        ("trustsurvey sample-weights households.csv -o weights.csv", "design weights"),
    ],
    "did": [
        (
            "trustsurvey did both_waves.sav trust_index --ids psu --strata stratum "
            "--weights weight",
            "difference in differences with design-based SEs",
        ),
    ],
    "dashboard": [
        ("trustsurvey dashboard my-study/out/bundle", "serve on http://127.0.0.1:8050"),
        (
            "trustsurvey dashboard my-study/out/bundle --production --host 0.0.0.0",
            "serve with gunicorn",
        ),
    ],
    "questionnaire check": [
        ("trustsurvey questionnaire check q.yaml", "check a questionnaire"),
        ("trustsurvey questionnaire check police_trust_core", "check a bundled instrument"),
    ],
    "questionnaire show": [
        ("trustsurvey questionnaire show police_trust_core", "items, codes and scales"),
    ],
    "questionnaire from-xlsform": [
        ("trustsurvey questionnaire from-xlsform form.xlsx -o q.yaml", "from a Kobo/ODK form"),
    ],
    "questionnaire from-spss": [
        ("trustsurvey questionnaire from-spss wave1.sav -o q.yaml", "from an SPSS dictionary"),
        ("trustsurvey questionnaire from-spss wave1.sav -o q.yaml -l en", "English labels"),
    ],
    "questionnaire validate-export": [
        (
            "trustsurvey questionnaire validate-export form.xlsx export.xlsx -o checks",
            "a Kobo/ODK export with its form",
        ),
        ("trustsurvey questionnaire validate-export form.xlsx data.csv", "a CSV export"),
    ],
    "publish audit": [
        ("trustsurvey publish audit my-study/out/bundle", "check a bundle's disclosure rules"),
        (
            "trustsurvey publish audit my-study/out/bundle --previous released/2025-bundle",
            "check an update together with the release before it",
        ),
    ],
    "publish report": [
        ("trustsurvey publish report my-study/out/bundle --out site", "report.html, tables.xlsx"),
    ],
    "publish demo": [
        ("trustsurvey publish demo demo-out", "a synthetic bundle in demo-out/bundle"),
    ],
    "programme validate": [
        ("trustsurvey programme validate my-study", "check the programme records"),
    ],
    "programme report": [
        ("trustsurvey programme report my-study", "programme tables (my-study/out/programme/)"),
        ("trustsurvey programme report my-study --no-survey", "without the survey data"),
    ],
}


def epilog(path: str) -> str | None:
    """The ``Examples:`` block of command ``path`` (one paragraph per line, as typer's
    help joins the lines of a paragraph)."""
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    lines = ["Examples:"] + [f"  {call}    # {what}" for call, what in examples]
    return "\n\n".join(lines)


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Set the epilog of every command of ``app`` (and its sub-apps) that has examples."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        info.epilog = info.epilog or epilog(f"{prefix}{name}")
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            add_examples(group.typer_instance, f"{prefix}{group.name} ")
