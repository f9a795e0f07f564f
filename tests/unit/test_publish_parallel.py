"""The publish step on worker processes gives the same tables and audit as in one process."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_publish as bp  # noqa: E402

from trustsurvey.publish import audit as audit_mod  # noqa: E402
from trustsurvey.publish import parallel  # noqa: E402
from trustsurvey.publish.audit import audit_tables  # noqa: E402
from trustsurvey.publish.policy import DisclosurePolicy  # noqa: E402
from trustsurvey.publish.suppression import protect_tables  # noqa: E402

pytestmark = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="worker processes are forked (elsewhere everything runs in one process)",
)


def test_ordered_map_keeps_the_order_of_the_tasks_and_does_not_nest(monkeypatch):
    monkeypatch.setenv("TRUSTSURVEY_WORKERS", "2")
    data = np.arange(10) * 3

    def task(i: int) -> tuple[int, int]:
        inner = parallel.ordered_map(lambda k: k + 1, 5)  # inside a worker: in-process
        return int(data[i]), parallel.workers() * 100 + sum(inner)

    serial = parallel.ordered_map(task, 10, workers=1)
    assert serial == [(3 * i, 215) for i in range(10)]  # here: 2 workers
    forked = parallel.ordered_map(task, 10, workers=2)
    assert [r[0] for r in forked] == [3 * i for i in range(10)]
    assert {r[1] for r in forked} == {115}  # workers() is 1 in a worker


def test_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTSURVEY_WORKERS", "3")
    assert parallel.workers() == 3
    monkeypatch.setenv("TRUSTSURVEY_WORKERS", "1")
    assert parallel.workers() == 1


def _publish(monkeypatch, workers: int):
    monkeypatch.setenv("TRUSTSURVEY_WORKERS", str(workers))
    pools = []
    real = parallel.mp.get_context

    def counted(method):  # type: ignore[no-untyped-def]
        pools.append(method)
        return real(method)

    monkeypatch.setattr(parallel.mp, "get_context", counted)
    tables = bp.make_tables(10, 4, seed=3)  # 40 community-waves: protected group by group
    policy = DisclosurePolicy(suppression_method="optimal")
    out, writer_audit = protect_tables(tables, policy)
    final = audit_tables(out, policy, exact=True)
    return out, writer_audit, final, len(pools)


def test_parallel_and_serial_publish_the_same_tables_and_audit(monkeypatch):
    # connected groups of more than 40 hidden cells are audited by neighbourhoods
    monkeypatch.setattr(audit_mod, "LARGE", 40)
    out1, writer1, final1, pools1 = _publish(monkeypatch, 1)
    out2, writer2, final2, pools2 = _publish(monkeypatch, 2)
    assert pools1 == 0 and pools2 > 0  # the second really ran on workers
    assert out1.keys() == out2.keys()
    hidden = 0
    for kind in out1:
        pd.testing.assert_frame_equal(out1[kind], out2[kind])
        if "suppressed" in out1[kind]:
            hidden += int(out1[kind]["suppressed"].sum())
    assert hidden > 0
    pd.testing.assert_frame_equal(writer1, writer2)
    pd.testing.assert_frame_equal(final1, final2)
    assert not final2["exposed"].any()
    assert (final2["reason"] == "complementary").any()


def test_one_large_group_is_audited_by_neighbourhoods_on_workers(monkeypatch):
    from trustsurvey.publish.relations import build_cells

    tables = bp.make_tables(10, 4, seed=3)
    policy = DisclosurePolicy(suppression_method="optimal")
    out, _ = protect_tables(tables, policy)
    index = build_cells(out)
    sup = index.cells["suppressed"].to_numpy(dtype=bool)
    rels = [r for r in index.relations if audit_mod._touches(r, sup)]
    sizes = sorted(len(v) for v, _ in audit_mod._components(np.flatnonzero(sup), rels))
    assert sizes[-1] > sizes[-2]
    monkeypatch.setattr(audit_mod, "LARGE", sizes[-2])  # the largest group alone is large
    results, pools = [], []
    real = parallel.mp.get_context
    monkeypatch.setattr(parallel.mp, "get_context", lambda m: pools.append(m) or real(m))
    for workers in (1, 2):
        monkeypatch.setenv("TRUSTSURVEY_WORKERS", str(workers))
        results.append(audit_tables(out, policy, exact=True))
        results.append(audit_tables(out, policy, exact=False))
    assert pools  # the second round ran on workers
    pd.testing.assert_frame_equal(results[0], results[2])
    pd.testing.assert_frame_equal(results[1], results[3])
    assert not results[2]["exposed"].any()
