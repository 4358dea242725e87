"""Saving a notebook in JupyterLab never dirties the repository (issue 10 §6).

perfkit's notebooks are marked ``metadata.perfkit.strip_outputs``; the Jupyter server hook that
perfkit installs (``perfkit.notebook.pre_save_hook``) saves them without outputs, so running them
in JupyterLab leaves the files, and ``git status``, as committed. Beside it, ``make`` configures
nbstripout as the git filter that .gitattributes names for *.ipynb, so that a notebook saved
outside JupyterLab is still committed without outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def test_saving_in_jupyterlab_leaves_git_status_clean(tmp_path):
    """Run all, then save, as JupyterLab does through the Jupyter server's contents manager with
    perfkit's pre-save hook: the file on disk, and so git, stay as committed."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    git(repo, "init", "-q")
    for name in (".gitattributes", ".gitignore"):  # .gitignore: JupyterLab's checkpoints
        shutil.copy(ROOT / name, repo / name)
    shutil.copy(ROOT / "notebooks" / "unit_report.ipynb", repo / "notebooks" / "unit_report.ipynb")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "notebook without outputs")
    manager = FileContentsManager(
        root_dir=str(repo), pre_save_hook="perfkit.notebook.pre_save_hook"
    )
    model = manager.get("notebooks/unit_report.ipynb")
    for i, cell in enumerate(c for c in model["content"]["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text="总分 99.60\n")]
    manager.save(model, "notebooks/unit_report.ipynb")
    assert git(repo, "status", "--porcelain") == ""


def test_the_tracked_notebooks_have_no_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code and not any(c.get("outputs") or c.get("execution_count") for c in code), path


def test_the_server_hook_saves_perfkits_notebooks_without_outputs():
    from perfkit.notebook import pre_save_hook

    nb = nbformat.v4.new_notebook(metadata={"perfkit": {"strip_outputs": True}})
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("说明")]
    model = {"type": "notebook", "content": json.loads(nbformat.writes(nb))}
    pre_save_hook(model, path="notebooks/unit_report.ipynb")
    saved = model["content"]["cells"]
    assert (saved[0]["outputs"], saved[0]["execution_count"]) == ([], None)
    assert "".join(saved[1]["source"]) == "说明"
    # an analyst's own notebook keeps its outputs
    own = {"type": "notebook", "content": json.loads(nbformat.writes(nbformat.v4.new_notebook()))}
    own["content"]["cells"] = [json.loads(nbformat.writes(nb))["cells"][0]]
    pre_save_hook(own, path="mine.ipynb")
    assert own["content"]["cells"][0]["outputs"]


def test_the_hook_is_installed_into_the_environment():
    config = Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/perfkit.json"
    shipped = json.loads((ROOT / "jupyter-config" / "perfkit.json").read_text(encoding="utf-8"))
    assert shipped["ServerApp"]["jpserver_extensions"] == {"perfkit.notebook": True}
    if config.exists():  # installed by pip from the wheel's data files (make: pip install -e)
        assert json.loads(config.read_text(encoding="utf-8")) == shipped
