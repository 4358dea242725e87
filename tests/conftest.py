"""Shared fixtures and Hypothesis profiles.

Fixtures: ``sample_path`` (data/sample), ``sample_dataset`` (data/sample loaded once per session
and worker; do not modify it) and ``mof2020`` (the default rulebook).

Hypothesis profiles: ``dev`` (the default: half of each test's examples, for a quick local run)
and ``ci`` (two and a half times as many, derandomised so that a failure in CI reproduces), chosen
with ``HYPOTHESIS_PROFILE=dev|ci``, else ``ci`` when ``CI`` is set to true (as CI services do).
A property test that sets its own ``max_examples`` scales it with :func:`hypo.examples`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, settings

from perfkit.data.dataset import Dataset
from perfkit.data.loading import load
from perfkit.rules.rulebook import Rulebook, load_rulebook

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

settings.register_profile("dev", max_examples=50)
settings.register_profile(
    "ci",
    max_examples=250,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _profile() -> str:
    if chosen := os.environ.get("HYPOTHESIS_PROFILE"):
        return chosen
    return "ci" if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev"


settings.load_profile(_profile())


def pytest_report_header(config: pytest.Config) -> list[str]:
    import perfkit

    return [
        f"perfkit: {Path(perfkit.__file__).parent}",
        f"hypothesis profile: {_profile()} (max_examples={settings.default.max_examples})",
    ]


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


def write_units_only(out: Path) -> Path:
    """data/sample as it was before projects (issue 11): the 部门整体 tables only — rows with a
    项目编码 and that column dropped, projects.csv, the project narratives and the units that
    have only projects (SZ013) left out; files otherwise byte for byte as in data/sample.

    The Excel forms' tests of the units' 部门整体 forms run on it (tests/test_forms.py), so that
    they check the forms exactly as they were before projects; tests/test_forms_projects.py uses
    the full sample."""
    import csv
    import io
    import shutil

    def rows(name: str) -> list[list[str]]:
        with open(SAMPLE / name, encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    def write(name: str, table: list[list[str]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(table)
        (out / name).write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))

    # the review round (issue 17) came after projects too: its files are left out
    shutil.copytree(
        SAMPLE, out, ignore=shutil.ignore_patterns("projects.csv", "reviews.csv", "review-sample-*")
    )
    for name in ("budget.csv", "indicators.csv", "goals.csv"):
        table = rows(name)
        at = table[0].index("项目编码")
        kept = [r for r in table[1:] if not r[at]]
        write(name, [[c for i, c in enumerate(r) if i != at] for r in [table[0], *kept]])
    write("units.csv", [r for r in rows("units.csv") if r[0] != "SZ013"])
    for folder in (out / "narratives").glob("*/*"):
        if folder.is_dir():
            shutil.rmtree(folder)
    return out


@pytest.fixture(scope="session")
def units_sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/sample without its projects (:func:`write_units_only`)."""
    return write_units_only(tmp_path_factory.mktemp("units-sample") / "sample")


@pytest.fixture(scope="session")
def sample_dataset() -> Dataset:
    """data/sample, loaded once (raises InvalidInput listing every problem, if there is any)."""
    return load(SAMPLE)


@pytest.fixture(scope="session")
def mof2020() -> Rulebook:
    return load_rulebook("mof2020")


def _chinese_font_files() -> list[str]:
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True
    ).stdout
    return sorted({line.rstrip().removesuffix(":") for line in listed.splitlines() if line.strip()})


@pytest.fixture(scope="session")
def fresh_machine_fonts(tmp_path_factory) -> dict[str, str]:
    """The environment of a machine with every system font except those that draw Chinese.

    A fresh Debian with ``apt-get install chromium`` has DejaVu and Liberation only; this machine
    may have more (fonts-noto-cjk), so a fontconfig file includes the system's configuration and
    rejects each file that ``fc-list :lang=zh`` lists.
    """
    folder = tmp_path_factory.mktemp("fontconfig")
    rejected = "".join(f"<glob>{escape(path)}</glob>" for path in _chinese_font_files())
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <cachedir>{escape(str(folder / 'cache'))}</cachedir>\n"
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <selectfont><rejectfont>{rejected}</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    left = subprocess.run(["fc-list", ":lang=zh"], env=env, capture_output=True, text=True)
    assert left.stdout.strip() == "", f"Chinese fonts still visible: {left.stdout[:300]}"
    return env


@pytest.fixture(scope="session")
def playwright_session():
    """One Playwright for the whole session: its sync API runs an event loop, and a second one
    in the same process (the report pages' browser test, then JupyterLab's) is refused."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        yield playwright
