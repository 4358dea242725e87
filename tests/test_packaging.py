"""perfkit as installed: notebooks and templates are package data, a user's templates and notebook
are used when given, and a wheel installed into a fresh virtual environment outside the
repository renders the sample from another folder.

``notebooks/`` at the repository root holds copies of the packaged notebooks (what a user opens
in JupyterLab from a checkout); :func:`test_root_notebooks_are_the_packaged_ones` keeps them
byte for byte equal, and both are committed without outputs.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from perfkit import report
from perfkit.rendering import pipeline
from perfkit.report import templating

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
PACKAGED = ROOT / "perfkit" / "report" / "notebooks"
NOTEBOOK_NAMES = (
    "unit_report.ipynb",
    "overview.ipynb",
    "project_report.ipynb",
    "project_overview.ipynb",
    "department_overview.ipynb",
)
#: the sentence a user rewords in the example of docs/rendering.md
DEFAULT_SENTENCE = "并作为改进预算管理、安排以后年度预算的重要参考。"
REWORDED = "并作为本单位改进预算管理、编制下一年度预算的重要依据。"
needs_sample = pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_root_notebooks_are_the_packaged_ones(name):
    assert (ROOT / "notebooks" / name).read_bytes() == (PACKAGED / name).read_bytes(), (
        f"notebooks/{name} differs from perfkit/report/notebooks/{name}: copy the packaged one"
    )


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebooks_are_committed_without_outputs(name):
    nb = json.loads((PACKAGED / name).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_pipeline_finds_the_packaged_notebooks():
    assert pipeline.NOTEBOOKS.resolve() == PACKAGED.resolve()
    unit, overview = pipeline._notebook_paths(None)
    project, projects, department = pipeline._project_notebook_paths(unit)
    found = (unit.name, overview.name, project.name, projects.name, department.name)
    assert found == NOTEBOOK_NAMES[:5]  # the department pages' notebook too (issue 12)
    assert all(p.parent == PACKAGED for p in (unit, overview, project, projects, department))


def _override(folder: Path) -> Path:
    """A user's template folder rewording one sentence of section 四 (as docs/rendering.md)."""
    blocks = folder / "blocks"
    blocks.mkdir(parents=True)
    original = (templating.package_dir() / "blocks" / "disclosure_section.html.j2").read_text(
        encoding="utf-8"
    )
    assert DEFAULT_SENTENCE in original
    (blocks / "disclosure_section.html.j2").write_text(
        original.replace(DEFAULT_SENTENCE, REWORDED), encoding="utf-8"
    )
    return folder


@needs_sample
def test_user_template_rewords_a_sentence_and_still_escapes(tmp_path, monkeypatch):
    from perfkit import api

    detail = api.unit_detail(api.load(SAMPLE), 2022, "SZ003")
    assert DEFAULT_SENTENCE in report.disclosure_section(detail)
    monkeypatch.setenv(templating.ENV_VAR, str(_override(tmp_path / "mine")))
    html = report.disclosure_section(detail)
    assert REWORDED in html and DEFAULT_SENTENCE not in html
    # the user's template runs in the same environment: autoescaping stays on
    (tmp_path / "mine" / "blocks" / "fictional_banner.html.j2").write_text(
        "<p>{{ text }}</p>", encoding="utf-8"
    )
    banner = report.fictional_banner(
        type("D", (), {"fictional": True, "fingerprint": "", "rulebook": None})()
    )
    assert banner == f"<p>{report.FICTIONAL}</p>"
    monkeypatch.setattr(report.parts, "FICTIONAL", "<script>alert(1)</script>")  # its home
    banner = report.fictional_banner(
        type("D", (), {"fictional": True, "fingerprint": "", "rulebook": None})()
    )
    assert banner == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_missing_template_folder_is_a_usage_error(tmp_path):
    from perfkit.core.problems import UsageError

    with pytest.raises(UsageError, match="找不到模板文件夹"):
        pipeline._templates_folder(tmp_path / "nowhere")


def _cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


@pytest.mark.slow
@needs_sample
def test_render_with_user_templates_and_notebook(tmp_path):
    """``perfkit render --templates DIR --notebook PATH``: the user's sentence reaches the report
    (through the notebook kernel), the user's notebook is the one executed."""
    mine = _override(tmp_path / "templates")
    nb = json.loads((PACKAGED / "unit_report.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append(
        {"cell_type": "markdown", "id": "mine", "metadata": {}, "source": "本单位自加的说明。"}
    )
    notebook = tmp_path / "mine.ipynb"
    notebook.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", "from perfkit.cli import main; main()", "render", str(SAMPLE),
         "--unit", "SZ003", "--out", str(out), "--jobs", "1", "--no-progress",
         "--templates", str(mine), "--notebook", str(notebook)],
        capture_output=True, text=True, env=_cli_env(), cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    html = (out / "2022" / "SZ003.html").read_text(encoding="utf-8")
    assert REWORDED in html and DEFAULT_SENTENCE not in html
    assert "本单位自加的说明。" in html
    assert (out / "2022" / "index.html").is_file()


# ---------------------------------------------------------------------------------------------
# the wheel, installed into a fresh virtual environment


def _copy_source(dest: Path) -> Path:
    """The files a wheel is built from (not the tests, data, caches or virtual environments)."""
    skip = {".git", ".venv", "reports", "build", "dist", "data", "tests", "benchmarks"}
    shutil.copytree(
        ROOT,
        dest,
        ignore=lambda folder, names: [
            n
            for n in names
            if (Path(folder) == ROOT and n in skip)
            or n in {"__pycache__", ".pytest_cache", ".ruff_cache"}
            or n.endswith(".egg-info")
        ],
    )
    return dest


@pytest.mark.slow
@needs_sample
@pytest.mark.xdist_group("wheel")
def test_wheel_installed_in_a_fresh_venv_renders_the_sample(tmp_path):
    source = _copy_source(tmp_path / "source")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels),
         str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("perfkit-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python, perfkit_cmd = venv / "bin" / "python", venv / "bin" / "perfkit"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    # the venv's own site-packages come first; the dependencies (pandas, nbconvert …) are taken
    # from this interpreter's site-packages through a path file (no download). Path files in that
    # folder are not processed, so an editable perfkit installed there is not importable.
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True, env=env,
        ).stdout.strip()
    )  # fmt: skip
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    # the notebook kernels run the venv's Python (as `make` installs the kernel spec); the
    # dependencies' data files (nbconvert's base templates) are found where they were installed
    subprocess.run(
        [str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
        check=True, capture_output=True, env=env, timeout=300,
    )  # fmt: skip
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(venv / "share" / "jupyter"), str(Path(sys.prefix) / "share" / "jupyter")]
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import perfkit; print(perfkit.__file__)"],
        capture_output=True, text=True, check=True, env=env, cwd=elsewhere,
    ).stdout.strip()  # fmt: skip
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    # the analyst's notebook comes with the wheel: `perfkit review notebook` writes a copy
    copied = subprocess.run(
        [str(perfkit_cmd), "review", "notebook", "--out", "analysis"],
        capture_output=True, text=True, env=env, cwd=elsewhere, timeout=300,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stdout + copied.stderr
    mine = json.loads((elsewhere / "analysis" / "review.ipynb").read_text(encoding="utf-8"))
    shipped = json.loads(
        (ROOT / "perfkit" / "review" / "notebooks" / "review.ipynb").read_text(encoding="utf-8")
    )
    assert [c["source"] for c in mine["cells"]] == [c["source"] for c in shipped["cells"]]

    done = subprocess.run(
        [str(perfkit_cmd), "render", str(SAMPLE), "--out", "out", "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, env=env, cwd=elsewhere, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    year = elsewhere / "out" / "2022"
    with open(SAMPLE / "budget.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # the units with their own 部门整体 rows (SZ013 has projects only) and every project
    codes = sorted({row["单位编码"] for row in rows if not row["项目编码"]})
    projects = sorted({f"{r['单位编码']}/{r['项目编码']}" for r in rows if r["项目编码"]})
    written = sorted(p.stem for p in year.glob("*.html"))
    assert written == sorted([*codes, "index", "projects"])
    assert sorted(
        p.relative_to(year).with_suffix("").as_posix() for p in year.glob("*/*.html")
    ) == (projects)
    index = (year / "index.html").read_text(encoding="utf-8")
    for code in codes:
        assert f'href="{code}.html"' in index
        assert "本报告未能生成" not in (year / f"{code}.html").read_text(encoding="utf-8")
