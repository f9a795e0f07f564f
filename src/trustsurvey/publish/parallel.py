"""Independent linear programmes of the publish step on several cores, in a fixed order.

The audit's connected groups of cells, and the neighbourhoods of one level of
:func:`trustsurvey.publish.modular.witness_bounds` and
:func:`trustsurvey.publish.modular.protect_by_groups`, are solved independently of each
other: :func:`ordered_map` runs them on a pool of forked worker processes and returns their
results in the order of the tasks, so the outcome is the same whatever the number of
workers (one: in this process). Workers are forked (they inherit the programmes' data, no
copy is sent), so where the platform cannot fork, everything runs in this process.

The number of workers is the environment variable ``TRUSTSURVEY_WORKERS`` if set, else the
cores this process may use, at most :data:`MAX_WORKERS`.

>>> ordered_map(lambda i: i * i, 4, workers=1)
[0, 1, 4, 9]
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from typing import Any

#: workers at most (the publish step's tasks are small: more processes mostly cost memory)
MAX_WORKERS = 2
#: fewer tasks than this run in this process (forking costs more than they do)
MIN_TASKS = 4

_task: Callable[[int], Any] | None = None
_in_worker = False


def workers() -> int:
    """Worker processes to use: ``TRUSTSURVEY_WORKERS``, else the usable cores (at most
    :data:`MAX_WORKERS`); 1 inside a worker (no nested pools)."""
    if _in_worker:
        return 1
    env = os.environ.get("TRUSTSURVEY_WORKERS", "").strip()
    if env:
        return max(1, int(env))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _can_fork() -> bool:
    """Whether worker processes can be forked here (not from a daemonic process, which may
    have no children)."""
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def _init() -> None:
    global _in_worker
    _in_worker = True


def _call(i: int) -> Any:
    assert _task is not None
    return _task(i)


def ordered_map(
    fn: Callable[[int], Any], n: int, *, workers: int | None = None, chunk: int = 0
) -> list[Any]:
    """``[fn(0), ..., fn(n - 1)]``, on ``workers`` forked processes (default
    :func:`workers`). ``fn`` may be a closure: the workers inherit it; its results are
    pickled back. ``chunk``: tasks per message (0: a few messages per worker)."""
    global _task
    count = globals()["workers"]() if workers is None else workers
    if count <= 1 or n < min(MIN_TASKS, 2 * count) or _in_worker or not _can_fork():
        return [fn(i) for i in range(n)]
    count = min(count, n)
    _task = fn
    try:
        with mp.get_context("fork").Pool(count, initializer=_init) as pool:
            size = chunk or max(1, n // (4 * count))
            return pool.map(_call, range(n), chunksize=size)
    finally:
        _task = None
