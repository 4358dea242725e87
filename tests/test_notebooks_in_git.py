"""Saving a notebook in JupyterLab never dirties the repository (issue 10 §6), and never strips
an analyst's own notebook (issue 16 §9).

perfkit's notebooks are marked ``metadata.perfkit.strip_outputs``; the Jupyter server hook that
perfkit installs (``perfkit.notebook.pre_save_hook``) saves them without outputs, so running them
in JupyterLab leaves the files, and ``git status``, as committed. Only them: the marker must be
the boolean ``true`` and the notebook at the path of one perfkit ships (``notebooks/<name>``), so
that a Duplicate or a Save As copy, which keeps the marker, keeps its outputs; the user is told,
once in a session, that a save left the outputs out. Beside it, ``make`` configures
nbstripout as the git filter that .gitattributes names for *.ipynb, so that a notebook saved
outside JupyterLab is still committed without outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("notebook", ["unit_report.ipynb", "review.ipynb"])  # review: issue 17
def test_saving_in_jupyterlab_leaves_git_status_clean(tmp_path, notebook):
    """Run all, then save, as JupyterLab does through the Jupyter server's contents manager with
    perfkit's pre-save hook: the file on disk, and so git, stay as committed."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    git(repo, "init", "-q")
    for name in (".gitattributes", ".gitignore"):  # .gitignore: JupyterLab's checkpoints
        shutil.copy(ROOT / name, repo / name)
    shutil.copy(ROOT / "notebooks" / notebook, repo / "notebooks" / notebook)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "notebook without outputs")
    manager = FileContentsManager(
        root_dir=str(repo), pre_save_hook="perfkit.notebook.pre_save_hook"
    )
    model = manager.get(f"notebooks/{notebook}")
    for i, cell in enumerate(c for c in model["content"]["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text="总分 99.60\n")]
    manager.save(model, f"notebooks/{notebook}")
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


# --- the save hook strips only perfkit's own notebooks (issue 16 §9) -----------------------------

#: what the user is told the first time a save left outputs out, worked out from the issue
NOTICE = (
    "notebooks/unit_report.ipynb 是 perfkit 自带的笔记本："
    "保存时只保存代码，不保存运行结果（输出），文件保持原样；屏幕上的结果不受影响。"
    "要保留结果，请另存为其他文件名（文件 → 另存为），"
    "或用 perfkit render、perfkit.export_report(...) 生成报告。本次会话中不再提示。"
)


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A Jupyter server's contents manager on a folder holding perfkit's notebooks/, with the
    hook registered as the server extension registers it; a new session (nobody told yet)."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    import perfkit.notebook

    monkeypatch.setattr(perfkit.notebook, "_told", set(), raising=False)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "unit_report.ipynb", tmp_path / "notebooks")
    manager = FileContentsManager(root_dir=str(tmp_path))
    perfkit.notebook._load_jupyter_server_extension(SimpleNamespace(contents_manager=manager))
    return manager


def _run(model: dict) -> dict:
    """The notebook as JupyterLab holds it after Run All: outputs and execution counts."""
    for i, cell in enumerate(c for c in model["content"]["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text="总分 99.60\n")]
    return model


def _outputs(manager, path: str) -> int:
    """How many outputs the notebook saved at ``path`` holds on disk."""
    nb = json.loads(Path(manager.root_dir, path).read_text(encoding="utf-8"))
    return sum(len(c.get("outputs", [])) for c in nb["cells"] if c["cell_type"] == "code")


def test_perfkits_notebook_is_saved_without_outputs_and_the_user_told_once(server, caplog):
    path = "notebooks/unit_report.ipynb"
    committed = Path(server.root_dir, path).read_bytes()
    with caplog.at_level("WARNING"):
        reply = server.save(_run(server.get(path)), path)
    assert Path(server.root_dir, path).read_bytes() == committed
    assert reply["message"] == NOTICE
    assert NOTICE in caplog.text
    caplog.clear()
    again = server.save(_run(server.get(path)), path)
    assert "message" not in again and NOTICE not in caplog.text
    assert Path(server.root_dir, path).read_bytes() == committed


def test_a_duplicate_keeps_its_outputs(server):
    # JupyterLab's Duplicate: the server copies the file (metadata and all), then saves the copy
    copy = server.copy("notebooks/unit_report.ipynb", "notebooks")["path"]
    assert copy == "notebooks/unit_report-Copy1.ipynb"
    model = server.get(copy)
    assert model["content"]["metadata"]["perfkit"]["strip_outputs"] is True
    reply = server.save(_run(model), copy)
    assert "message" not in reply
    assert _outputs(server, copy) > 0


@pytest.mark.parametrize("target", ["analysis/unit_report.ipynb", "notebooks/我的报告.ipynb"])
def test_save_as_keeps_its_outputs(server, target):
    Path(server.root_dir, target).parent.mkdir(exist_ok=True)
    model = _run(server.get("notebooks/unit_report.ipynb"))
    server.save(model, target)  # File → Save As: the same model, another path
    assert _outputs(server, target) > 0
    assert _outputs(server, "notebooks/unit_report.ipynb") == 0


@pytest.mark.parametrize("marker", ["false", "true", 1, None])
def test_only_a_real_true_strips(server, marker):
    path = "notebooks/unit_report.ipynb"
    model = _run(server.get(path))
    model["content"]["metadata"]["perfkit"]["strip_outputs"] = marker
    reply = server.save(model, path)
    assert "message" not in reply
    assert _outputs(server, path) > 0


def test_a_server_started_inside_the_notebooks_folder_strips_them_too(server):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    import perfkit.notebook

    inside = FileContentsManager(root_dir=str(Path(server.root_dir, "notebooks")))
    perfkit.notebook._load_jupyter_server_extension(SimpleNamespace(contents_manager=inside))
    inside.save(_run(inside.get("unit_report.ipynb")), "unit_report.ipynb")
    assert _outputs(inside, "unit_report.ipynb") == 0
