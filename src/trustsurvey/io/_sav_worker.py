"""The helper process of :mod:`trustsurvey.io.isolated` (stdlib and pyreadstat only).

Started with ``python -c "…run_path(this file)"`` (so it imports neither the trustsurvey
package nor the caller's ``__main__``), the helper imports pyreadstat once and forks a
reader. The reader reads the files named in requests on stdin, one after another, and answers
on the helper's original stdout. When the C reader crashes, the reader dies, the helper tells
the caller how (signal name) and forks a new reader: a crash costs a fork, not a new
interpreter, and never touches the caller. Each read runs under ``alarm``: past the time
limit the kernel ends the reader (SIGALRM), even when the C reader holds the interpreter lock.
A reader is replaced after :data:`READS_PER_READER` files. With no caller left (stdin
closed) both exit.

Frames in both directions are ``kind`` (one byte) + length (8 bytes, big-endian) + payload.
A request (kind ``R``) is ``pickle((timeout, sys_path, body))``, ``body`` being
``pickle((fmt, path, kwargs, reader))`` (``reader`` None for pyreadstat), unpickled once
``sys_path`` is in place. Answers: ``D`` (the pickled ``("ok", frame, meta)`` or ``("error",
type_name, message)``), ``S`` (the reader died: signal name or exit status); ``H`` says the
helper is ready.

Examples
--------
>>> make_frame(b"S", b"SIGSEGV")
b'S\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x07SIGSEGV'
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import struct
import sys
from typing import Any

_HEADER = struct.Struct(">cQ")


def make_frame(kind: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from ``fd``, or None at end of file."""
    parts: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame(fd: int) -> tuple[bytes, bytes] | None:
    """One ``(kind, payload)`` frame from ``fd``, or None at end of file."""
    head = read_exact(fd, _HEADER.size)
    if head is None:
        return None
    kind, size = _HEADER.unpack(head)
    payload = read_exact(fd, size)
    return None if payload is None else (kind, payload)


def default_read(fmt: str, path: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The metadata, then the data, as pyreadstat reads them (portable files included)."""
    import pyreadstat

    if fmt == "por":
        from pyreadstat._readstat_parser import parser_entry_point

        parser_entry_point(path, parser_format="por", metadataonly=True, **kwargs)
        frame, meta = parser_entry_point(path, parser_format="por", **kwargs)
        meta.file_format = "por"
        return frame, meta
    pyreadstat.read_sav(path, metadataonly=True, **kwargs)
    return pyreadstat.read_sav(path, **kwargs)


def _answer(request: bytes) -> bytes:
    timeout, sys_path, body = pickle.loads(request)
    sys.path[:] = sys_path  # where the caller found its reader function
    signal.alarm(max(1, math.ceil(timeout)))  # SIG_DFL: the kernel ends the reader
    try:
        fmt, path, kwargs, reader = pickle.loads(body)
        frame, meta = (reader or default_read)(fmt, path, kwargs)
        return pickle.dumps(("ok", frame, meta), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as err:  # every failure of the reader goes back to the caller
        return pickle.dumps(("error", type(err).__name__, str(err)))
    finally:
        signal.alarm(0)


def status_name(status: int) -> str:
    """A wait status as a signal name (``SIGSEGV``) or ``exit status N``."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return signal.Signals(number).name
        except ValueError:
            return f"signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _reader(requests: int, answers: int) -> int:  # pragma: no cover - runs in the fork
    for _ in range(READS_PER_READER):
        frame = read_frame(requests)
        if frame is None:
            return _CALLER_GONE
        write_all(answers, make_frame(b"D", _answer(frame[1])))
    return _RECYCLE


def serve() -> None:
    """Fork readers for the requests on stdin until it is closed."""
    import pandas  # noqa: F401  - imported once, shared by every forked reader
    import pyreadstat  # noqa: F401

    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when to stop
    requests = os.dup(0)
    answers = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # whatever the C reader prints cannot corrupt the answers
    os.close(devnull)
    write_all(answers, make_frame(b"H", b"ready"))
    while True:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the reader
            code = 1
            try:
                code = _reader(requests, answers)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _CALLER_GONE:
            return
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == _RECYCLE):
            write_all(answers, make_frame(b"S", status_name(status).encode()))


#: files one reader reads before the helper forks a new one
READS_PER_READER = 1000
_CALLER_GONE = 0
_RECYCLE = 3

if __name__ == "__main__":  # pragma: no cover - run by trustsurvey.io.isolated
    serve()
