"""Benchmark: `perfkit score` on a large synthetic dataset against pandas reading the same CSVs.

Issue 2's bar: `perfkit score` on `demo-data --units 10000` (30 indicators per unit, monthly
rows) takes at most 3x the time pandas alone needs to read the same CSV files (`pd.read_csv` on
each file, default options), measured in the same run, and stays under 2 GB of memory.

Printed, each the best of ``--repeat`` runs (wall seconds, and CPU seconds where it helps to see
through a busy machine):

- pandas alone: ``pd.read_csv`` of every CSV file, in this process;
- the whole command ``perfkit score DATA --format csv`` in a child process (interpreter start-up
  and imports included), its CPU time and its peak memory;
- the start-up floor: a child process that only imports pandas and pandera and runs one pandera
  validation (what any pandera-validating command pays before reading a byte);
- in a fresh process, once imports are done: read, validate, type, score and write the CSV,
  stage by stage ("in process": what the command spends beyond its start-up).

Run: `make bench` or `.venv/bin/python benchmarks/bench_score.py [--units N] [--repeat R]
[--data DIR]`. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

BIN = Path(sys.executable).parent
FLOOR = (
    "import pandas as pd, pandera.pandas as pa; "
    "pa.DataFrameSchema({'a': pa.Column(str)}).validate(pd.DataFrame({'a': ['x']}))"
)


def read_with_pandas(folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds for pandas alone to read every CSV of the dataset (default options)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for csv in sorted(folder.glob("*.csv")):
        pd.read_csv(csv)
    return time.perf_counter() - wall, time.process_time() - cpu


def run_child(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in bytes) of one child process; raises on failure."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def run_stages(folder: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each stage of `perfkit score`, run in this process as the command
    runs them (read, validate and type are `perfkit.data.loading.load`, with its garbage-collector
    pause). Meant for a fresh process (``--stages``): caches such as the notation parser's start
    empty, as in the command. What the start-up floor already counts (one pandera validation,
    which loads pandera's backends) is done first, untimed."""
    exec(FLOOR)
    from perfkit.core import gcpause
    from perfkit.data.loading import to_dataset
    from perfkit.data.readers import read_dataset
    from perfkit.data.validation import validate
    from perfkit.rules.rulebook import load_rulebook
    from perfkit.scoring import results
    from perfkit.scoring.scores import score_dataset

    rulebook = load_rulebook(None)
    out: dict[str, tuple[float, float]] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        out[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    with gcpause.paused():
        raw = timed("read", lambda: read_dataset(folder))
        problems = timed("validate", lambda: validate(raw, rulebook))
        assert not problems, problems[:3]
        ds = timed("type", lambda: to_dataset(raw))
    scores = timed("score", lambda: score_dataset(ds, rulebook))
    timed("csv", lambda: results.to_csv(scores))
    return out


def in_process(folder: Path) -> dict[str, tuple[float, float]]:
    """:func:`run_stages` in a fresh child process."""
    child = subprocess.run(
        [sys.executable, __file__, "--stages", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return {name: tuple(times) for name, times in json.loads(child.stdout).items()}


def best(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The smallest of each field over the runs."""
    return tuple(min(values) for values in zip(*runs, strict=True))


def describe(folder: Path) -> str:
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
    rows = {p.name: sum(1 for _ in p.open(encoding="utf-8-sig")) - 1 for p in folder.glob("*.csv")}
    return ", ".join(f"{n} {rows[n]:,} rows {sizes[n] / 1e6:.1f} MB" for n in sorted(sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="an existing dataset instead of demo-data")
    parser.add_argument("--stages", type=Path, help=argparse.SUPPRESS)  # see in_process
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(run_stages(args.stages)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp) / "demo"
        if args.data is None:
            gen, _, _ = run_child(
                [str(BIN / "perfkit"), "demo-data", str(folder), "--units", str(args.units)]
            )
            print(f"demo-data --units {args.units}: {gen:.2f} s")
        print(f"files: {describe(folder)}")

        command = [str(BIN / "perfkit"), "score", str(folder), "--format", "csv"]
        floor = [sys.executable, "-c", FLOOR]
        pandas_runs, score_runs, floor_runs, stage_runs = [], [], [], []
        for _ in range(args.repeat):
            pandas_runs.append(read_with_pandas(folder))
            score_runs.append(run_child(command))
            floor_runs.append(run_child(floor)[:2])
            stage_runs.append(in_process(folder))
        pandas_wall, pandas_cpu = best(pandas_runs)
        score_wall, score_cpu, _ = best(score_runs)
        peak = max(run[2] for run in score_runs)
        floor_wall, floor_cpu = best(floor_runs)
        stages = {name: best([run[name] for run in stage_runs]) for name in stage_runs[0]}
        inproc_wall = sum(wall for wall, _ in stages.values())
        inproc_cpu = sum(cpu for _, cpu in stages.values())

        n = args.repeat
        print(f"pandas read_csv (best of {n}): {pandas_wall:.2f} s (CPU {pandas_cpu:.2f} s)")
        print(
            f"perfkit score   (best of {n}): {score_wall:.2f} s (CPU {score_cpu:.2f} s; whole "
            "command, interpreter start-up and imports included)"
        )
        print(
            f"ratio: {score_wall / pandas_wall:.2f}x (CPU {score_cpu / pandas_cpu:.2f}x) "
            "(bar: at most 3x)"
        )
        print(f"peak memory of perfkit score: {peak / 2**20:.0f} MiB (bar: under 2048 MiB)")
        print(
            f"start-up floor, python + import pandas, pandera + one validation (best of {n}): "
            f"{floor_wall:.2f} s (CPU {floor_cpu:.2f} s) = {floor_wall / pandas_wall:.2f}x"
        )
        print(
            f"in process, after imports (best of {n} per stage): "
            + ", ".join(f"{k} {w:.2f} s (CPU {c:.2f})" for k, (w, c) in stages.items())
        )
        print(
            f"in process total: {inproc_wall:.2f} s (CPU {inproc_cpu:.2f} s) = "
            f"{inproc_wall / pandas_wall:.2f}x (CPU {inproc_cpu / pandas_cpu:.2f}x)"
        )
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        import pandera

        print(
            f"machine: {os.cpu_count()} cores, load average {load}; Python "
            f"{sys.version.split()[0]}, pandas {pd.__version__}, pandera {pandera.__version__}"
        )


if __name__ == "__main__":
    main()
