"""Benchmarks for the record (issue 12 §8): how ``perfkit render`` scales.

    python benchmarks/bench_scale.py per-report  [--sizes 12,1000,10000] [--reports 100]
    python benchmarks/bench_scale.py full        [--units 1000] [--projects-per-unit 0]
    python benchmarks/bench_scale.py incremental [--units 60]
    python benchmarks/bench_scale.py dask        [--units 60] [--workers 2]

Every render runs in a fresh Python process (``render()`` as the CLI runs it, ``force=True``
where a fresh render is meant), on ``--cores`` CPUs (default 2), with ``jobs`` = cores. Measured:
wall time, CPU time of the whole process tree (client, workers, kernels, Chromium: the children's
rusage, which counts every descendant that was waited for) and, sampled every 0.2 s with psutil,
the peak resident memory of every process by role (client, worker, kernel, dask) and of the
whole tree at once.

- ``per-report``: for each dataset size (``perfkit demo-data --units N``, 30 indicators per unit),
  renders the first ``reports`` units' reports, and half as many, without the index; the
  marginal cost per report is the difference divided by the difference in reports, so the
  start-up (kernels, loading the dataset once per kernel) is not spread over the reports.
- ``full``: one dataset end to end (every unit's report, the index; projects with
  ``--projects-per-unit``), peak memory of every process.
- ``incremental``: a full render, a second with nothing changed, a third after one indicator of
  one unit changed.
- ``dask``: the same reports through the local process pool and through ``--dask local:N``.

The figures are recorded in docs/benchmarks.md (machines differ: no timed test).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    wall: float
    cpu: float
    #: role -> peak RSS (MiB) of the largest process of that role
    peaks: dict[str, float] = field(default_factory=dict)
    #: peak RSS (MiB) of the whole tree at one instant
    tree: float = 0.0
    processes: dict[str, int] = field(default_factory=dict)
    stdout: str = ""

    def show(self, reports: int | None = None) -> str:
        line = f"{self.wall:7.1f} s wall, {self.cpu:7.1f} s CPU"
        if reports:
            line += f"  ({self.cpu / reports:.3f} CPU-s/report, {self.wall / reports:.3f} s/report)"
        return line

    def memory(self) -> str:
        roles = ", ".join(
            f"{role} {mib:.0f} MiB (×{self.processes.get(role, 0)})"
            for role, mib in sorted(self.peaks.items())
        )
        return f"peak RSS per process: {roles}; whole tree at once {self.tree:.0f} MiB"


def _role(proc, client: int) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except Exception:
        return "other"
    if proc.pid == client:
        return "client"
    if "ipykernel" in cmd:
        return "kernel"
    if "chrom" in cmd:
        return "chromium"
    if "distributed" in cmd or "dask" in cmd:
        return "dask"
    if "multiprocessing" in cmd or "spawn_main" in cmd:
        return "worker"
    return "other"


def _watch(pid: int, run: Run, stop: threading.Event) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    seen: dict[int, str] = {}
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        total = 0.0
        for proc in procs:
            try:
                rss = proc.memory_info().rss / 2**20
            except psutil.Error:
                continue
            role = seen.get(proc.pid) or _role(proc, pid)
            if proc.pid not in seen:
                seen[proc.pid] = role
                run.processes[role] = run.processes.get(role, 0) + 1
            run.peaks[role] = max(run.peaks.get(role, 0.0), rss)
            total += rss
        run.tree = max(run.tree, total)
        stop.wait(0.2)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_python(code: str, *args: str) -> Run:
    """Run ``code`` in a fresh interpreter; time it and watch its process tree's memory."""
    cpu, started = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    result = Run(0.0, 0.0)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(proc.pid, result, stop), daemon=True)
    watcher.start()
    out, err = proc.communicate()
    stop.set()
    watcher.join()
    result.wall = time.perf_counter() - started
    result.cpu = _children_cpu() - cpu
    result.stdout = out
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}):\n{err[-3000:]}")
    return result


RENDER = """
import sys
from perfkit.rendering.pipeline import render
data, out = sys.argv[1], sys.argv[2]
units = sys.argv[3].split(",") if sys.argv[3] else None
r = render(data, out=out, units=units, jobs={jobs}, progress=False, level={level!r},
           index={index}, force={force}, dask={dask!r})
print(r.summary())
"""


def render(data: Path, out: Path, units: list[str] | None = None, *, jobs: int = 2,
           level: str = "unit", index: bool = True, force: bool = True,
           dask: str | None = None) -> Run:  # fmt: skip
    code = RENDER.format(jobs=jobs, level=level, index=index, force=force, dask=dask)
    return run_python(code, str(data), str(out), ",".join(units or []))


def demo(folder: Path, units: int, projects: int = 0) -> Path:
    if not (folder / "units.csv").exists():
        command = [
            sys.executable,
            "-c",
            "from perfkit.cli import main; main()",
            "demo-data",
            str(folder),
            "--units",
            str(units),
            "--projects-per-unit",
            str(projects),
        ]
        subprocess.run(command, check=True, capture_output=True)  # fmt: skip
    return folder


def unit_codes(data: Path) -> list[str]:
    with open(data / "units.csv", encoding="utf-8-sig", newline="") as fh:
        return [row["单位编码"] for row in csv.DictReader(fh)]


def _pin(cores: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return f"{os.cpu_count()} cores (not pinned)"
    chosen = set(sorted(os.sched_getaffinity(0))[:cores])
    os.sched_setaffinity(0, chosen)
    return f"pinned to CPUs {sorted(chosen)}"


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def per_report(work: Path, sizes: list[int], reports: int, jobs: int) -> None:
    for size in sizes:
        data = demo(work / f"demo{size}", size)
        codes = unit_codes(data)
        many = codes[: min(reports, len(codes))]
        few = many[: len(many) // 2]
        render(data, work / "warm", few[:2], jobs=jobs, index=False)  # page cache, font cache
        r_few = render(data, work / f"few{size}", few, jobs=jobs, index=False)
        r_many = render(data, work / f"many{size}", many, jobs=jobs, index=False)
        marginal = (r_many.cpu - r_few.cpu) / (len(many) - len(few))
        marginal_wall = (r_many.wall - r_few.wall) / (len(many) - len(few))
        print(f"{size:>6} units: {len(few):>3} reports {r_few.show(len(few))}")
        print(f"{'':>6}        {len(many):>3} reports {r_many.show(len(many))}")
        print(f"{'':>6}        marginal {marginal:.3f} CPU-s/report, {marginal_wall:.3f} s/report"
              f" wall; {r_many.memory()}; {_load()}")  # fmt: skip


def full(work: Path, units: int, projects: int, jobs: int) -> None:
    data = demo(work / f"full{units}-{projects}", units, projects)
    r = render(data, work / "full-out", jobs=jobs, level="all")
    n = units * (1 + projects)
    print(f"full render, {units} units × (1 + {projects} projects) = {n} reports + pages: "
          f"{r.show(n)}")  # fmt: skip
    print(r.memory())
    print(r.stdout.strip().splitlines()[-3:])
    print(_load())


def incremental(work: Path, units: int, jobs: int) -> None:
    data = demo(work / f"inc{units}", units)
    out = work / "inc-out"
    shutil.rmtree(out, ignore_errors=True)
    first = render(data, out, jobs=jobs, force=False)
    second = render(data, out, jobs=jobs, force=False)
    path = data / "indicators.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rows[1][header.index("实际完成值")] += "（复核）"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    third = render(data, out, jobs=jobs, force=False)
    for name, r in (("first", first), ("nothing changed", second), ("one unit changed", third)):
        summary = next(s for s in r.stdout.splitlines() if s.startswith("本次生成"))
        print(f"{name:>17}: {r.show()}  {summary}")
    print(f"second run / first run: {second.wall / first.wall:.1%} of the wall time")
    print(_load())


def dask(work: Path, units: int, workers: int) -> None:
    data = demo(work / f"dask{units}", units)
    codes = unit_codes(data)
    local = render(data, work / "pool", codes, jobs=workers)
    cluster = render(data, work / "dask", codes, jobs=workers, dask=f"local:{workers}")
    print(f"local pool ({workers} workers):     {local.show(units)}")
    print(f"  {local.memory()}")
    print(f"dask LocalCluster ({workers} workers): {cluster.show(units)}")
    print(f"  {cluster.memory()}")
    print(_load())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["per-report", "full", "incremental", "dask"])
    parser.add_argument("--sizes", default="12,1000,10000")
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--units", type=int, default=0)
    parser.add_argument("--projects-per-unit", type=int, default=0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="keep datasets here (reused)")
    args = parser.parse_args()
    print(_pin(args.cores), "|", _load())
    work = args.work or Path(tempfile.mkdtemp(prefix="perfkit-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.what == "per-report":
            per_report(work, [int(s) for s in args.sizes.split(",")], args.reports, args.cores)
        elif args.what == "full":
            full(work, args.units or 1000, args.projects_per_unit, args.cores)
        elif args.what == "incremental":
            incremental(work, args.units or 60, args.cores)
        else:
            dask(work, args.units or 60, args.workers)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
