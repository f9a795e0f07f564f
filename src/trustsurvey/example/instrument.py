"""The questionnaire of a generated study, derived from the core instrument.

A generated study carries its own ``questionnaire.yaml``: the core instrument with the
study's wave and raion codes, without the 0/1 pilot column where the study has no two arms.
The ``renamed`` shape renames it as a fieldwork firm would (:mod:`.firm`).

>>> from trustsurvey.example.geography import example_geography
>>> data = study_questionnaire_data((1, 2, 3), example_geography(), keep_pilot=False)
>>> [i["name"] for i in data["items"]][:4], sorted(data["items"][1]["codes"])
(['resp_id', 'wave', 'raion', 'community'], [1, 2, 3])
"""

from __future__ import annotations

from typing import Any

from trustsurvey.example.geography import Geography


def core_data() -> dict[str, Any]:
    """The core instrument as canonical data (``Questionnaire.to_data``)."""
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    return load_questionnaire(instrument_path("police_trust_core")).to_data()


def wave_label(wave: int) -> dict[str, str]:
    """``Базова хвиля`` / ``Baseline`` for wave 1, ``Хвиля N`` / ``Wave N`` after."""
    if wave == 1:
        return {"uk": "Базова хвиля", "en": "Baseline"}
    return {"uk": f"Хвиля {wave}", "en": f"Wave {wave}"}


def study_questionnaire_data(
    waves: tuple[int, ...], geo: Geography, *, keep_pilot: bool = True, name: str | None = None
) -> dict[str, Any]:
    """The core instrument with this study's waves and raions (and the pilot item or not)."""
    data = core_data()
    if name:
        data["name"] = name
    items = []
    for item in data["items"]:
        if item["name"] == "wave":
            item["codes"] = {w: wave_label(w) for w in waves}
        elif item["name"] == "raion":
            item["codes"] = {r: {"uk": uk, "en": en} for r, (uk, en) in geo.raions.items()}
        elif item["name"] == "pilot" and not keep_pilot:
            continue
        items.append(item)
    data["items"] = items
    return data


def write_questionnaire(data: dict[str, Any], path: Any) -> Any:
    """Check ``data`` as a questionnaire, write it as YAML and return the Questionnaire."""
    from trustsurvey._files import atomic_write_text as write_text
    from trustsurvey.questionnaire.loader import questionnaire_from_data
    from trustsurvey.questionnaire.serialize import dump_yaml

    q = questionnaire_from_data(data, file=str(path))
    write_text(path, dump_yaml(q.to_data()))
    return q
