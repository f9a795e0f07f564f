"""Run the SPSS C reader in a child process with a watchdog.

Files whose dictionary fails :func:`~trustsurvey.io.sav_check.check_sav_file` are read here,
never in the caller's process. A helper process (:mod:`trustsurvey.io._sav_worker`: a clean
interpreter that has imported pyreadstat and nothing of the caller) is started on the first
such file and kept. It forks a reader process that reads the metadata, then the data, and
sends them back through a pipe; the reader serves the next files too, so a read costs a
pickle, not a new process. If the C reader crashes (segmentation fault, abort) or runs past
the time limit, only the reader dies: the caller gets :class:`ChildReadFailed` and the helper
forks a new reader (milliseconds). Exceptions raised by the reader come back as
:class:`ChildReadError` with the original type name and message. Where there is no ``fork``
(Windows) each file is read in a process of multiprocessing's ``spawn`` method.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.sav"
>>> _ = p.write_bytes(b"$FL2 not really")
>>> try:
...     read_in_child("sav", str(p), {"user_missing": True}, timeout=60)
... except ChildReadError as err:
...     print(err.type_name)
ReadstatError
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trustsurvey.io import _sav_worker as worker

#: seconds a read may take before its reader process is stopped (override per call)
DEFAULT_TIMEOUT = 300.0
#: seconds the helper may take to start, or to answer beyond the read's own time limit
HELPER_GRACE = 60.0


class ChildReadError(Exception):
    """The reader raised an exception in the child (its type name and message)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


class ChildReadFailed(Exception):
    """The child died (``signal_name`` set) or did not finish in time (``timed_out``)."""

    def __init__(self, *, signal_name: str | None = None, timed_out: float | None = None) -> None:
        what = (
            f"did not finish within {timed_out:g} s"
            if timed_out is not None
            else f"crashed ({signal_name})"
        )
        super().__init__(f"the SPSS reader {what}")
        self.signal_name = signal_name
        self.timed_out = timed_out


_read = worker.default_read


class _Helper:
    """The caller's end of one helper process (see :mod:`trustsurvey.io._sav_worker`)."""

    def __init__(self) -> None:
        launcher = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
        self.owner = os.getpid()
        self.hung = False
        self.process = subprocess.Popen(
            # -P: the current folder is not put on the path (no stray pandas.py is imported)
            [sys.executable, "-P", "-c", launcher, str(Path(worker.__file__))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of the caller's terminal is the caller's
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests = self.process.stdin.fileno()
        self.answers = self.process.stdout.fileno()
        hello = self._answer(HELPER_GRACE)
        if hello is None or hello[0] != b"H":
            self.stop()
            raise ChildReadFailed(signal_name=self._died())

    def _answer(self, seconds: float) -> tuple[bytes, bytes] | None:
        ready, _, _ = select.select([self.answers], [], [], seconds)
        self.hung = not ready
        return worker.read_frame(self.answers) if ready else None

    def _died(self) -> str:
        code = self.process.wait()
        return f"exit status {code}" if code >= 0 else signal.Signals(-code).name

    def idle(self) -> bool:
        """Whether the helper runs and has nothing unasked for in its answers."""
        if self.process.poll() is not None:
            return False
        return not select.select([self.answers], [], [], 0)[0]

    def read(self, request: bytes, timeout: float) -> tuple[bytes, bytes] | None:
        """The answer frame, or None if the helper is gone or did not answer in time."""
        try:
            worker.write_all(self.requests, worker.make_frame(b"R", request))
        except BrokenPipeError:
            return None
        return self._answer(timeout + HELPER_GRACE)

    def stop(self) -> None:
        """End the helper: its stdin is closed (it exits when idle), then it is killed if it
        does not exit within a second."""
        try:
            self.process.stdin.close()  # type: ignore[union-attr]
            self.process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process.stdout.close()  # type: ignore[union-attr]


_LOCK = threading.Lock()
_HELPER: _Helper | None = None


def _stop_helper() -> None:
    global _HELPER
    if _HELPER is not None and _HELPER.owner == os.getpid():
        _HELPER.stop()
    _HELPER = None


atexit.register(_stop_helper)


def _read_by_helper(
    fmt: str,
    path: str,
    kwargs: dict[str, Any],
    timeout: float,
    reader: Callable[[str, str, dict[str, Any]], tuple[Any, Any]],
) -> Any:
    global _HELPER
    body = pickle.dumps((fmt, path, kwargs, None if reader is _read else reader))
    request = pickle.dumps((float(timeout), list(sys.path), body))
    with _LOCK:
        if _HELPER is not None and _HELPER.owner != os.getpid():
            _HELPER = None  # inherited through a fork: the parent's helper, not ours
        if _HELPER is not None and not _HELPER.idle():
            _stop_helper()
        if _HELPER is None:
            _HELPER = _Helper()
        helper = _HELPER
        try:
            answer = helper.read(request, timeout)
        except BaseException:  # interrupted mid-request: the helper's state is unknown
            _stop_helper()
            raise
        if answer is None:  # the helper died or hung: the next file gets a new one
            _stop_helper()
            if helper.hung:
                raise ChildReadFailed(timed_out=timeout)
            raise ChildReadFailed(signal_name=f"helper: {helper._died()}")
    kind, payload = answer
    if kind == b"S":
        name = payload.decode()
        if name == "SIGALRM":  # the reader's own watchdog
            raise ChildReadFailed(timed_out=timeout)
        raise ChildReadFailed(signal_name=name)
    return pickle.loads(payload)


def _child(conn: Any, fmt: str, path: str, kwargs: dict[str, Any], reader: Any) -> None:
    try:
        frame, meta = reader(fmt, path, kwargs)
    except BaseException as err:  # every failure goes to the parent
        conn.send(("error", type(err).__name__, str(err)))
    else:
        conn.send(("ok", frame, meta))
    finally:
        conn.close()


def _read_spawned(
    fmt: str,
    path: str,
    kwargs: dict[str, Any],
    timeout: float,
    reader: Callable[[str, str, dict[str, Any]], tuple[Any, Any]],
) -> Any:  # pragma: no cover - platforms without fork
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fmt, path, kwargs, reader), daemon=True)
    child.start()
    send.close()
    message = None
    try:
        if receive.poll(timeout):
            try:
                message = receive.recv()
            except EOFError:  # the child died before sending anything
                message = None
        elif child.is_alive():
            child.kill()
            child.join()
            raise ChildReadFailed(timed_out=timeout)
        child.join()
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
            child.join()
    if message is None:
        code = child.exitcode or 0
        name = signal.Signals(-code).name if code < 0 else f"exit status {code}"
        raise ChildReadFailed(signal_name=name)
    return message


def read_in_child(
    fmt: str,
    path: str,
    kwargs: dict[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    reader: Callable[[str, str, dict[str, Any]], tuple[Any, Any]] = _read,
) -> tuple[Any, Any]:
    """``(frame, meta)`` as pyreadstat returns them, read in a child process.

    Raises :class:`ChildReadError` when the reader raises, :class:`ChildReadFailed` when the
    child dies or exceeds ``timeout`` seconds. ``reader(fmt, path, kwargs)`` is the function
    run in the child (a module-level function of an importable module; the default reads
    with pyreadstat).
    """
    if hasattr(os, "fork"):
        message = _read_by_helper(fmt, path, kwargs, timeout, reader)
    else:  # pragma: no cover - Windows
        message = _read_spawned(fmt, path, kwargs, timeout, reader)
    if message[0] == "error":
        raise ChildReadError(message[1], message[2])
    return message[1], message[2]
