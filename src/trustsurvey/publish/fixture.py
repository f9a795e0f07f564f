"""A small synthetic study's result tables, for tests, demos and benchmarks.

The tables are aggregated from simulated respondents held only in memory (6 communities in
2 arms, 2 waves by default; one community has fewer than 30 respondents in a wave), so every
margin adds up as it would in a real study. Only aggregates leave this module.

>>> t = synthetic_tables(seed=3)
>>> sorted(t)
['did', 'estimates', 'focus_groups', 'likert', 'problems', 'quality', 'sample_sizes', 'weighting']
>>> int(t["sample_sizes"]["n"].min()) < 30
True
"""

from __future__ import annotations

import functools
import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustsurvey.publish.schema import ALL

if TYPE_CHECKING:
    from trustsurvey.publish.bundle import Bundle

COMMUNITIES = {
    "bucha": ("pilot", "Буча", "Bucha"),
    "irpin": ("pilot", "Ірпінь", "Irpin"),
    "boyarka": ("pilot", "Боярка", "Boyarka"),
    "vasylkiv": ("control", "Васильків", "Vasylkiv"),
    "fastiv": ("control", "Фастів", "Fastiv"),
    "obukhiv": ("control", "Обухів", "Obukhiv"),
}
TRUST_CATEGORIES = [
    ("1", "Зовсім не довіряю", "Do not trust at all", False),
    ("2", "Скоріше не довіряю", "Rather distrust", False),
    ("3", "Важко сказати однозначно", "Neither", False),
    ("4", "Скоріше довіряю", "Rather trust", False),
    ("5", "Повністю довіряю", "Fully trust", False),
    ("8", "Важко відповісти", "Difficult to answer", True),
]
PROBLEMS = {
    "drugs": ("Наркотики", "Drugs"),
    "theft": ("Крадіжки", "Theft"),
    "roads": ("Небезпечний рух", "Dangerous driving"),
    "alcohol": ("Пияцтво в громадських місцях", "Public drinking"),
    "lighting": ("Погане освітлення", "Poor street lighting"),
}
THEMES = {
    "visibility": ("Видимість поліції", "Police visibility"),
    "response": ("Час реагування", "Response time"),
    "respect": ("Ввічливість", "Respectful treatment"),
    "corruption": ("Корупція", "Corruption"),
}

SYNTHETIC_META: dict[str, Any] = {
    "study": "synthetic",
    "title": {
        "uk": "Довіра до поліції (синтетичне дослідження)",
        "en": "Trust in police (synthetic)",
    },
    "waves": [
        {"code": 1, "label": {"uk": "Хвиля 1 (базова)", "en": "Wave 1 (baseline)"}},
        {"code": 2, "label": {"uk": "Хвиля 2", "en": "Wave 2 (follow-up)"}},
    ],
    "questionnaire_hash": "sha256:synthetic",
    "pii_items": ["phone", "full_name"],
    "free_text_items": ["comment"],
    "labels": {
        "outcome": {
            "trust_police": {"uk": "Довіра до поліції (1-5)", "en": "Trust in police (1-5)"},
            "safe_night": {
                "uk": "Почуваються безпечно вночі (частка)",
                "en": "Feel safe at night (share)",
            },
        },
        "community": {k: {"uk": v[1], "en": v[2]} for k, v in COMMUNITIES.items()},
        "arm": {
            "pilot": {"uk": "Пілотні громади", "en": "Pilot communities"},
            "control": {"uk": "Контрольні громади", "en": "Control communities"},
        },
        "category": {
            "trust_police": {c: {"uk": uk, "en": en} for c, uk, en, _ in TRUST_CATEGORIES}
        },
        "problem": {k: {"uk": v[0], "en": v[1]} for k, v in PROBLEMS.items()},
        "theme": {k: {"uk": v[0], "en": v[1]} for k, v in THEMES.items()},
        "subgroup": {
            "sex": {"uk": "Стать", "en": "Sex"},
            "age": {"uk": "Вік", "en": "Age"},
        },
        "level": {
            "female": {"uk": "Жінки", "en": "Women"},
            "male": {"uk": "Чоловіки", "en": "Men"},
            "18-34": {"uk": "18-34", "en": "18-34"},
            "35-59": {"uk": "35-59", "en": "35-59"},
            "60+": {"uk": "60+", "en": "60+"},
        },
    },
}


#: respondents per wave of the six synthetic communities
SIZES: dict[str, tuple[int, ...]] = {
    "bucha": (260, 240),
    "irpin": (210, 230),
    "boyarka": (120, 25),
    "vasylkiv": (240, 220),
    "fastiv": (190, 200),
    "obukhiv": (150, 160),
}


def simulate_respondents(
    sizes: dict[str, tuple[int, ...]] | None = None,
    seed: int = 7,
    arms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Simulated answers (in memory only): community, arm, wave, sex, age, trust, safe_night.

    ``sizes`` maps community -> respondents per wave; ``arms`` community -> "pilot"/"control"
    (default: the six synthetic communities' arms).
    """
    rng = np.random.default_rng(seed)
    sizes = sizes or SIZES
    frames = []
    for community, waves in sizes.items():
        arm = (arms or {}).get(community) or COMMUNITIES.get(community, ("pilot",))[0]
        for wave, n in enumerate(waves, start=1):
            lift = 0.45 if (arm == "pilot" and wave == 2) else 0.0
            latent = rng.normal(2.9 + lift, 1.1, n)
            trust = np.clip(np.rint(latent), 1, 5).astype(int)
            trust[rng.random(n) < 0.07] = 8
            frames.append(
                pd.DataFrame(
                    {
                        "community": community,
                        "arm": arm,
                        "wave": wave,
                        "sex": rng.choice(["female", "male"], n, p=[0.55, 0.45]),
                        "age": rng.choice(["18-34", "35-59", "60+"], n, p=[0.25, 0.45, 0.3]),
                        "trust": trust,
                        "safe_night": (rng.random(n) < 0.45 + lift / 3).astype(float),
                        "problem": rng.choice(list(PROBLEMS), n),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _est(g: pd.DataFrame, col: str) -> dict[str, float]:
    x = g[col].dropna().to_numpy(dtype=float)
    n = len(x)
    mean = float(x.mean()) if n else np.nan
    se = float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    return {
        "estimate": mean,
        "se": se,
        "ci_low": mean - 1.96 * se,
        "ci_high": mean + 1.96 * se,
        "df": float(n - 1),
        "deff": 1.0,
        "n": float(n),
    }


def _levels(resp: pd.DataFrame):  # type: ignore[no-untyped-def]
    """(community, arm) groupings: each community, each arm, everyone."""
    yield from (((c, a), g) for (c, a), g in resp.groupby(["community", "arm"]))
    yield from (((ALL, a), g) for a, g in resp.groupby("arm"))
    yield ((ALL, ALL), resp)


def tables_from_respondents(resp: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aggregate simulated respondents into the bundle's tidy tables (all kinds)."""
    resp = resp.assign(trust_score=resp["trust"].where(resp["trust"] != 8).astype(float))
    est, lik, ss, probs = [], [], [], []
    for wave, wg in resp.groupby("wave"):
        for (community, arm), g in _levels(wg):
            base = {"community": community, "arm": arm, "wave": wave}
            ss.append({**base, "n": len(g), "n_weighted": float(len(g)), "response_rate": 0.6})
            for outcome, col in (("trust_police", "trust_score"), ("safe_night", "safe_night")):
                est.append({**base, "outcome": outcome, **_est(g, col)})
                for sub in ("sex", "age"):
                    for level, sg in g.groupby(sub):
                        row = {**base, "outcome": outcome, "subgroup": sub, "level": level}
                        est.append({**row, **_est(sg, col)})
            counts = g["trust"].value_counts()
            for order, (code, _, _, dk) in enumerate(TRUST_CATEGORIES):
                k = int(counts.get(int(code), 0))
                p = k / len(g)
                lik.append(
                    {
                        **base,
                        "outcome": "trust_police",
                        "category": code,
                        "order": order,
                        "share": p,
                        "se": float(np.sqrt(p * (1 - p) / len(g))),
                        "n": k,
                        "dont_know": dk,
                    }
                )
            shares = g["problem"].value_counts(normalize=True)
            shares = shares.reindex([*shares.index, *(p for p in PROBLEMS if p not in shares)])
            shares = shares.fillna(0.0)  # every problem asked, named or not
            for rank, (problem, p) in enumerate(shares.items(), start=1):
                probs.append(
                    {
                        **base,
                        "problem": problem,
                        "rank": rank,
                        "share": float(p),
                        "se": float(np.sqrt(p * (1 - p) / len(g))),
                        "n": len(g),
                    }
                )
    estimates = pd.DataFrame(est)
    did = _did(estimates)
    rng = np.random.default_rng(11)
    fg = pd.DataFrame(
        [
            {
                "theme": t,
                "arm": a,
                "wave": w,
                "n_groups": int(rng.integers(1, 5)),
                "n_mentions": int(rng.integers(2, 15)),
            }
            for t in THEMES
            for a in ("pilot", "control")
            for w in (1, 2)
        ]
    ).assign(share_groups=lambda d: d["n_groups"] / 4)
    weighting = pd.DataFrame(
        [
            {"wave": w, "statistic": s, "value": v}
            for w in (1, 2)
            for s, v in (("kish_deff", 1.21 + 0.03 * w), ("efficiency", 0.83), ("max_weight", 3.4))
        ]
    )
    quality = pd.DataFrame(
        [
            {"wave": w, "check": c, "n_flagged": k, "share_flagged": k / 1000}
            for w in (1, 2)
            for c, k in (("speeders", 12), ("straightliners", 7), ("duplicates", 2))
        ]
    )
    return {
        "estimates": estimates,
        "likert": pd.DataFrame(lik),
        "did": did,
        "problems": pd.DataFrame(probs),
        "focus_groups": fg,
        "sample_sizes": pd.DataFrame(ss),
        "weighting": weighting,
        "quality": quality,
    }


def _did(estimates: pd.DataFrame) -> pd.DataFrame:
    e = estimates[(estimates["community"] == ALL) & estimates["subgroup"].isna()]
    rows = []
    for outcome, g in e.groupby("outcome"):
        v = g.set_index(["arm", "wave"])
        diff = (v.at[("pilot", 2), "estimate"] - v.at[("pilot", 1), "estimate"]) - (
            v.at[("control", 2), "estimate"] - v.at[("control", 1), "estimate"]
        )
        se = float(np.sqrt((v.loc[v.index.isin(["pilot", "control"], level=0), "se"] ** 2).sum()))
        n = float(v.loc[v.index.isin(["pilot", "control"], level=0), "n"].sum())
        rows.append(
            {
                "outcome": outcome,
                "contrast": "pilot_vs_control",
                "estimate": diff,
                "se": se,
                "ci_low": diff - 1.96 * se,
                "ci_high": diff + 1.96 * se,
                "p_value": 0.01,
                "df": n - 4,
                "n": n,
            }
        )
    return pd.DataFrame(rows)


def synthetic_tables(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The default synthetic study's tables (6 communities x 2 arms x 2 waves)."""
    return tables_from_respondents(simulate_respondents(seed=seed))


def synthetic_meta(resp_count: int | None = None) -> dict[str, Any]:
    """A copy of :data:`SYNTHETIC_META` with the respondent count set."""
    meta = dict(SYNTHETIC_META)
    meta["n_respondents"] = resp_count or 2245
    return meta


@functools.lru_cache(maxsize=1)
def demo_bundle() -> Bundle:
    """The synthetic study written to a temporary bundle and read back (cached)."""
    from trustsurvey.publish.bundle import read_bundle, write_bundle

    out = tempfile.mkdtemp(prefix="trustsurvey-demo-")
    return read_bundle(write_bundle(synthetic_tables(), out, study_meta=synthetic_meta()))
