"""A questionnaire written in one language (English only, Ukrainian only) works throughout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.questionnaire import from_xlsform, load_questionnaire, to_xlsform
from trustsurvey.questionnaire.render import render_codebook

ENGLISH = """\
name: english_only
languages: [en]
title: Community safety survey
scales:
  agree:
    codes: {1: Strongly disagree, 2: Disagree, 3: Neither, 4: Agree, 5: Strongly agree}
    missing:
      8: {en: Hard to say, kind: dont_know}
      9: {en: Refused, kind: refused}
items:
  - {name: rid, type: identifier, roles: [id]}
  - {name: enumerator, type: identifier, roles: [interviewer]}
  - {name: q1, type: likert, scale: agree, text: {en: The police are fair}, roles: [outcome]}
  - {name: q2, type: likert, scale: agree, text: {en: The police listen}, roles: [outcome]}
  - name: gender
    type: single
    text: {en: Gender}
    codes: {1: {en: Man}, 2: {en: Woman}}
    roles: [covariate, grouping]
indices:
  - {name: fairness, text: {en: Fairness}, items: [q1, q2], method: mean, min_valid: 1}
"""

UKRAINIAN = """\
name: ukrainian_only
languages: [uk]
title: {uk: Опитування про безпеку}
scales:
  agree:
    codes: {1: {uk: Ні}, 2: {uk: Скоріше ні}, 3: {uk: Скоріше так}, 4: {uk: Так}}
    missing:
      98: {uk: Важко відповісти, kind: dont_know}
      99: {uk: Відмова, kind: refused}
items:
  - {name: q7_trust, type: likert, scale: agree, text: {uk: Довіра до поліції}}
  - {name: q8_1, type: likert, scale: agree, text: {uk: Поліція справедлива}}
indices:
  - {name: trust_ix, text: {uk: Індекс довіри}, items: [q7_trust, q8_1], min_valid: 2}
"""


@pytest.fixture(params=[("english.yaml", ENGLISH), ("ukrainian.yaml", UKRAINIAN)])
def path(request, tmp_path) -> Path:
    name, text = request.param
    target = tmp_path / name
    target.write_text(text, encoding="utf-8")
    return target


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", "questionnaire", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_load_and_every_text_in_both_languages(path):
    q = load_questionnaire(path)
    for item in q.items.values():
        if item.text:
            assert item.text.get("uk") == item.text.get("en") == item.text.uk == item.text.en
        for label in [*item.codes.values(), *item.missing.values()]:
            assert label.uk and label.uk == label.en
    # the YAML written back keeps the one language it was written in
    other = "uk" if q.languages == ("en",) else "en"
    assert f"{other}:" not in q.dumps()
    assert load_questionnaire(path).items == q.items


def test_check_and_show_in_either_language(path):
    result = run("check", str(path))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "hint:" not in result.stdout
    q = load_questionnaire(path)
    first = next(i for i in q.items.values() if i.type == "likert")
    for lang in ("uk", "en"):
        shown = run("show", str(path), "--lang", lang)
        assert shown.returncode == 0, shown.stderr
        assert first.text.get(lang) in shown.stdout
        assert "[dont_know]" in shown.stdout and "[refused]" in shown.stdout
        assert render_codebook(q, lang) == shown.stdout.rstrip("\n")


def test_compute_indices_leaves_missing_codes_out(path):
    q = load_questionnaire(path)
    index = next(iter(q.indices.values()))
    a, b = index.items
    dk = q.missing_codes_of_kind(a, "dont_know")[0]
    refused = q.missing_codes_of_kind(b, "refused")[0]
    frame = pd.DataFrame({a: [1, dk, 4, dk], b: [3, 2, refused, refused]})
    scores = q.compute_indices(frame)[index.name].tolist()
    if index.min_valid == 1:
        assert scores[:3] == [2.0, 2.0, 4.0] and np.isnan(scores[3])
    else:
        assert scores[0] == 2.0 and np.isnan(scores[1:]).all()


def test_xlsform_round_trip_keeps_one_language_and_kinds(path, tmp_path):
    q = load_questionnaire(path)
    back = from_xlsform(to_xlsform(q, tmp_path / "form.xlsx"))
    for name, item in q.items.items():
        assert back.items[name].missing_kinds == item.missing_kinds
        assert back.items[name].text.get("en") == item.text.get("en")


def test_interviewer_check_reads_the_kind_of_an_english_only_questionnaire():
    from trustsurvey.questionnaire import loads_questionnaire
    from trustsurvey.validation.quality import dk_codes, interviewer_issues

    q = loads_questionnaire(ENGLISH)
    assert dk_codes(q.item("q1")) == [8.0]
    rng = np.random.default_rng(13)
    n = 400
    frame = pd.DataFrame({"rid": range(n), "enumerator": np.repeat(np.arange(10), 40)})
    for name in ("q1", "q2"):
        dk = rng.uniform(size=n) < np.where(frame["enumerator"] == 3, 0.5, 0.05)
        frame[name] = np.where(dk, 8.0, rng.integers(1, 6, n).astype(float))
    assert interviewer_issues(frame, q, "enumerator")["value"].tolist() == ["3"]
    # the same data with code 8 declared a refusal: no "difficult to answer" to count
    refused = loads_questionnaire(ENGLISH.replace("kind: dont_know", "kind: refused"))
    assert dk_codes(refused.item("q1")) == []
    assert interviewer_issues(frame, refused, "enumerator").empty
