"""Publishing: a results bundle of aggregates with disclosure control, and reports.

Public API (imported lazily so that the dashboard, which only reads bundles, stays light):

- :func:`write_bundle`, :func:`read_bundle`, :class:`Bundle` — the bundle format;
- :func:`publish_study_results` — the single call of the ``trustsurvey run`` pipeline;
- :func:`audit_bundle` — LP audit of suppressed cells (raises when one is exposed);
- :func:`audit_update` — the same audit of an update and the release before it, together;
- :class:`DisclosurePolicy`, :data:`KINDS` — rules and table schemas;
- :func:`write_report` — self-contained bilingual HTML report and Excel workbook;
- :func:`meta_from_questionnaire` — labels, PII and free-text items for ``study_meta``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "write_bundle": "trustsurvey.publish.bundle",
    "read_bundle": "trustsurvey.publish.bundle",
    "Bundle": "trustsurvey.publish.bundle",
    "publish_study_results": "trustsurvey.publish.pipeline",
    "audit_bundle": "trustsurvey.publish.audit",
    "audit_tables": "trustsurvey.publish.audit",
    "audit_update": "trustsurvey.publish.update",
    "DisclosurePolicy": "trustsurvey.publish.policy",
    "KINDS": "trustsurvey.publish.schema",
    "ALL": "trustsurvey.publish.schema",
    "write_report": "trustsurvey.publish.report",
    "scan_tables": "trustsurvey.publish.scan",
    "meta_from_questionnaire": "trustsurvey.publish.labels",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trustsurvey.publish' has no attribute {name!r}")
    return getattr(import_module(module), name)
