"""Single-byte changes of an SPSS dictionary: does any of them crash the reader?

Every byte of a small ``.sav`` (or ``.zsav``) file's dictionary — from the file header to the
end-of-dictionary record, plus the zlib header and trailer of a ``.zsav`` — is set in turn to
0x00, 0xFF, 0x7F, 0x80 and flipped in its lowest bit. Each mutant is read in a long-lived worker
process, so a crash is counted instead of ending the sweep:

* ``--reader pyreadstat``: ``pyreadstat.read_sav`` itself (the peer: how often the C reader
  crashes on its own);
* ``--reader trustsurvey`` (default): ``read_survey`` then ``inspect_file``; the contract is
  0 crashes (the worker dies) and 0 undocumented exceptions (anything but a
  ``TrustSurveyError``).

Usage::

    .venv/bin/python benchmarks/sav_header_sweep.py --reader both
    .venv/bin/python benchmarks/sav_header_sweep.py --format zsav --save-crashers /tmp/crash

The figures of the last run are written to ``benchmarks/_results/sav_header_sweep.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "spss" / "utf8_mrsets.sav"
VALUES = (0x00, 0xFF, 0x7F, 0x80)

WORKER = r"""
import sys, time, warnings
sys.path.insert(0, {src!r})
reader = {reader!r}
if reader == "pyreadstat":
    import pyreadstat
else:
    from trustsurvey.errors import TrustSurveyError
    from trustsurvey.io import inspect_file, read_survey
print("ready", flush=True)
for line in sys.stdin:
    path = line.strip()
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if reader == "pyreadstat":
                pyreadstat.read_sav(path, user_missing=True, disable_datetime_conversion=True)
            else:
                read_survey(path).analysis()
                inspect_file(path)
        outcome = "read"
    except Exception as err:
        documented = reader == "pyreadstat" or isinstance(err, TrustSurveyError)
        outcome = ("documented:" if documented else "UNDOCUMENTED:") + type(err).__name__
    print(outcome, time.perf_counter() - started, flush=True)
"""


def seed_bytes(fmt: str) -> bytes:
    """The fixture, or for ``zsav`` the same data written compressed."""
    if fmt == "sav":
        return SEED.read_bytes()
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(SEED), user_missing=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "seed.zsav"
        pyreadstat.write_sav(
            frame,
            str(out),
            compress=True,
            column_labels=meta.column_labels,
            variable_value_labels=meta.variable_value_labels,
            missing_ranges=meta.missing_ranges,
            variable_format=meta.original_variable_types,
        )
        return out.read_bytes()


def positions(data: bytes) -> list[int]:
    """Byte offsets of the dictionary (and of the zlib header/trailer of a .zsav)."""
    end = data.find(struct.pack("<ii", 999, 0)) + 8
    where = list(range(end))
    if data[:4] == b"$FL3":
        where += list(range(end, end + 24))
        (trailer,) = struct.unpack_from("<q", data, end + 8)
        where += list(range(trailer, len(data)))
    return where


def mutants(data: bytes) -> list[tuple[int, int, bytes]]:
    out = []
    for pos in positions(data):
        for value in (*VALUES, data[pos] ^ 0x01):
            if data[pos] != value:
                blob = bytearray(data)
                blob[pos] = value
                out.append((pos, value, bytes(blob)))
    return out


class Worker:
    def __init__(self, reader: str) -> None:
        self.reader = reader
        self.start()

    def start(self) -> None:
        code = WORKER.format(src=str(ROOT / "src"), reader=self.reader)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()

    def read(self, path: Path) -> tuple[str, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.start()
            return f"CRASH:{code}", 0.0
        outcome, seconds = line.split()
        return outcome, float(seconds)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def sweep(reader: str, fmt: str, save: Path | None) -> dict:
    data = seed_bytes(fmt)
    cases = mutants(data)
    worker = Worker(reader)
    counts: collections.Counter[str] = collections.Counter()
    crashes, undocumented = [], []
    seconds: dict[str, list[float]] = collections.defaultdict(list)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"mutant.{fmt}"
        seed_path = Path(tmp) / f"seed.{fmt}"
        seed_path.write_bytes(data)
        seed_times = [worker.read(seed_path)[1] for _ in range(5)]
        for pos, value, blob in cases:
            path.write_bytes(blob)
            outcome, took = worker.read(path)
            counts[outcome.split(":")[0]] += 1
            seconds[outcome.split(":")[0]].append(took)
            if outcome.startswith("CRASH"):
                crashes.append([pos, value])
            elif outcome.startswith("UNDOCUMENTED"):
                undocumented.append([pos, value, outcome.split(":")[1]])
            if save and not outcome.startswith(("read", "documented")):
                save.mkdir(parents=True, exist_ok=True)
                (save / f"{reader}_{pos}_{value:02x}.{fmt}").write_bytes(blob)
    worker.close()
    return {
        "reader": reader,
        "format": fmt,
        "mutants": len(cases),
        "bytes_swept": len(positions(data)),
        "read": counts["read"],
        "documented_errors": counts["documented"],
        "undocumented_exceptions": counts["UNDOCUMENTED"],
        "crashes": counts["CRASH"],
        "crash_positions": crashes,
        "undocumented": undocumented,
        "seed_read_ms": round(1000 * min(seed_times), 2),
        "median_ms": {k: round(1000 * sorted(v)[len(v) // 2], 2) for k, v in seconds.items() if v},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reader", choices=["trustsurvey", "pyreadstat", "both"], default="trustsurvey"
    )
    parser.add_argument("--format", choices=["sav", "zsav", "both"], default="both")
    parser.add_argument("--save-crashers", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "_results")
    args = parser.parse_args()
    readers = ["pyreadstat", "trustsurvey"] if args.reader == "both" else [args.reader]
    formats = ["sav", "zsav"] if args.format == "both" else [args.format]
    results = []
    for fmt in formats:
        for reader in readers:
            res = sweep(reader, fmt, args.save_crashers)
            results.append(res)
            print(
                f"{fmt} {reader}: {res['mutants']} single-byte mutants of {res['bytes_swept']} "
                f"bytes: {res['read']} read, {res['documented_errors']} documented errors, "
                f"{res['undocumented_exceptions']} undocumented exceptions, "
                f"{res['crashes']} crashes ({res['seconds']} s; median ms {res['median_ms']})"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sav_header_sweep.json").write_text(json.dumps(results, indent=1))
    if any(
        r["reader"] == "trustsurvey" and (r["crashes"] or r["undocumented_exceptions"])
        for r in results
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
