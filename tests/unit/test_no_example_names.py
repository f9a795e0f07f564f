"""Any study, not the example: no code outside ``example/`` names an item of the example.

The example questionnaire's analysis items and indices (everything but the items that
structure a study: ids, waves, design, interviewer, duration, treatment and community) must
not appear as string literals in the code of ``src/trustsurvey`` outside ``example/`` — a
name there would analyse the example's items and skip a partner's own. Docstrings are left
out: their runnable examples may use the example's data.
"""

from __future__ import annotations

import ast
from pathlib import Path

from trustsurvey.questionnaire import instrument_path, load_questionnaire

SRC = Path(__file__).resolve().parents[2] / "src" / "trustsurvey"
#: roles of the items that structure a study; their names are the package's own words
STRUCTURE = {"id", "wave", "design", "interviewer", "duration", "treatment", "community"}
#: example names that are also the package's own vocabulary, and why
OWN_WORDS = {
    "problems": "the bundle's table kind and the dashboard page of multiple-choice shares",
}
#: (file, name) pairs that are not item names, and why
ALLOWED = {
    ("programme/validate.py", "sex"): "the sex breakdown of activity participants' counts",
    ("study/guess.py", "sex"): "a kind of demographic column init guesses by name and label",
    ("study/draft.py", "education"): "a kind of column init guesses by name and label",
}
#: files holding synthetic example data, like example/
EXAMPLE_DATA = {"publish/fixture.py": "the synthetic bundle of `trustsurvey publish demo`"}


def example_names() -> set[str]:
    q = load_questionnaire(instrument_path("police_trust_core"))
    names = set(q.indices)
    for name, item in q.items.items():
        if not item.roles & STRUCTURE:
            names.add(name)
            names.update(q.columns_for(name))
    return names - set(OWN_WORDS)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def literal_hits(names: set[str]) -> list[str]:
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("example/") or rel in EXAMPLE_DATA:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and node.value in names
                and (rel, node.value) not in ALLOWED
            ):
                hits.append(f"{rel}:{node.lineno}: {node.value!r}")
    return hits


def test_the_names_are_the_example_s_analysis_items() -> None:
    names = example_names()
    assert {"trust_police", "sex", "agegrp", "settlement", "pj_index"} <= names
    assert not names & {"wave", "community", "pilot", "psu", "stratum"}


def test_no_code_names_an_item_of_the_example() -> None:
    assert literal_hits(example_names()) == []


def test_the_scan_finds_a_name(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The scan itself works: a literal in code is found, one in a docstring is not."""
    module = tmp_path / "mod.py"
    module.write_text('"""Uses "trust_police" in prose."""\nOUTCOME = "trust_police"\n')
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    assert literal_hits({"trust_police"}) == ["mod.py:2: 'trust_police'"]
