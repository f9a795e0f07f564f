"""Bounded fuzzing of the readers (hypothesis): only documented errors may escape.

SPSS (.sav/.zsav/.por), CSV, XLSX and Parquet through ``read_survey`` and ``inspect_file``;
questionnaire YAML through ``load_questionnaire``; study.yaml through ``load_study``; XLSForms
through ``from_xlsform``. Inputs are random bytes, mutations of real files (bytes flipped,
cut, inserted) and documents built from the formats' own vocabulary. Derandomised: every run
draws the same examples (no seed, no example database), so a failure is a bug, not bad luck;
inputs that once failed live in ``corpus/`` (``test_fuzz_corpus.py``). Longer runs:
``benchmarks/fuzz_long.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bad_inputs"))
import fuzz_targets as ft
import make_corpus

#: examples per test; TRUSTSURVEY_FUZZ_EXAMPLES=3 for a quick repeat check of determinism
EXAMPLES = int(os.environ.get("TRUSTSURVEY_FUZZ_EXAMPLES", "25"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
    derandomize=True,
)
SLOW = settings(
    FAST, max_examples=max(1, EXAMPLES // 2)
)  # each XLSForm example writes and parses a workbook
SEEDS = {suffix: ft.seed_bytes(suffix) for suffix in (".sav", ".zsav", ".por", ".csv", ".xlsx")}


@pytest.fixture(autouse=True, scope="module")
def _no_local_constants() -> Any:
    """Inputs that depend on this file alone.

    Hypothesis also draws string and number literals found in the source of the local
    modules loaded at the time (``trustsurvey`` itself): any edit of ``src/``, or another
    selection of tests loading other modules first, would then change what is fed. The
    pool of such constants is emptied here (its cache cleared before and after) and
    Hypothesis's global constants stay. Private API: if Hypothesis renames it, this fails
    loudly rather than fuzzing with drifting inputs.
    """
    from hypothesis.internal.conjecture import providers

    with pytest.MonkeyPatch.context() as patch:
        providers.CONSTANTS_CACHE.cache.clear()
        patch.setattr(providers, "_get_local_constants", providers.Constants)
        yield
        providers.CONSTANTS_CACHE.cache.clear()


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few bytes flipped, a slice cut out or inserted, or the tail cut."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "overwrite"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "truncate":
            del data[at:]
        else:
            chunk = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00" * 8, b"\x7f\xff\xff\xff"]))
            data[at : at + len(chunk)] = chunk
    return bytes(data)


@pytest.mark.parametrize("suffix", ft.READ_SUFFIXES)
@FAST
@given(data=st.binary(max_size=2048))
def test_random_bytes(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ft.read_bytes_as(data, suffix, Path(tmp))


@pytest.mark.parametrize("suffix", [".sav", ".zsav", ".por", ".csv", ".xlsx"])
@FAST
@given(data=st.data())
def test_mutated_real_files(suffix: str, data: st.DataObject) -> None:
    blob = data.draw(mutated(SEEDS[suffix]))
    with tempfile.TemporaryDirectory() as tmp:
        ft.read_bytes_as(blob, suffix, Path(tmp))


@FAST
@given(data=st.data(), encoding=st.sampled_from([None, "cp1251", "koi8-u", "utf-8"]))
def test_mutated_sav_with_encoding(data: st.DataObject, encoding: str | None) -> None:
    blob = data.draw(mutated(SEEDS[".sav"]))
    with tempfile.TemporaryDirectory() as tmp:
        ft.read_bytes_as(blob, ".sav", Path(tmp), encoding=encoding)


text_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1", "8", "9", "-1", "1e309", "nan", "=1+2", "Київ", "a;b", '"']),
)


@FAST
@given(
    header=st.lists(st.sampled_from(["id", "q", "q", "", "wave", "Київ", "a b"]), max_size=5),
    rows=st.lists(st.lists(text_cells, max_size=6), max_size=6),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]),
)
def test_csv_tables(header: list[str], rows: list[list[str]], sep: str, encoding: str) -> None:
    text = "\n".join(sep.join(r) for r in [header, *rows])
    try:
        blob = text.encode(encoding)
    except UnicodeEncodeError:
        blob = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        ft.read_bytes_as(blob, ".csv", Path(tmp))


# --- questionnaire YAML built from the schema's vocabulary ------------------------------------
KEYS = [
    "name", "version", "languages", "title", "scales", "grids", "items", "indices", "codebook",
    "type", "text", "scale", "codes", "missing", "ordered", "reverse", "required", "relevant",
    "pii", "roles", "grid", "min", "max", "options", "exclusive", "method", "min_valid",
    "reversed", "uk", "en", "themes", "code", "label", "parent", "valence",
]  # fmt: skip
WORDS = [
    "single", "multiple", "likert", "numeric", "text", "date", "identifier", "mean", "sum",
    "q1", "q2", "agree5", "id", "wave", "design", "a == 1", "selected(q2, 'x')", "q1 in [1, 2]",
    "not (", "uk", "en", "none", "true",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-3, 12),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    st.text(max_size=8),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 9)), inner, max_size=5),
    ),
    max_leaves=25,
)
ITEM = st.fixed_dictionaries(
    {"name": st.sampled_from(["q1", "q2", "q3", "resp_id", "1bad"])},
    optional={k: documents for k in ("type", "codes", "scale", "relevant", "roles", "min")},
)


@FAST
@given(
    top=st.fixed_dictionaries(
        {"name": st.sampled_from(["fuzz", "1x", ""]), "items": st.lists(ITEM, max_size=4)},
        optional={k: documents for k in ("scales", "indices", "languages", "title", "grids")},
    )
)
def test_questionnaire_documents(top: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ft.load_yaml_text(yaml.safe_dump(top, allow_unicode=True), Path(tmp))


VALID_Q = make_corpus.QUESTIONNAIRE.encode()


@FAST
@given(data=st.data())
def test_questionnaire_mutated_text(data: st.DataObject) -> None:
    blob = data.draw(mutated(VALID_Q))
    with tempfile.TemporaryDirectory() as tmp:
        ft.load_yaml_text(blob, Path(tmp))


# --- study.yaml -------------------------------------------------------------------------------
STUDY_KEYS = {
    "waves": st.lists(
        st.fixed_dictionaries(
            {"code": documents, "file": st.sampled_from(["data/wave1.csv", "nope.sav", "", 3])},
            optional={"period": documents, "fieldwork": documents, "encoding": documents},
        ),
        max_size=3,
    ),
    "design": documents,
    "arms": documents,
    "margins": documents,
    "validation": documents,
    "publish": documents,
}


@FAST
@given(
    top=st.fixed_dictionaries(
        {"name": documents, "questionnaire": st.just("q.yaml")}, optional=STUDY_KEYS
    )
)
def test_study_documents(top: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_corpus.mini_study(Path(tmp) / "study")
        ft.load_study_text(yaml.safe_dump(top, allow_unicode=True), folder)


@FAST
@given(data=st.data())
def test_study_mutated_text(data: st.DataObject) -> None:
    blob = data.draw(mutated(make_corpus.STUDY.encode()))
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_corpus.mini_study(Path(tmp) / "study")
        ft.load_study_text(blob, folder)


# --- XLSForms -----------------------------------------------------------------------------------
TYPES = [
    "select_one yn", "select_multiple yn", "select_one nolist", "integer", "decimal", "text",
    "date", "begin_group", "end_group", "begin_repeat", "end_repeat", "note", "calculate",
    "select_one_from_file x.csv", "bogus", "",
]  # fmt: skip
cells = st.one_of(st.none(), st.text(max_size=10), st.integers(-2, 5), st.sampled_from(WORDS))
SURVEY_HEADERS = ["type", "name", "label", "label::English (en)", "relevant", "required", "hint"]


@SLOW
@given(
    survey=st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(["q1", "q2", "g", "", "1x"]),
            cells,
            cells,
            st.sampled_from(["", "${q1} = 1", "${nope} > 2", "(("]),
            cells,
        ),
        max_size=6,
    ),
    choices=st.lists(st.tuples(st.sampled_from(["yn", "YN", "", "x"]), cells, cells), max_size=5),
    sheets=st.sets(st.sampled_from(["survey", "choices", "settings"]), min_size=1),
)
def test_xlsform_sheets(survey: list, choices: list, sheets: set[str]) -> None:
    content = {
        "survey": [SURVEY_HEADERS[:6], *[list(r) for r in survey]],
        "choices": [["list_name", "name", "label"], *[list(r) for r in choices]],
        "settings": [["form_id", "version"], ["fuzz", "1"]],
    }
    with tempfile.TemporaryDirectory() as tmp:
        ft.build_xlsform({k: v for k, v in content.items() if k in sheets}, Path(tmp))


@SLOW
@given(data=st.data())
def test_xlsform_mutated_bytes(data: st.DataObject) -> None:
    blob = data.draw(mutated(SEEDS[".xlsx"]))
    with tempfile.TemporaryDirectory() as tmp:
        ft.read_xlsform_bytes(blob, Path(tmp))
