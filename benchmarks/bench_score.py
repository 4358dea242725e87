"""Benchmark: `perfkit score` on a large synthetic dataset against pandas reading the same CSVs.

Issue 2's bar: `perfkit score` on `demo-data --units 10000` (30 indicators per unit, monthly
rows) takes at most 3x the time pandas alone needs to read the same CSV files, measured in the
same run, and stays under 2 GB of memory. Run: `make bench` or
`.venv/bin/python benchmarks/bench_score.py [--units N] [--repeat R]`.
Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

BIN = Path(sys.executable).parent


def read_with_pandas(folder: Path) -> float:
    """Seconds for pandas alone to read every CSV of the dataset (default options)."""
    start = time.perf_counter()
    for csv in sorted(folder.glob("*.csv")):
        pd.read_csv(csv)
    return time.perf_counter() - start


def run_score(folder: Path) -> tuple[float, int]:
    """Wall seconds of the whole `perfkit score` command, and the child's peak RSS in bytes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "perfkit"), "score", str(folder), "--format", "csv"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak_kib, before) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        start = time.perf_counter()
        subprocess.run(
            [str(BIN / "perfkit"), "demo-data", str(folder), "--units", str(args.units)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        gen = time.perf_counter() - start
        sizes = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
        rows = {
            p.name: sum(1 for _ in p.open(encoding="utf-8-sig")) - 1 for p in folder.glob("*.csv")
        }
        print(
            f"demo-data --units {args.units}: {gen:.2f} s; files: "
            + ", ".join(f"{n} {rows[n]:,} rows {sizes[n] / 1e6:.1f} MB" for n in sorted(sizes))
        )

        pandas_times, score_times, peaks = [], [], []
        for _ in range(args.repeat):
            pandas_times.append(read_with_pandas(folder))
            elapsed, peak = run_score(folder)
            score_times.append(elapsed)
            peaks.append(peak)
        best_pandas, best_score = min(pandas_times), min(score_times)
        print(f"pandas read_csv (best of {args.repeat}): {best_pandas:.2f} s")
        print(
            f"perfkit score   (best of {args.repeat}): {best_score:.2f} s "
            f"(whole command, interpreter start-up and imports included)"
        )
        print(f"ratio: {best_score / best_pandas:.2f}x (bar: at most 3x)")
        print(f"peak memory of perfkit score: {max(peaks) / 2**20:.0f} MiB (bar: under 2048 MiB)")
        print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"pandas {pd.__version__}"
        )


if __name__ == "__main__":
    main()
