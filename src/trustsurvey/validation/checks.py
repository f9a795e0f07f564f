"""The validation checks by name: what each finds, its severity, its messages (uk/en).

The names appear in the report's ``check`` column, in ``study.yaml``'s
``validation.exclude`` and in the example study's list of planted errors.
``hard_error`` in ``exclude`` stands for every row-level check of severity ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """A validation check: its name, severity, and what it means in both languages."""

    name: str
    severity: str  # "error" | "warning"
    en: str
    uk: str
    row_level: bool = True


_ALL = [
    Check(
        "missing_column",
        "error",
        "a questionnaire item is missing from the file",
        "у файлі немає змінної з опитувальника",
        row_level=False,
    ),
    Check("wrong_type", "error", "value of the wrong type", "значення неправильного типу"),
    Check(
        "invalid_code",
        "error",
        "code not allowed by the questionnaire",
        "код, якого немає в опитувальнику",
    ),
    Check(
        "out_of_range",
        "error",
        "value outside the valid range",
        "значення поза допустимим діапазоном",
    ),
    Check(
        "required_missing", "error", "required answer is empty", "обов'язкова відповідь відсутня"
    ),
    Check(
        "duplicate_id",
        "error",
        "respondent id used more than once",
        "ідентифікатор респондента повторюється",
    ),
    Check(
        "not_relevant",
        "warning",
        "answered although skip logic says not asked",
        "є відповідь, хоча за логікою переходів питання не ставилось",
    ),
    Check(
        "relevant_missing",
        "error",
        "empty although skip logic says it was asked",
        "немає відповіді, хоча за логікою переходів питання ставилось",
    ),
    Check(
        "exclusive_option",
        "error",
        "'none' ticked together with another option",
        "позначено «жодної» разом з іншим варіантом",
    ),
    Check(
        "duplicate",
        "error",
        "duplicate interview (identical answers)",
        "дубльоване інтерв'ю (ідентичні відповіді)",
    ),
    Check(
        "straightlining",
        "warning",
        "same answer to every item of a grid",
        "однакова відповідь на всі твердження блоку",
    ),
    Check(
        "speeder",
        "warning",
        "interview far shorter than the median",
        "інтерв'ю значно коротше за медіанне",
    ),
    Check(
        "interviewer_dk",
        "warning",
        "interviewer with an outlying share of 'difficult to answer'",
        "інтерв'юер з аномальною часткою «важко відповісти»",
        row_level=False,
    ),
    Check(
        "wave_mismatch",
        "error",
        "wave code differs from the wave study.yaml gives this file",
        "код хвилі не збігається з хвилею цього файлу в study.yaml",
    ),
    Check(
        "arm_mismatch",
        "error",
        "treatment column disagrees with the community table",
        "змінна втручання не збігається з таблицею громад",
    ),
    Check(
        "unknown_community",
        "error",
        "community not in the study's community table",
        "громади немає в таблиці громад дослідження",
    ),
    Check(
        "blank_community",
        "error",
        "community is blank, so the respondent has no arm",
        "громаду не вказано, тож респондент не має групи",
    ),
    Check(
        "outside_fieldwork",
        "warning",
        "interview date outside the wave's fieldwork period",
        "дата інтерв'ю поза періодом польового етапу хвилі",
    ),
    Check(
        "fg_unknown_code",
        "error",
        "focus-group code not in the codebook",
        "коду фокус-групи немає в кодувальнику",
    ),
    Check(
        "fg_unknown_group",
        "error",
        "segment of a group not in groups.csv",
        "фрагмент групи, якої немає в groups.csv",
    ),
    Check(
        "unlabelled_code",
        "warning",
        "file declares a value label the questionnaire lacks",
        "у файлі є мітка значення, якої немає в опитувальнику",
        row_level=False,
    ),
    Check(
        "label_mismatch",
        "warning",
        "value label in the file differs from the questionnaire",
        "мітка значення у файлі відрізняється від опитувальника",
        row_level=False,
    ),
    Check(
        "missing_not_declared",
        "warning",
        "missing code not declared user-missing in the file",
        "код пропуску не оголошено як пропущене значення у файлі",
        row_level=False,
    ),
    Check(
        "repeat_parent_missing",
        "error",
        "repeat-group row whose parent is not in the export",
        "рядок повторюваної групи, батьківського запису якого немає в експорті",
    ),
    Check(
        "extra_column",
        "warning",
        "column not in the questionnaire",
        "змінної немає в опитувальнику",
        row_level=False,
    ),
]

CHECKS: dict[str, Check] = {c.name: c for c in _ALL}
