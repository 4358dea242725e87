"""Benchmark: ``perfkit render`` against a naive loop of CLIs, in the same run, on 2 cores.

    python benchmarks/bench_render.py [--data data/sample] [--cores 2] [--variants]

The naive loop is what a user would script: for every unit, the ``papermill`` CLI, then
``jupyter nbconvert --to html --no-input``. perfkit's side is ``render()`` run in a fresh Python
process (so interpreter start-up and imports are counted as they are for the CLI), with as many
workers as cores; it also renders each year's index page, which the naive loop does not.
Both are pinned to the same ``--cores`` CPUs. ``--variants`` also times render() with a fresh
kernel per notebook (papermill's default) and with one worker, to show where the time goes.
The figures are recorded in docs/rendering.md (not a timed test: machines differ).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _pin(cores: int) -> str:
    """Pin this process (and so every child) to ``cores`` CPUs; describe what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return f"未能绑定 CPU（本平台不支持），共 {os.cpu_count()} 核"
    available = sorted(os.sched_getaffinity(0))
    chosen = set(available[:cores])
    os.sched_setaffinity(0, chosen)
    return f"绑定 CPU {sorted(chosen)}（本机 {len(available)} 核）"


def _units(data: Path) -> list[tuple[int, str]]:
    from perfkit.loading import load
    from perfkit.render import _units_by_year

    plan = _units_by_year(load(data), None, None)
    return [(year, code) for year, entries in plan.items() for code, _ in entries]


def _run(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=cwd, capture_output=True)
    return time.perf_counter() - started


def naive(data: Path, units: list[tuple[int, str]], out: Path) -> tuple[float, float, float]:
    """The per-unit CLI loop; returns (total, papermill seconds, nbconvert seconds)."""
    notebook = ROOT / "notebooks" / "unit_report.ipynb"
    out.mkdir(parents=True, exist_ok=True)
    pm_time = nb_time = 0.0
    started = time.perf_counter()
    for year, code in units:
        executed = out / f"{code}.ipynb"
        pm_time += _run([
            str(BIN / "papermill"), str(notebook), str(executed), "--no-progress-bar",
            "--log-level", "ERROR", "-p", "data", str(data), "-p", "year", str(year),
            "-p", "unit_code", code,
        ], cwd=notebook.parent)  # fmt: skip
        nb_time += _run([
            str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
            "--log-level", "ERROR", str(executed),
        ])  # fmt: skip
    return time.perf_counter() - started, pm_time, nb_time


def fast(data: Path, out: Path, jobs: int, reuse: bool = True) -> float:
    """perfkit's render() in a fresh interpreter, as the CLI runs it."""
    code = (
        "import sys\nfrom perfkit.render import render\n"
        f"r = render({str(data)!r}, out={str(out)!r}, jobs={jobs}, progress=False, "
        f"reuse_kernels={reuse})\n"
        "print(r.summary(), file=sys.stderr)\nsys.exit(r.exit_code)\n"
    )
    return _run([sys.executable, "-c", code])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()
    data = args.data.resolve()
    print(_pin(args.cores))
    units = _units(data)
    print(f"数据：{data}，{len(units)} 个单位")
    work = Path(tempfile.mkdtemp(prefix="perfkit-bench-"))
    try:
        # warm the OS page cache and matplotlib's font cache so that neither side pays for them
        fast(data, work / "warm", args.cores)
        t_fast = fast(data, work / "fast", args.cores)
        t_naive, t_pm, t_nb = naive(data, units, work / "naive")
        n = len(units)
        print(
            f"naive loop (papermill CLI + nbconvert CLI): {t_naive:7.1f} s"
            f"  ({t_naive / n:.2f} s/unit: papermill {t_pm / n:.2f}, nbconvert {t_nb / n:.2f})"
        )
        print(
            f"perfkit render (jobs={args.cores}, warm kernels): {t_fast:7.1f} s"
            f"  ({t_fast / n:.2f} s/unit, index pages included)"
        )
        print(f"speed-up: {t_naive / t_fast:.1f}x")
        if args.variants:
            t_fresh = fast(data, work / "fresh", args.cores, reuse=False)
            t_one = fast(data, work / "one", 1)
            print(
                f"perfkit render, fresh kernel per notebook (jobs={args.cores}): {t_fresh:7.1f} s"
                f"  ({t_naive / t_fresh:.1f}x)"
            )
            print(f"perfkit render, warm kernel, jobs=1: {t_one:7.1f} s  ({t_naive / t_one:.1f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
