"""Programme validation checks by name: severity and messages (en/uk).

Rows with an ``error`` are excluded from the analyses and listed in the exclusions table;
``warning`` rows stay in.
"""

from __future__ import annotations

from trustsurvey.validation.checks import Check

_ALL = [
    Check(
        "missing_column",
        "error",
        "a required column is missing",
        "бракує обов'язкового стовпця",
        row_level=False,
    ),
    Check("missing_value", "error", "a required value is empty", "обов'язкове значення порожнє"),
    Check(
        "unknown_code",
        "error",
        "code not in the programme vocabulary",
        "коду немає у словнику програми",
    ),
    Check("bad_date", "error", "not a date (use YYYY-MM-DD)", "не дата (формат РРРР-ММ-ДД)"),
    Check("bad_number", "error", "not a whole number", "не ціле число"),
    Check(
        "date_outside_period",
        "error",
        "date outside the study period",
        "дата поза періодом дослідження",
    ),
    Check(
        "unknown_community", "error", "community not in the study", "громади немає в дослідженні"
    ),
    Check("duplicate_id", "error", "the same id is used twice", "той самий ідентифікатор двічі"),
    Check(
        "resolved_before_received",
        "error",
        "resolved before it was received",
        "вирішено раніше, ніж отримано",
    ),
    Check(
        "resolved_without_date",
        "warning",
        "resolved but no date resolved",
        "вирішено, але без дати вирішення",
    ),
    Check(
        "negative_count", "error", "negative number of participants", "від'ємна кількість учасників"
    ),
    Check(
        "count_mismatch",
        "error",
        "participants by sex or role do not sum to the total",
        "учасники за статтю чи роллю не дають загальної кількості",
    ),
    Check(
        "post_only",
        "error",
        "participant has a post-test but no pre-test",
        "учасник має тест після, але не має тесту до",
    ),
    Check(
        "pre_only",
        "warning",
        "participant has a pre-test but no post-test",
        "учасник має тест до, але не має тесту після",
    ),
    Check(
        "duplicate_test",
        "error",
        "the same participant, training and phase twice",
        "той самий учасник, тренінг і етап двічі",
    ),
    Check(
        "unknown_training",
        "error",
        "training id is not a training activity",
        "ідентифікатор тренінгу не є тренінгом у журналі заходів",
    ),
]

CHECKS: dict[str, Check] = {c.name: c for c in _ALL}
