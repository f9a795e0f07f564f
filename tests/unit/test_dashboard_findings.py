"""Findings in words, numbers per language, per-variable labels, per-language downloads."""

from __future__ import annotations

import base64
import copy
import io

import pandas as pd
import pytest

from trustsurvey.dashboard import callbacks, findings, layout, views
from trustsurvey.dashboard.numbers import fmt_cell, fmt_number, fmt_p
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.fixture import demo_bundle
from trustsurvey.publish.labels import clean_labels, subgroup_labels
from trustsurvey.publish.schema import ALL


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return demo_bundle()


def _with_did(bundle: Bundle, rows: list[dict], scale: dict | None = None) -> Bundle:
    manifest = copy.deepcopy(bundle.manifest)
    if scale is not None:
        manifest["labels"]["scale"] = scale
    did = pd.DataFrame(rows)
    did["suppressed"] = False
    did["suppression_reason"] = None
    return Bundle(bundle.path, manifest, {**bundle.tables, "did": did})


def _row(outcome: str, est: float, lo: float, hi: float, p: float) -> dict:
    return {"outcome": outcome, "contrast": "unadjusted", "estimate": est, "ci_low": lo,
            "ci_high": hi, "p_value": p, "n": 2000.0}  # fmt: skip


def test_numbers_in_ukrainian_use_a_decimal_comma_and_thin_space_thousands():
    assert fmt_number(12345.678, "uk", 2) == "12\u202f345,68"
    assert fmt_number(12345.678, "en", 2) == "12,345.68"
    assert fmt_number(-0.5, "uk", 1) == "\u22120,5"
    assert fmt_p(0.0004, "en") == "< 0.001" and fmt_p(0.25, "uk") == "= 0,250"
    assert fmt_cell(1200, "uk") == "1\u202f200" and fmt_cell(2.5, "en") == "2.500"


def test_holm_matches_r_p_adjust():
    # R: p.adjust(c(0.001, 0.02, 0.04, 0.3), "holm") -> 0.004 0.060 0.080 0.300
    assert findings.holm([0.001, 0.02, 0.04, 0.3]) == pytest.approx([0.004, 0.06, 0.08, 0.3])
    assert findings.holm([0.5, 0.6]) == [1.0, 1.0]


def test_significant_and_not_significant_findings_read_differently(bundle):
    scale = {"a": {"min": 1, "max": 5, "binary": False}, "b": {"min": 1, "max": 5, "binary": False}}
    b = _with_did(
        bundle,
        [_row("a", 0.278, 0.087, 0.468, 0.001), _row("b", 0.158, -0.038, 0.353, 0.11)],
        scale,
    )
    uk = {f["outcome"]: f for f in findings.outcome_findings(b, "uk")}
    en = {f["outcome"]: f for f in findings.outcome_findings(b, "en")}
    assert uk["a"]["significant"] and not uk["b"]["significant"]
    assert "зріс більше, ніж у контрольних: на 0,28 бала за шкалою 1–5" in uk["a"]["sentence"]
    assert "від +0,09 до +0,47" in uk["a"]["sentence"]
    assert (
        "статистично не підтверджена" in uk["b"]["sentence"] and "від −0,04" in uk["b"]["sentence"]
    )
    assert (
        "rose more than in control communities: by 0.28 points on the 1–5 scale"
        in en["a"]["sentence"]
    )
    assert "Holm-adjusted p over 2 outcomes = 0.002" in en["a"]["sentence"]
    assert "not statistically confirmed" in en["b"]["sentence"]
    block = layout.finding_block(en["b"], "en")
    assert "ts-ns" in block.className and block.children[0].children.startswith("○")


def test_a_ci_excluding_zero_is_not_called_significant_after_holm(bundle):
    rows = [_row(o, 0.2, 0.01, 0.39, 0.04) for o in ("a", "b", "c")]
    found = findings.outcome_findings(_with_did(bundle, rows), "en")
    assert [f["significant"] for f in found] == [False, False, False]
    assert all("= 0.120" in f["sentence"] for f in found)


def test_binary_outcomes_in_percentage_points(bundle):
    b = _with_did(
        bundle, [_row("k", 0.432, 0.367, 0.497, 1e-20)], {"k": {"min": 0, "max": 1, "binary": True}}
    )
    (f,) = findings.outcome_findings(b, "uk")
    assert "на 43,2 відсоткового пункту" in f["sentence"] and "від +36,7 до +49,7" in f["sentence"]
    assert "p < 0,001" in f["sentence"]


def test_value_axis_starts_at_the_scale_minimum_and_shares_at_zero(bundle):
    manifest = copy.deepcopy(bundle.manifest)
    manifest["labels"]["scale"] = {"trust_police": {"min": 1, "max": 5, "binary": False}}
    b = Bundle(bundle.path, manifest, bundle.tables)
    fig, _ = views.overview_view(b, "trust_police", ["arm:pilot"], "uk")
    assert fig["layout"]["yaxis"]["range"] == [1.0, 5.0]
    assert fig["layout"]["yaxis"]["title"]["text"] == "Середній бал (1–5)"
    manifest["labels"]["scale"] = {"trust_police": {"min": 0, "max": 1, "binary": True}}
    b = Bundle(bundle.path, manifest, bundle.tables)
    fig, _ = views.overview_view(b, "trust_police", ["arm:pilot"], "en")
    est = bundle.tables["estimates"]
    raw = est[(est["outcome"] == "trust_police") & (est["subgroup"] == ALL)]
    raw = raw[(raw["community"] == ALL) & (raw["arm"] == "pilot")]
    assert fig["layout"]["yaxis"]["range"] == [0, 100]
    assert fig["data"][0]["y"][0] == pytest.approx(100 * raw["estimate"].iloc[0], abs=1e-3)


def test_levels_are_labelled_from_their_own_variable(bundle):
    labels = {
        "outcome": {
            "g": {"uk": "Стать", "en": "Sex"},
            "s": {"uk": "Поселення", "en": "Settlement"},
        },
        "category": {
            "g": {"1": {"uk": "Чоловік", "en": "Man"}, "2": {"uk": "Жінка", "en": "Woman"}},
            "s": {"1": {"uk": "Село", "en": "Village"}, "2": {"uk": "Місто", "en": "Town"}},
        },
    }
    manifest = copy.deepcopy(bundle.manifest)
    manifest["labels"] = {**labels, **subgroup_labels(labels, ["g", "s"])}
    b = Bundle(bundle.path, manifest, bundle.tables)
    assert views.label(b, "level", "1", "en", outcome="g") == "Man"
    assert views.label(b, "level", "1", "en", outcome="s") == "Village"
    assert views.label(b, "level", "2", "uk", outcome="s") == "Місто"
    assert views.label(b, "subgroup", "g", "uk") == "Стать"


def test_labels_are_cleaned_and_capped_everywhere(bundle):
    manifest = copy.deepcopy(bundle.manifest)
    manifest["labels"]["community"]["bucha"] = {"uk": "Б\r\x07" + "ю" * 100_000, "en": "x"}
    b = Bundle(bundle.path, manifest, bundle.tables)
    text = views.label(b, "community", "bucha", "uk")
    assert len(text) == 300 and "\x07" not in text and "\r" not in text
    assert clean_labels({"a": {"uk": "x\u202ey"}}) == {"a": {"uk": "xy"}}
    md = layout.md_escape("line\rnext https://example.org")
    assert "\r" not in md and "\n" not in md and "https://" not in md


def test_downloads_per_language(bundle):
    _, table = views.communities_view(bundle, "trust_police", 1, "uk")
    data = callbacks.shown(table, "communities")
    uk = callbacks.download_payload(data, "csv", "demo-communities", "uk")
    assert uk["filename"] == "demo-communities-uk.csv"
    raw = base64.b64decode(uk["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    got = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(got.columns) == list(table.columns)
    assert got["Оцінка"].tolist() == table["Оцінка"].tolist()
    _, table_en = views.communities_view(bundle, "trust_police", 1, "en")
    en = callbacks.download_payload(callbacks.shown(table_en, "c"), "csv", "demo-c", "en")
    got = pd.read_csv(io.BytesIO(base64.b64decode(en["content"])), encoding="utf-8-sig")
    assert (
        en["filename"] == "demo-c-en.csv"
        and got["Estimate"].tolist() == table_en["Estimate"].tolist()
    )


def test_methodology_csv_has_one_block_per_table_and_no_table_column(bundle):
    data = layout.methodology_shown(bundle, "uk")
    raw = base64.b64decode(callbacks.download_payload(data, "csv", "x", "uk")["content"])
    text = raw.decode("utf-8-sig")
    names = [tb["name"] for tb in data["tables"]]
    assert len(names) > 1 and all(f"\n{n}\n" in "\n" + text for n in names)
    assert ";table" not in text and "Таблиця" in text
    xlsx = callbacks.download_payload(data, "xlsx", "x", "uk")
    assert xlsx["filename"] == "x-uk.xlsx"


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_methodology_in_prose_gives_its_numbers_from_the_bundle(bundle, lang):
    from trustsurvey.dashboard.methodology import methodology_paragraphs
    from trustsurvey.dashboard.numbers import fmt_count

    paras = methodology_paragraphs(bundle, lang)
    text = " ".join(paras)
    ss = bundle.tables["sample_sizes"]
    n1 = ss[(ss["community"] == ALL) & (ss["arm"] == ALL) & (ss["wave"] == 1)]["n"].iloc[0]
    assert fmt_count(n1, lang) in text
    moe = views.margins_of_error(bundle)
    first = moe[moe["arm"] == ALL].iloc[0]
    assert "±" + fmt_number(first["moe"], lang, 2) in text
    assert ("95 випадках зі 100" if lang == "uk" else "95 times in 100") in text
    assert ("0,3" if lang == "uk" else "0.3") in text  # the CV threshold, in the language
