"""Run the SPSS C reader in a child process with a watchdog.

Files whose dictionary fails :func:`~trustsurvey.io.sav_check.check_sav_file` are read here:
a child forked from multiprocessing's fork server (a clean interpreter that has imported
pyreadstat once, so no state of the caller is shared and each read starts in milliseconds;
"spawn" where there is no fork server) reads the metadata, then the data, and sends them back
through a pipe. If the C reader crashes
(segmentation fault, abort) or runs past the time limit, only the child dies and the caller
gets :class:`ChildReadFailed`; exceptions raised by the reader come back as
:class:`ChildReadError` with the original type name and message.

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

import multiprocessing
import signal
from collections.abc import Callable
from typing import Any

#: seconds the child may take before it is stopped (override per call)
DEFAULT_TIMEOUT = 300.0


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


def _read(fmt: str, path: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    import pyreadstat

    if fmt == "por":
        from pyreadstat._readstat_parser import parser_entry_point

        parser_entry_point(path, parser_format="por", metadataonly=True, **kwargs)
        frame, meta = parser_entry_point(path, parser_format="por", **kwargs)
        meta.file_format = "por"
        return frame, meta
    pyreadstat.read_sav(path, metadataonly=True, **kwargs)
    return pyreadstat.read_sav(path, **kwargs)


def _child(conn: Any, fmt: str, path: str, kwargs: dict[str, Any], reader: Any) -> None:
    try:
        frame, meta = reader(fmt, path, kwargs)
    except BaseException as err:  # every failure goes to the parent
        conn.send(("error", type(err).__name__, str(err)))
    else:
        conn.send(("ok", frame, meta))
    finally:
        conn.close()


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            _CONTEXT = multiprocessing.get_context("forkserver")
            _CONTEXT.set_forkserver_preload(["pyreadstat", "trustsurvey.io.isolated"])
        else:  # pragma: no cover - Windows
            _CONTEXT = multiprocessing.get_context("spawn")
    return _CONTEXT


_CONTEXT: Any = None


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
    run in the child (a module-level function; the default reads with pyreadstat).
    """
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fmt, path, kwargs, reader), daemon=True)
    child.start()
    send.close()
    try:
        if receive.poll(timeout):
            try:
                message = receive.recv()
            except EOFError:  # the child died before sending anything
                message = None
        else:
            message = None
            if child.is_alive():
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
    if message[0] == "error":
        raise ChildReadError(message[1], message[2])
    return message[1], message[2]
