"""Benchmark: the whole `perfkit score` command against a whole Python process reading the CSVs.

The bar (issue 2, restated like with like in issue 12): on `demo-data --units 10000` (30
indicators per unit, monthly rows), the whole command ``perfkit score DATA --format csv`` takes at
most 3x the time of a whole Python process that imports pandas and reads the same CSV files
(``python -c "import pandas as pd; [pd.read_csv(f) for f in files]"``, default options), both
measured in the same run, best of ``--repeat``; and the command's peak memory stays under 1 GB.
Both sides are fresh processes: interpreter start-up, imports and exit are counted on both.

Printed, each the best of ``--repeat`` interleaved runs, in wall and CPU seconds (CPU time sees
through a machine that other jobs are using) with the peak memory (``ru_maxrss``) of the child:

- the headline: the pandas process, the command, and their ratio;
- with ``--before DIR`` (a source tree of another commit, e.g. ``git archive REV | tar -x -C
  DIR``), the command run from that tree too, interleaved, and its ratio;
- the start-up floor: a child that only imports pandas and pandera and runs one pandera
  validation, with the command's start-up settings (what any pandera-validating command pays
  before reading a byte);
- in a fresh process, once imports are done: read, validate, type, score and write the CSV,
  stage by stage ("in process": what the command spends beyond its start-up).

The command is run from this checkout (its root is put first on PYTHONPATH), whichever perfkit
the interpreter has installed, with its modules compiled first as an installed package has them.

Run: `make bench` or `.venv/bin/python benchmarks/bench_score.py [--units N] [--repeat R]
[--data DIR] [--before DIR]`. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import compileall
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

ROOT = Path(__file__).resolve().parent.parent
#: the command as the console script runs it (``perfkit`` is ``perfkit.cli:main``)
COMMAND = "from perfkit.cli import main; main()"
#: what the command pays before reading: imports, pandera's backends at the first validation,
#: with the command's start-up settings (perfkit.cli.main: hypothesis hidden from pandera)
FLOOR = (
    "import sys; sys.modules.setdefault('hypothesis', None); "
    "import pandas as pd, pandera.pandas as pa; "
    "pa.DataFrameSchema({'a': pa.Column(str)}).validate(pd.DataFrame({'a': ['x']}))"
)

Run = tuple[float, float, int]  # wall seconds, CPU seconds, peak RSS in bytes


def pandas_reads(folder: Path) -> list[str]:
    """The child that the bar compares against: import pandas, read every CSV (default options)."""
    files = [str(p) for p in sorted(folder.glob("*.csv"))]
    return [sys.executable, "-c", f"import pandas as pd; [pd.read_csv(f) for f in {files!r}]"]


def run_child(args: list[str], code: Path | None = None) -> Run:
    """(wall seconds, CPU seconds, peak RSS in bytes) of one child process, with ``code`` (a
    source tree) first on its PYTHONPATH; raises on failure.

    The child runs in ``code`` (else in the temporary directory): ``python -c`` puts its working
    directory before PYTHONPATH, so a child started in another checkout would import that one.
    """
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    cwd = code or tempfile.gettempdir()
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
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
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, __file__, "--stages", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return {name: tuple(times) for name, times in json.loads(child.stdout).items()}


def best(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The smallest of each field over the runs."""
    return tuple(min(values) for values in zip(*runs, strict=True))


def describe(folder: Path) -> str:
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
    rows = {p.name: sum(1 for _ in p.open(encoding="utf-8-sig")) - 1 for p in folder.glob("*.csv")}
    return ", ".join(f"{n} {rows[n]:,} rows {sizes[n] / 1e6:.1f} MB" for n in sorted(sizes))


def ratio(a: tuple[float, ...], b: tuple[float, ...]) -> str:
    """ "4.10x (CPU 3.90x)": wall and CPU of ``a`` over those of ``b``."""
    return f"{a[0] / b[0]:.2f}x (CPU {a[1] / b[1]:.2f}x)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="an existing dataset instead of demo-data")
    parser.add_argument(
        "--before", type=Path, help="a source tree of another commit to time the command from too"
    )
    parser.add_argument("--stages", type=Path, help=argparse.SUPPRESS)  # see in_process
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(run_stages(args.stages)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp) / "demo"
        if args.data is None:
            demo = [sys.executable, "-c", COMMAND, "demo-data", str(folder)]
            gen, _, _ = run_child([*demo, "--units", str(args.units)], ROOT)
            print(f"demo-data --units {args.units}: {gen:.2f} s")
        print(f"files: {describe(folder)}")

        for tree in filter(None, [ROOT, args.before]):
            # as pip does when it installs perfkit (the dev environment may set
            # PYTHONDONTWRITEBYTECODE, and a source tree may hold no .pyc files yet)
            compileall.compile_dir(tree / "perfkit", quiet=1)
        command = [sys.executable, "-c", COMMAND, "score", str(folder), "--format", "csv"]
        floor = [sys.executable, "-c", FLOOR]
        runs: dict[str, list[Run]] = {"pandas": [], "score": [], "before": [], "floor": []}
        stage_runs = []
        for _ in range(args.repeat):
            runs["pandas"].append(run_child(pandas_reads(folder)))
            runs["score"].append(run_child(command, ROOT))
            if args.before:
                runs["before"].append(run_child(command, args.before.resolve()))
            runs["floor"].append(run_child(floor))
            stage_runs.append(in_process(folder))
        best_of = {k: best(v) for k, v in runs.items() if v}
        peak = {k: max(run[2] for run in v) / 2**20 for k, v in runs.items() if v}
        stages = {name: best([run[name] for run in stage_runs]) for name in stage_runs[0]}
        inproc = (sum(w for w, _ in stages.values()), sum(c for _, c in stages.values()))

        n = args.repeat
        pandas_ = best_of["pandas"]
        print(
            f"pandas process  (best of {n}): {pandas_[0]:.2f} s (CPU {pandas_[1]:.2f} s), peak "
            f"{peak['pandas']:.0f} MiB: python -c 'import pandas as pd; [pd.read_csv(f) …]'"
        )
        score = best_of["score"]
        print(
            f"perfkit score   (best of {n}): {score[0]:.2f} s (CPU {score[1]:.2f} s), peak "
            f"{peak['score']:.0f} MiB: the whole command, --format csv"
        )
        print(f"ratio: {ratio(score, pandas_)} (bar: at most 3x)")
        print(f"peak memory of perfkit score: {peak['score']:.0f} MiB (bar: under 1024 MiB)")
        if args.before:
            before = best_of["before"]
            print(
                f"before ({args.before}, best of {n}): {before[0]:.2f} s (CPU {before[1]:.2f} s), "
                f"peak {peak['before']:.0f} MiB; ratio {ratio(before, pandas_)}"
            )
        floor_ = best_of["floor"]
        print(
            f"start-up floor, python + import pandas, pandera + one validation (best of {n}): "
            f"{floor_[0]:.2f} s (CPU {floor_[1]:.2f} s) = {ratio(floor_, pandas_)}"
        )
        print(
            f"in process, after imports (best of {n} per stage): "
            + ", ".join(f"{k} {w:.2f} s (CPU {c:.2f})" for k, (w, c) in stages.items())
        )
        print(
            f"in process total: {inproc[0]:.2f} s (CPU {inproc[1]:.2f} s) = "
            f"{ratio(inproc, pandas_)}"
        )
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        import pandera

        print(
            f"machine: {os.cpu_count()} cores, load average {load}; Python "
            f"{sys.version.split()[0]}, pandas {pd.__version__}, pandera {pandera.__version__}, "
            f"pyarrow {_version_of('pyarrow')}, hypothesis {_version_of('hypothesis')}"
        )


def _version_of(package: str) -> str:
    """A package's installed version, or "absent"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


if __name__ == "__main__":
    main()
