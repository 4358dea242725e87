"""Benchmark: ``perfkit render`` against a naive loop of CLIs, in the same run, on 2 cores.

    python benchmarks/bench_render.py [--data data/sample] [--cores 2] [--repeat 2] [--variants]
                                      [--projects] [--demo-units N --projects-per-unit M]
                                      [--skip-naive] [--naive-units K]

The naive loop is what a user would script: for every unit, the ``papermill`` CLI, then
``jupyter nbconvert --to html --no-input``. perfkit's side is ``render()`` run in a fresh Python
process (so interpreter start-up and imports are counted as they are for the CLI), with as many
workers as cores; it also renders each year's index page, which the naive loop does not.
Both are pinned to the same ``--cores`` CPUs. render() is timed ``--repeat`` times (the best is
kept: other processes on a shared machine only ever add time); the naive loop, far slower, once.
The comparison renders the units' reports only (``level="unit"``), like the naive loop.
``--variants`` also times render() with a fresh kernel per notebook (papermill's default) and
with one worker, to show where the time goes. ``--projects`` also times the whole render
(``level="all"``: every unit's and project's report, the index and the projects page);
``--demo-units N --projects-per-unit M`` benchmarks a synthetic dataset made by
``perfkit demo-data`` instead of ``--data``. ``--skip-naive`` leaves the naive loop out.

Wall-clock time is the target; CPU time (user + system of every process, kernels included) is
printed too, because it does not depend on what else the machine is doing.
The figures are recorded in docs/rendering.md (not a timed test: machines differ).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class Timing(NamedTuple):
    wall: float
    cpu: float

    def __add__(self, other: object) -> Timing:
        assert isinstance(other, Timing)
        return Timing(self.wall + other.wall, self.cpu + other.cpu)

    def show(self, n: int) -> str:
        return f"{self.wall:7.1f} s wall, {self.cpu:7.1f} s CPU  ({self.wall / n:.2f} s/unit)"


def _pin(cores: int) -> str:
    """Pin this process (and so every child) to ``cores`` CPUs; describe what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return f"未能绑定 CPU（本平台不支持），共 {os.cpu_count()} 核"
    available = sorted(os.sched_getaffinity(0))
    chosen = set(available[:cores])
    os.sched_setaffinity(0, chosen)
    return f"绑定 CPU {sorted(chosen)}（本机 {len(available)} 核）"


def _load() -> str:
    """The machine's load average: other processes on a shared machine slow both sides."""
    if not hasattr(os, "getloadavg"):
        return ""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _units(data: Path) -> list[tuple[int, str]]:
    from perfkit.data.loading import load
    from perfkit.rendering.pipeline import _units_by_year

    plan = _units_by_year(load(data), None, None)
    return [(year, code) for year, entries in plan.items() for code, _ in entries]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: Path | None = None) -> Timing:
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-3000:]}")
    return Timing(time.perf_counter() - started, _children_cpu() - cpu)


def naive(data: Path, units: list[tuple[int, str]], out: Path) -> tuple[Timing, Timing, Timing]:
    """The per-unit CLI loop; returns (total, papermill, nbconvert)."""
    notebook = ROOT / "notebooks" / "unit_report.ipynb"
    out.mkdir(parents=True, exist_ok=True)
    pm = nb = Timing(0.0, 0.0)
    for year, code in units:
        executed = out / f"{code}.ipynb"
        pm += _run([
            str(BIN / "papermill"), str(notebook), str(executed), "--no-progress-bar",
            "--log-level", "ERROR", "-p", "data", str(data), "-p", "year", str(year),
            "-p", "unit_code", code,
        ], cwd=notebook.parent)  # fmt: skip
        nb += _run([
            str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
            "--log-level", "ERROR", str(executed),
        ])  # fmt: skip
    return pm + nb, pm, nb


def _projects(data: Path) -> int:
    from perfkit.data.loading import load
    from perfkit.rendering.pipeline import _plan

    return sum(len(v) for v in _plan(load(data), None, None, "project").projects.values())


def fast(
    data: Path, out: Path, jobs: int, reuse: bool = True, repeat: int = 1, level: str = "unit"
) -> Timing:
    """perfkit's render() in a fresh interpreter, as the CLI runs it; the best of ``repeat``."""
    code = (
        "import sys\nfrom perfkit.rendering.pipeline import render\n"
        f"r = render({str(data)!r}, out={str(out)!r}, jobs={jobs}, progress=False, "
        f"reuse_kernels={reuse}, level={level!r}, force=True)\n"
        "print(r.summary(), file=sys.stderr)\nsys.exit(r.exit_code)\n"
    )
    return min(_run([sys.executable, "-c", code]) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--projects", action="store_true")
    parser.add_argument("--demo-units", type=int, default=0)
    parser.add_argument("--projects-per-unit", type=int, default=0)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--naive-units",
        type=int,
        default=0,
        help="time the naive loop on the first N units only (it is slow) and compare per unit",
    )
    args = parser.parse_args()
    print(_pin(args.cores))
    work = Path(tempfile.mkdtemp(prefix="perfkit-bench-"))
    data = args.data.resolve()
    if args.demo_units:
        data = work / "demo"
        _run([sys.executable, "-c", "from perfkit.cli import main; main()", "demo-data",
              str(data), "--units", str(args.demo_units),
              "--projects-per-unit", str(args.projects_per_unit)])  # fmt: skip
    units = _units(data)
    n = len(units)
    print(f"数据：{data}，{n} 个单位，{_projects(data)} 个项目；{_load()}")
    try:
        # warm the OS page cache and matplotlib's font cache so that neither side pays for them
        fast(data, work / "warm", args.cores)
        t_fast = fast(data, work / "fast", args.cores, repeat=args.repeat)
        print(f"perfkit render (jobs={args.cores}, warm kernels, units only): {t_fast.show(n)}")
        if args.projects:
            m = n + _projects(data)
            t_all = fast(data, work / "all", args.cores, repeat=args.repeat, level="all")
            print(f"perfkit render --level all ({n} 个单位 + {m - n} 个项目 + 汇总页): "
                  f"{t_all.wall:7.1f} s wall, {t_all.cpu:7.1f} s CPU  "
                  f"({t_all.wall / m:.2f} s/report)")  # fmt: skip
        if args.skip_naive:
            print(_load())
            return
        k = min(args.naive_units or n, n)
        t_naive, t_pm, t_nb = naive(data, units[:k], work / "naive")
        print(f"naive loop (papermill CLI + nbconvert CLI), {k} 个单位: {t_naive.show(k)}")
        print(f"  of which papermill {t_pm.show(k)}; nbconvert {t_nb.show(k)}")
        print(f"perfkit render (jobs={args.cores}, warm kernels), {n} 个单位: {t_fast.show(n)}")
        print(
            f"speed-up per unit: {(t_naive.wall / k) / (t_fast.wall / n):.1f}x wall-clock, "
            f"{(t_naive.cpu / k) / (t_fast.cpu / n):.1f}x less CPU"
        )
        if args.variants:
            t_fresh = fast(data, work / "fresh", args.cores, reuse=False, repeat=args.repeat)
            t_one = fast(data, work / "one", 1, repeat=args.repeat)
            print(
                f"perfkit render, fresh kernel per notebook (jobs={args.cores}): "
                f"{t_fresh.show(n)}  ({t_naive.wall / t_fresh.wall:.1f}x)"
            )
            print(
                f"perfkit render, warm kernel, jobs=1: {t_one.show(n)}"
                f"  ({t_naive.wall / t_one.wall:.1f}x)"
            )
        print(_load())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
