"""Benchmark: the year's index, projects page and department pages at 10,000 units (issue 12).

    PYTHONPATH=. python benchmarks/bench_indexes.py [--data /tmp/d10k] [--units 10000]
        [--projects-per-unit 5] [--out /tmp/bench-indexes] [--departments 2]

Makes ``perfkit demo-data`` (unless ``--data`` exists already), then executes
``overview.ipynb`` (index.html), ``project_overview.ipynb`` (projects.html) and
``department_overview.ipynb`` for the largest 主管部门, a typical one (the median size) and
``--departments`` more (spread over the sizes) with papermill, one after the other in one warm
kernel as a ``perfkit render`` worker runs them (:mod:`perfkit.rendering.warmkernel`,
``PERFKIT_BATCH`` set: the first notebook pays the dataset's load, the next ones find it
cached), with a status file that says every report was written (so every link is there, as after
a full render), and exports each with :func:`perfkit.rendering.htmlexport.export_html`. Prints
per page: the time papermill took, the export's time, the page's size, its embedded font and
its charts. Also times the charts and the font subset on their own, in this process. Recorded
in docs/benchmarks.md; not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfkit.data.dataset import Dataset
    from perfkit.rendering.warmkernel import WarmKernel

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "perfkit" / "report" / "notebooks"
_FONT = re.compile(r"data:font/otf;base64,([A-Za-z0-9+/=]+)")
_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def _status(ds: Dataset, year: int, path: Path) -> None:
    """A status file as a full render writes it: every unit's and project's report written."""
    from perfkit.scoring.scores import score_dataset

    scores = score_dataset(ds, years=year)
    entries = [
        {"unit_code": r.unit_code, "unit_name": r.unit_name, "href": "", "status": "ok",
         "error": ""}
        for r in scores.units.itertuples()
    ] + [
        {"unit_code": r.unit_code, "unit_name": r.unit_name, "href": "", "status": "ok",
         "error": "", "project_code": r.project_code, "project_name": r.project_name}
        for r in scores.projects.itertuples()
    ]  # fmt: skip
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")


def _page(
    kernel: WarmKernel, name: str, notebook: str, out: Path, title: str, **parameters: object
) -> dict:
    import nbformat
    import papermill

    from perfkit.rendering import htmlexport

    nb_out = out / "notebooks" / f"{name}.ipynb"
    nb_out.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    nb.metadata["title"] = title
    started = time.perf_counter()
    kernel.reset(str(NOTEBOOKS))
    executed = papermill.execute_notebook(
        nb, str(nb_out), parameters=parameters, kernel_name="python3", progress_bar=False,
        **kernel.execute_options(),
    )  # fmt: skip
    executed_at = time.perf_counter()
    html = htmlexport.export_html(executed, name=name)
    exported_at = time.perf_counter()
    assert not htmlexport.assert_self_contained(html)
    page = out / f"{name}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html, encoding="utf-8")
    font = _FONT.search(html)
    pngs = _PNG.findall(html)
    cells = [c for c in executed.cells if c.cell_type == "code"]
    slowest = sorted(
        ((c.metadata.get("papermill", {}).get("duration") or 0.0, c.id) for c in cells),
        reverse=True,
    )[:3]
    return {
        "page": f"{name}.html",
        "papermill_s": round(executed_at - started, 2),
        "export_s": round(exported_at - executed_at, 2),
        "size_kb": round(len(html.encode("utf-8")) / 1024),
        "font_kb": round(len(font.group(1)) / 1024) if font else 0,
        "glyphs": len({c for c in html if ord(c) > 0x2E80}),
        "charts_kb": round(sum(len(p) for p in pngs) / 1024),
        "rows": html.count("<tr>"),
        "slowest_cells_s": [(cid, round(d, 2)) for d, cid in slowest],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/d10k"))
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--projects-per-unit", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-indexes"))
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--departments", type=int, default=10)
    args = parser.parse_args()

    if not (args.data / "units.csv").exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "from perfkit.cli import main; main()", "demo-data",
             str(args.data), "--units", str(args.units), "--projects-per-unit",
             str(args.projects_per_unit)],
            check=True,
        )  # fmt: skip
        print(f"demo-data: {time.perf_counter() - started:.1f} s")

    from perfkit import api
    from perfkit.report import charts, departments, webfont
    from perfkit.report.blocks import KIND_SHORT

    data = str(args.data.resolve())
    started = time.perf_counter()
    ds = api.load(data)
    print(f"load: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    pages = departments.plan(ds, args.year)
    print(f"plan: {time.perf_counter() - started:.2f} s, {len(pages)} department pages")
    sizes = sorted(pages, key=lambda d: len(d.unit_codes))
    print(
        "units per department: min", len(sizes[0].unit_codes), "median",
        len(sizes[len(sizes) // 2].unit_codes), "max", len(sizes[-1].unit_codes),
    )  # fmt: skip

    started = time.perf_counter()
    ov = api.overview(ds, args.year)
    print(f"overview (the whole year): {time.perf_counter() - started:.1f} s")
    for dep in (sizes[-1], sizes[len(sizes) // 2]):
        started = time.perf_counter()
        api.overview(ds, args.year, department=dep.name)
        print(f"overview of {len(dep.unit_codes)} units: {time.perf_counter() - started:.2f} s")
    g = ["优", "良", "中", "差"]
    for what, make in (
        ("scatter, every unit", lambda: charts.execution_vs_score(ov.units, g)),
        ("scatter, every project", lambda: charts.execution_vs_score(ov.projects, g, names=0)),
        ("grade distribution", lambda: charts.grade_distribution(ov.units, g)),
        ("findings by kind and unit", lambda: charts.findings_by_kind_unit(
            ov.findings, dict(zip(ov.units["unit_code"], ov.units["unit_name"], strict=True)),
            KIND_SHORT)),
    ):  # fmt: skip
        import io

        started = time.perf_counter()
        fig = make()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        print(
            f"chart {what}: {time.perf_counter() - started:.2f} s, {len(buf.getvalue()) // 1024} KB"
        )
    for n in (500, 2000, 6763):
        chars = {chr(c) for c in range(0x4E00, 0x4E00 + 20_000)}
        chars = set(sorted(chars)[:n])
        started = time.perf_counter()
        b64 = webfont.subset_base64(chars)
        print(f"font subset of {n} hanzi: {len(b64) // 1024} KB base64, "
              f"{time.perf_counter() - started:.2f} s")  # fmt: skip

    out = args.out / str(args.year)
    out.mkdir(parents=True, exist_ok=True)
    status = out / "notebooks" / "status.json"
    status.parent.mkdir(parents=True, exist_ok=True)
    _status(ds, args.year, status)
    common = {"data": data, "year": args.year, "rules": "mof2020", "status": str(status)}

    import nbformat

    from perfkit.rendering.warmkernel import WarmKernel, imports, register_engine

    os.environ["PERFKIT_BATCH"] = "1"  # as in a render's kernels: the page embeds its font
    register_engine()
    started = time.perf_counter()
    kernel = WarmKernel(imports(nbformat.read(NOTEBOOKS / "overview.ipynb", as_version=4)))
    print(f"warm kernel: {time.perf_counter() - started:.1f} s")
    try:
        results = [
            _page(kernel, "index", "overview.ipynb", out,
                  f"{args.year}年度 部门（单位）整体支出绩效自评 汇总", **common),
            _page(kernel, "projects", "project_overview.ipynb", out,
                  f"{args.year}年度 项目支出绩效自评 汇总", **common),
        ]  # fmt: skip
        step = max(1, len(sizes) // max(1, args.departments))
        chosen = [sizes[-1], sizes[len(sizes) // 2], *sizes[::step][: args.departments]]
        for dep in dict.fromkeys(chosen):
            results.append(
                _page(kernel, f"departments/{dep.id}", "department_overview.ipynb", out,
                      dep.title(args.year), department=dep.name, **common)
            )  # fmt: skip
            results[-1]["department"] = f"{dep.name} ({len(dep.unit_codes)} units)"
    finally:
        kernel.shutdown()
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    pages = [r for r in results if "department" in r]
    total = sum(r["papermill_s"] + r["export_s"] for r in pages)
    print(f"department pages: {len(pages)} in {total:.1f} s, {total / len(pages):.2f} s each; "
          f"largest {max(r['size_kb'] for r in pages)} KB")  # fmt: skip


if __name__ == "__main__":
    main()
