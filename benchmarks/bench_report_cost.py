"""Benchmark: what one report costs once a render worker is warm, and where it goes (issue 12).

    python benchmarks/bench_report_cost.py [--units 12] [--projects-per-unit 0] [--reports 12]
                                           [--profile] [--top 40] [--e2e] [--repeat 3]

Two measurements on ``perfkit demo-data`` data (30 indicators per unit):

**The harness** (default) does in this process what a render worker does for each job, with the
same pieces — one :class:`perfkit.rendering.warmkernel.WarmKernel`, reset before each notebook,
``papermill.execute_notebook`` through the ``perfkit-warm`` engine (writing the audit notebook),
:func:`perfkit.rendering.htmlexport.export_html` (nbconvert, then the font subset of
:func:`perfkit.report.webfont.embed`) and
:func:`~perfkit.rendering.htmlexport.assert_self_contained`
— over every report of the dataset (units and projects), after two warm-up reports. It prints,
per report (CPU seconds, best of ``--repeat`` passes):

- the kernel's CPU (all its threads), split by cell (IPython ``pre/post_run_cell`` hooks);
- the worker's CPU, split into papermill (every cell a kernel round trip: nbclient's messages,
  papermill's bookkeeping, the audit notebook written), nbconvert's export, the font subset,
  and the self-containment check;
- the pages' sizes (mean and max KB of unit and project pages).

``--profile`` also runs ``cProfile`` inside the kernel around every cell of the measured reports
and prints the top functions by cumulative and by own time.

**End to end** (``--e2e``) runs ``perfkit.rendering.pipeline.render(jobs=2)`` in a fresh
interpreter on two dataset sizes (``--units`` and 4) and divides the difference in CPU (every
process of the tree, polled: parent, workers, kernels) by the difference in reports: the marginal
cost of a report with warm workers, fixed costs (imports, kernel start, the font's first load)
cancelled out (the index and projects pages grow a little with the units too).

CPU time is used throughout (user + system), because the machine is shared: it does not depend
on what else runs. The figures are recorded in docs/benchmarks.md ("Per-report cost").
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# the kernels import the perfkit of this checkout, as the worker does
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
os.environ["PERFKIT_BATCH"] = "1"  # as a render worker sets it: the page embeds the font
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # as a worker does
sys.path.insert(0, str(ROOT))

#: installed in the kernel after its warm-up: per-cell CPU (and cProfile when asked)
_HOOKS = """
import sys as _pk_sys, time as _pk_time, types as _pk_types
_pk_b = _pk_sys.modules.get("_perfkit_bench")
if _pk_b is None:
    _pk_b = _pk_types.ModuleType("_perfkit_bench")
    _pk_b.cells, _pk_b.started, _pk_b.profile = [], None, None
    def _pk_pre(info, _b=_pk_b, _t=_pk_time.process_time):
        _b.started = _t()
        if _b.profile is not None:
            _b.profile.enable()
    def _pk_post(result, _b=_pk_b, _t=_pk_time.process_time):
        if _b.profile is not None:
            _b.profile.disable()
        if _b.started is not None:
            _b.cells.append((result.info.raw_cell, _t() - _b.started))
        _b.started = None
    get_ipython().events.register("pre_run_cell", _pk_pre)
    get_ipython().events.register("post_run_cell", _pk_post)
    _pk_sys.modules["_perfkit_bench"] = _pk_b
"""


def _cpu(pid: int | None = None) -> float:
    """User + system CPU seconds of this process (all threads) or of ``pid``."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def make_demo(out: Path, units: int, projects_per_unit: int) -> Path:
    """``perfkit demo-data OUT --units N --projects-per-unit M``."""
    subprocess.run(
        [sys.executable, "-c", "from perfkit.cli import main; main()", "demo-data", str(out),
         "--units", str(units), "--projects-per-unit", str(projects_per_unit)],
        check=True, capture_output=True, env={**os.environ},
    )  # fmt: skip
    return out


class Kernel:
    """A warm kernel as a render worker keeps one, with the benchmark's hooks installed."""

    def __init__(self, notebooks: list[Any]) -> None:
        from perfkit.rendering.warmkernel import WarmKernel, imports, register_engine

        register_engine()
        modules = list(dict.fromkeys(m for nb in notebooks for m in imports(nb)))
        self.warm = WarmKernel(modules)
        self.warm._run(_HOOKS)
        self.pid = self._pid()

    def _pid(self) -> int:
        provisioner = self.warm.km.provisioner
        return int(provisioner.process.pid)  # type: ignore[union-attr]

    def run(self, code: str) -> None:
        self.warm._run(code)

    def cells(self) -> list[tuple[str, float]]:
        """The per-cell CPU recorded since the last call (then cleared)."""
        reply = self.warm._run_sync(self.warm.kc.execute_interactive)(
            "",
            silent=False,
            store_history=False,
            user_expressions={"c": "__import__('sys').modules['_perfkit_bench'].cells"},
            timeout=60,
            output_hook=lambda msg: None,
        )
        value = reply["content"]["user_expressions"]["c"]["data"]["text/plain"]
        self.run("__import__('sys').modules['_perfkit_bench'].cells.clear()")
        import ast

        return ast.literal_eval(value)


def _cell_label(source: str) -> str:
    """A short name for a notebook cell (its first meaningful line)."""
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line[:70]
    return "(empty)"


@contextlib.contextmanager
def _timed(bucket: dict[str, float], key: str) -> Iterator[None]:
    start = _cpu()
    try:
        yield
    finally:
        bucket[key] += _cpu() - start


def harness(
    data: Path, reports: int, repeat: int, profile: bool, top: int, keep: Path | None
) -> None:
    """Run the reports of ``data`` as a warm worker does; print the per-report breakdown."""
    import nbformat
    import papermill

    from perfkit.data.loading import load
    from perfkit.rendering import htmlexport
    from perfkit.report import webfont

    notebooks_dir = ROOT / "perfkit" / "report" / "notebooks"
    unit_nb = nbformat.read(notebooks_dir / "unit_report.ipynb", as_version=4)
    project_nb = nbformat.read(notebooks_dir / "project_report.ipynb", as_version=4)
    ds = load(data)
    year = int(ds.years[0])
    jobs: list[tuple[str, Any, dict[str, Any], str]] = []
    keys = ["year", "unit_code", "project_code"]
    import pandas as pd

    pairs = pd.concat([t[keys] for t in (ds.budget, ds.indicators)]).drop_duplicates()
    pairs["project_code"] = pairs["project_code"].fillna("").astype(str)
    for code, project in sorted(
        zip(pairs["unit_code"].astype(str), pairs["project_code"], strict=True)
    ):
        common = {"data": str(data), "year": year, "unit_code": code, "rules": None}
        if project:
            jobs.append(("project", project_nb, {**common, "project_code": project},
                         f"{code}/{project}"))  # fmt: skip
        else:
            jobs.append(("unit", unit_nb, {**common, "status": ""}, code))
    # projects first, as render does (a unit's report after its projects')
    jobs.sort(key=lambda j: j[0] != "project")
    kernel = Kernel([unit_nb, project_nb])
    work = Path(tempfile.mkdtemp(prefix="perfkit-cost-"))
    cwd = str(notebooks_dir)

    def one(job: tuple[str, Any, dict[str, Any], str], worker: dict[str, float]) -> str:
        _, template, parameters, stem = job
        with _timed(worker, "kernel reset (worker side)"):
            k = _cpu(kernel.pid)
            kernel.warm.reset(cwd)
            worker["kernel: reset between notebooks"] += _cpu(kernel.pid) - k
        with _timed(worker, "papermill (execute, kernel round trips, audit notebook)"):
            nb_in = copy.deepcopy(template)
            nb_in.metadata["title"] = stem
            executed = papermill.execute_notebook(
                nb_in, str(work / "audit.ipynb"), parameters=parameters, kernel_name="python3",
                progress_bar=False, request_save_on_cell_execute=False,
                **kernel.warm.execute_options(),
            )  # fmt: skip
        with _timed(worker, "nbconvert export"):
            resources = {"metadata": {"name": stem}, "perfkit_version": "bench"}
            exporter = htmlexport.exporter(())
            html, _ = exporter.from_notebook_node(executed, resources=resources)
        with _timed(worker, "font subset (webfont.embed)"):
            html = webfont.embed(html)
        with _timed(worker, "assert_self_contained"):
            offences = htmlexport.assert_self_contained(html)
        assert not offences, offences
        return html

    try:
        worker: dict[str, float] = defaultdict(float)
        with _timed(worker, "exporter built (once per worker)"):
            htmlexport.exporter(())
        kinds = sorted({j[0] for j in jobs})
        for kind in kinds:  # warm-up: first load, font, caches
            one(next(j for j in jobs if j[0] == kind), defaultdict(float))
        kernel.cells()
        measured = jobs[-reports:] if reports < len(jobs) else jobs
        best: dict[str, Any] | None = None
        for _ in range(repeat):
            if profile:
                kernel.run(
                    "import cProfile as _pk_cp, sys as _pk_s; "
                    "_pk_s.modules['_perfkit_bench'].profile = _pk_cp.Profile()"
                )
            worker = defaultdict(float)
            sizes: dict[str, list[int]] = defaultdict(list)
            k0, w0 = _cpu(kernel.pid), _cpu()
            worker_profile = cProfile.Profile() if profile else None
            for job in measured:
                if worker_profile is not None:
                    worker_profile.enable()
                html = one(job, worker)
                if worker_profile is not None:
                    worker_profile.disable()
                sizes[job[0]].append(len(html.encode("utf-8")))
                if keep is not None:
                    target = keep / f"{job[3]}.html"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(html, encoding="utf-8")
            run = {
                "kernel": _cpu(kernel.pid) - k0,
                "worker": _cpu() - w0,
                "parts": dict(worker),
                "cells": kernel.cells(),
                "sizes": sizes,
                "worker_profile": worker_profile,
            }
            if best is None or run["kernel"] + run["worker"] < best["kernel"] + best["worker"]:
                best = run
        assert best is not None
        n = len(measured)
        per_kind = {k: sum(1 for j in measured if j[0] == k) for k in kinds}
        print(f"报告 {n} 份（{', '.join(f'{k} {v}' for k, v in per_kind.items())}），"
              f"best of {repeat}; {_load()}")  # fmt: skip
        total = best["kernel"] + best["worker"]
        print(f"per report: {total / n:.3f} CPU-s  (kernel {best['kernel'] / n:.3f}, "
              f"worker {best['worker'] / n:.3f})")  # fmt: skip
        print("worker, per report:")
        for key, value in best["parts"].items():
            if not key.startswith("kernel:"):
                print(f"  {value / n:7.3f}  {key}")
        cells: dict[str, list[float]] = defaultdict(list)
        for source, seconds in best["cells"]:
            cells[_cell_label(source)].append(seconds)
        print("kernel cells, CPU per execution (mean; count):")
        inside = sum(sum(v) for v in cells.values())
        for label, values in sorted(cells.items(), key=lambda kv: -sum(kv[1])):
            print(f"  {statistics.mean(values):7.3f}  ({len(values):3d}×)  {label}")
        reset = best["parts"].get("kernel: reset between notebooks", 0.0)
        print(f"  {reset / n:7.3f}  kernel: the reset before each notebook")
        print(f"  {(best['kernel'] - inside - reset) / n:7.3f}  kernel outside cells and reset "
              "(messages, IOPub thread, display publishing)")  # fmt: skip
        for kind, values in best["sizes"].items():
            print(f"page size, {kind}: mean {statistics.mean(values) / 1024:.1f} KB, "
                  f"max {max(values) / 1024:.1f} KB ({len(values)} pages)")  # fmt: skip
        if profile:
            path = work / "kernel.prof"
            kernel.run(
                "import sys as _pk_s; _pk_b = _pk_s.modules['_perfkit_bench']; "
                f"_pk_b.profile.dump_stats({str(path)!r}); _pk_b.profile = None"
            )
            out = io.StringIO()
            stats = pstats.Stats(str(path), stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
            print("=== kernel profile ===")
            print(out.getvalue())
            out = io.StringIO()
            stats = pstats.Stats(best["worker_profile"], stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
            print("=== worker profile ===")
            print(out.getvalue())
    finally:
        kernel.warm.shutdown()
        shutil.rmtree(work, ignore_errors=True)


def _render_cpu(data: Path, out: Path, level: str) -> tuple[float, float, int]:
    """(wall, CPU of every process, reports written) of ``render(jobs=2)`` in a fresh process.

    The CPU is summed over the whole process tree, polled every 0.1 s (a kernel is not the
    render's child but its worker's, and is not always waited for, so ``RUSAGE_CHILDREN`` would
    miss it); what a process spends after the last poll before it ends is not counted."""
    import psutil

    code = (
        "import sys\nfrom perfkit.rendering.pipeline import render\n"
        f"r = render({str(data)!r}, out={str(out)!r}, jobs=2, progress=False, level={level!r})\n"
        "sys.exit(r.exit_code)\n"
    )
    started = time.perf_counter()
    root = psutil.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)  # fmt: skip
    seen: dict[tuple[int, float], float] = {}
    while root.poll() is None:
        with contextlib.suppress(psutil.Error):
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    seen[(proc.pid, proc.create_time())] = t.user + t.system
        time.sleep(0.1)
    assert root.returncode == 0, f"render failed ({root.returncode})"
    pages = [p for p in out.rglob("*.html") if p.name not in ("index.html", "projects.html")]
    return time.perf_counter() - started, sum(seen.values()), len(pages)


def e2e(units: int, projects_per_unit: int, repeat: int, work: Path) -> None:
    """Marginal CPU per report of ``render(jobs=2)``: two sizes, the difference divided."""
    small = min(4, units - 1)
    runs = {}
    for n in (small, units):
        data = make_demo(work / f"demo{n}", n, projects_per_unit)
        best = None
        for i in range(repeat):
            out = work / f"out{n}-{i}"
            wall, cpu, pages = _render_cpu(data, out, "all")
            shutil.rmtree(out, ignore_errors=True)
            if best is None or cpu < best[1]:
                best = (wall, cpu, pages)
        assert best is not None
        runs[n] = best
        print(
            f"render jobs=2, demo-data --units {n} --projects-per-unit {projects_per_unit}: "
            f"{best[2]} reports, {best[0]:.1f} s wall, {best[1]:.1f} s CPU (best of {repeat})"
        )
    (_, c0, p0), (_, c1, p1) = runs[small], runs[units]
    print(f"marginal CPU per report (warm workers, parent + workers + kernels): "
          f"{(c1 - c0) / (p1 - p0):.3f} s  [{_load()}]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--projects-per-unit", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--reports", type=int, default=0, help="0: every report of the data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--e2e", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="write the pages here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="perfkit-cost-data-"))
    try:
        if args.e2e:
            e2e(args.units, args.projects_per_unit, args.repeat, work)
            return
        data = args.data or make_demo(work / "demo", args.units, args.projects_per_unit)
        harness(data.resolve(), args.reports or 10**9, args.repeat, args.profile, args.top,
                args.keep)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
