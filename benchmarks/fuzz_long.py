"""Long fuzzing runs of the readers (the CI tests in tests/fuzz/ run a bounded version).

Only documented errors (``TrustSurveyError``) may escape a reader; anything else is a crash,
reported with the input that caused it.

Engines:

* ``atheris`` (coverage-guided libFuzzer; install it in the benchmark virtualenv:
  ``/work/bench-venv/bin/pip install atheris``); crashing inputs are written to ``--out``.
* ``hypothesis`` (default when atheris is missing): the CI strategies (random bytes and
  mutated real files) with many examples, drawn from ``--seed``. An undocumented exception is
  counted, its input saved to ``--out`` and the run goes on; the input being read is kept in
  ``--out/last_<target>.bin`` so a crash of the process leaves it behind. One line per target
  (examples, undocumented exceptions, seconds) goes to stdout and ``--out/summary.jsonl``.

Usage::

    /work/bench-venv/bin/python benchmarks/fuzz_long.py sav --seconds 600
    nice .venv/bin/python benchmarks/fuzz_long.py all --engine hypothesis --examples 10000

Targets: sav zsav por csv xlsx parquet yaml study xlsform (or ``all``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "fuzz"), str(ROOT / "tests" / "bad_inputs")]

import fuzz_targets as ft  # noqa: E402
import make_corpus  # noqa: E402

TARGETS = ["sav", "zsav", "por", "csv", "xlsx", "parquet", "yaml", "study", "xlsform"]


def one_input(target: str) -> Callable[[bytes], None]:
    """A function taking raw bytes and feeding them to ``target``'s reader in a fresh folder."""

    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if target == "yaml":
                ft.load_yaml_text(data, folder)
            elif target == "study":
                ft.load_study_text(data, make_corpus.mini_study(folder / "study"))
            elif target == "xlsform":
                ft.read_xlsform_bytes(data, folder)
            else:
                ft.read_bytes_as(data, f".{target}", folder)

    return run


def seed(target: str) -> bytes:
    """A valid input of the target's kind, where libFuzzer starts mutating."""
    if target == "yaml":
        return make_corpus.QUESTIONNAIRE.encode()
    if target == "study":
        return make_corpus.STUDY.encode()
    if target == "xlsform":
        return ft.seed_bytes(".xlsx")
    return ft.seed_bytes(f".{target}")


def run_atheris(target: str, seconds: int, out: Path) -> None:
    import atheris

    corpus = out / f"corpus_{target}"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "seed").write_bytes(seed(target))
    with atheris.instrument_imports(include=["trustsurvey"]):
        import trustsurvey.io
        import trustsurvey.io.tabular
        import trustsurvey.questionnaire.loader
        import trustsurvey.questionnaire.xlsform
        import trustsurvey.study.loader  # noqa: F401
    argv = [sys.argv[0], f"-max_total_time={seconds}", f"-artifact_prefix={out}/", str(corpus)]
    atheris.Setup(argv, one_input(target))
    atheris.Fuzz()


def run_hypothesis(target: str, examples: int, seed_value: int, out: Path) -> dict[str, Any]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from test_fuzz_readers import mutated

    out.mkdir(parents=True, exist_ok=True)
    last = out / f"last_{target}.bin"
    feed = one_input(target)
    done = [0]
    escaped: list[str] = []
    started = time.perf_counter()

    @hypothesis_seed(seed_value)
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.one_of(st.binary(max_size=4096), mutated(seed(target))))
    def fuzz(data: bytes) -> None:
        last.write_bytes(data)
        try:
            feed(data)
        except Exception as err:  # an undocumented exception: keep it and go on
            name = f"escape_{target}_{len(escaped):03d}_{type(err).__name__}.bin"
            (out / name).write_bytes(data)
            escaped.append(f"{type(err).__name__}: {str(err)[:200]} ({name})")
        done[0] += 1
        if done[0] % 500 == 0:  # a partial figure survives an interrupted run
            seconds = time.perf_counter() - started
            print(
                f"{target}: {done[0]} examples so far, {len(escaped)} undocumented "
                f"exceptions, {seconds:.0f} s",
                flush=True,
            )

    fuzz()
    last.unlink(missing_ok=True)
    result = {
        "target": target,
        "examples": done[0],
        "undocumented_exceptions": len(escaped),
        "crashes": 0,  # a crash would have ended this process before this line
        "seconds": round(time.perf_counter() - started, 1),
        "seed": seed_value,
        "escapes": escaped,
    }
    print(
        f"{target}: {done[0]} examples, {len(escaped)} undocumented exceptions, 0 crashes, "
        f"{result['seconds']:.0f} s",
        flush=True,
    )
    for line in escaped:
        print(f"  {line}", flush=True)
    with (out / "summary.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=[*TARGETS, "all"])
    parser.add_argument("--engine", choices=["atheris", "hypothesis"], default=None)
    parser.add_argument("--seconds", type=int, default=300, help="atheris: time per target")
    parser.add_argument("--examples", type=int, default=2000, help="hypothesis: per target")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis: the examples' seed")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "_results" / "fuzz")
    args = parser.parse_args()
    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    targets = TARGETS if args.target == "all" else [args.target]
    if engine == "atheris":
        if len(targets) > 1:
            parser.error("atheris fuzzes one target per process: name one target")
        run_atheris(targets[0], args.seconds, args.out)
    else:
        for target in targets:
            run_hypothesis(target, args.examples, args.seed, args.out)


if __name__ == "__main__":
    main()
