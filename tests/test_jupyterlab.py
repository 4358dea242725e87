"""The analyst's view (issue 10 §8): a real JupyterLab 4 in Debian's Chromium, via Playwright.

A JupyterLab server is started from the test's environment on a free port of 127.0.0.1 (as root
with ``--allow-root``), with its own config and runtime folders, and perfkit's ``unit_report.ipynb``
is opened in a browser that sees **no Chinese system font** (the fontconfig of
:func:`conftest.fresh_machine_fonts`). All cells are run, and what an analyst sees is checked:

- no error output, every display cell shows its block;
- a text column of a table is left-aligned (JupyterLab's own CSS right-aligns every ``td``);
- headings and table text keep a contrast of at least 4.5:1 against the block's background in the
  Light and Dark themes (each block is a sheet of paper in any theme);
- the title is drawn in the embedded Noto Sans CJK SC (CDP ``CSS.getPlatformFontsForNode``);
- nothing is requested outside 127.0.0.1;
- saving leaves the notebook on disk as it was (perfkit's pre-save hook), and the server's log
  says so in Chinese.

Screenshots of both themes are kept in the test's temporary folder, and copied to
``$PERFKIT_SHOTS`` when set.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PERFKIT_CHROMIUM", "/usr/bin/chromium")
TOKEN = "perfkit-test"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not shutil.which("fc-list"), reason="fc-list (fontconfig) is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, fresh_machine_fonts):
    """A JupyterLab server on a copy of the repository's notebooks and sample data."""
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    shutil.copytree(ROOT / "data", work / "data")
    port = _free_port()
    env = {
        **fresh_machine_fonts,
        "JUPYTER_CONFIG_DIR": str(work / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(work / ".runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=", "--ServerApp.open_browser=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            if server.poll() is not None:
                pytest.fail((work / "server.log").read_text(encoding="utf-8")[-2000:])
            time.sleep(0.5)
        yield url, work
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def notebook_page(lab, fresh_machine_fonts, playwright_session):
    """The unit report notebook, every cell run, and the requests the page made."""
    url, work = lab
    requests: list[str] = []
    if True:  # one Playwright per session (conftest.playwright_session)
        browser = playwright_session.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
            env=fresh_machine_fonts,
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{url}/lab/tree/notebooks/unit_report.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=30_000)
        idle = "document.querySelector(\".jp-Notebook-ExecutionIndicator[data-status='idle']\")"
        for _ in range(180):  # the kernel starts (or JupyterLab asks which one: answered)
            no_dialog(page, work)
            if page.evaluate(f"() => {idle} !== null"):
                break
            page.wait_for_timeout(500)

        command(page, "notebook:run-all-cells")
        done = """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }"""
        started = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
            .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""
        for i in range(480):  # up to 4 minutes on a loaded machine
            if page.evaluate(done):
                break
            no_dialog(page, work)
            if i % 20 == 19 and not page.evaluate(started):
                command(page, "notebook:run-all-cells")  # asked before the kernel was ready
            page.wait_for_timeout(500)
        else:
            _shot(page, work, "jupyterlab-run-all")
            pytest.fail("the notebook did not finish running in 4 minutes")
        page.wait_for_timeout(1500)
        yield page, requests, work
        browser.close()


def command(page, name: str, args: str = "{}") -> None:
    """Run a JupyterLab command without waiting for it: a command that asked something in a
    dialog would never return (see :func:`no_dialog`)."""
    page.evaluate(f"() => {{ window.jupyterapp.commands.execute('{name}', {args}); }}")


def no_dialog(page, work: Path) -> None:
    """Fail, with a screenshot, when JupyterLab asks the analyst something. The kernel chooser,
    which JupyterLab may show when the kernel list arrives late on a loaded machine, is answered
    as an analyst does: the notebook's own kernel (preselected), Select."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and "Select Kernel" in dialog.inner_text():
        dialog.locator("select").select_option(label="Python 3 (ipykernel)")
        dialog.locator("button.jp-mod-accept").click()
        page.wait_for_timeout(500)
        return
    if dialog.count():
        _shot(page, work, "jupyterlab-dialog")
        pytest.fail("JupyterLab asked: " + page.locator(".jp-Dialog").inner_text())


def _shot(page, work: Path, name: str) -> None:
    path = work / f"{name}.png"
    page.screenshot(path=str(path))
    if folder := os.environ.get("PERFKIT_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


_CONTRAST = """(selector) => {
    const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const f = v => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = el => {
        for (; el; el = el.parentElement) {
            const c = parse(getComputedStyle(el).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    return [...document.querySelectorAll(selector)].slice(0, 20).map(el => {
        const a = lum(parse(getComputedStyle(el).color)), b = lum(background(el));
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}"""


def test_every_cell_runs_without_an_error(notebook_page):
    page, _, _ = notebook_page
    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
        " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    assert errors.count() == 0, errors.first.inner_text()
    # the title, the table of contents, the four sections, the appendix and the footer are shown
    for heading in (
        "一、部门（单位）概况",
        "三、部门（单位）整体支出绩效中存在问题及改进措施",
        "附表",
    ):
        assert page.locator(".pk h2", has_text=heading).count() >= 1, heading
    # the report's charts, inline SVG whose text is text
    assert page.locator(".jp-OutputArea-output svg.pk-chart").count() >= 4


def test_text_columns_are_left_aligned_and_numbers_right(notebook_page):
    page, _, _ = notebook_page
    align = page.evaluate(
        """() => {
            const table = document.querySelector('.pk-indicators');
            const text = table.querySelector('tbody td:not(.pk-num)');
            const num = table.querySelector('tbody td.pk-num');
            return [getComputedStyle(text).textAlign, getComputedStyle(num).textAlign];
        }"""
    )
    assert align == ["left", "right"]


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_readable_in_light_and_dark_themes(notebook_page, theme):
    page, _, work = notebook_page
    command(page, "apputils:change-theme", f"{{theme: '{theme}'}}")
    page.wait_for_function(f"() => document.body.dataset.jpThemeName === '{theme}'", timeout=30_000)
    page.wait_for_timeout(1000)
    _shot(page, work, "jupyterlab-" + theme.split()[-1].lower())
    for selector in (".pk h1", ".pk h2", ".pk-table td", ".pk p"):
        ratios = page.evaluate(_CONTRAST, selector)
        assert ratios and min(ratios) >= 4.5, (theme, selector, ratios)
    # the charts: dark text drawn on a white sheet, whatever the theme
    chart = page.evaluate(
        """() => {
            const svg = document.querySelector('svg.pk-chart');
            const text = svg.querySelector('text');
            return [getComputedStyle(text).fill, getComputedStyle(svg).backgroundColor,
                    getComputedStyle(svg.closest('.pk')).backgroundColor];
        }"""
    )
    assert chart == ["rgb(38, 38, 38)", "rgb(255, 255, 255)", "rgb(255, 255, 255)"], chart


def test_chinese_is_drawn_in_the_embedded_font(notebook_page):
    page, _, _ = notebook_page
    # the notebook draws only the cells in view: bring the title into view first
    page.locator(".pk h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    title = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".pk h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": title})["fonts"]
    families = {f["familyName"] for f in fonts if f["glyphCount"] > 0}
    assert "Noto Sans CJK SC" in families, fonts
    # a chart's Chinese labels too: every glyph from the subset the stylesheet embeds
    page.locator("svg.pk-chart").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    texts = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "svg.pk-chart text"})
    checked = 0
    for node in texts["nodeIds"][:40]:
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        if fonts:
            checked += 1
            assert {f["familyName"] for f in fonts if f["glyphCount"] > 0} == {
                "Noto Sans CJK SC"
            }, fonts
    assert checked >= 10


def test_nothing_is_fetched_outside_the_server(notebook_page):
    _, requests, _ = notebook_page
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert outside == []


def test_saving_leaves_the_notebook_file_as_it_was(notebook_page):
    page, _, work = notebook_page
    path = work / "notebooks" / "unit_report.ipynb"
    before = path.read_bytes()
    command(page, "docmanager:save")
    for _ in range(40):
        page.wait_for_timeout(250)
        no_dialog(page, work)
        current = page.locator(".jp-mod-current").first.get_attribute("class") or ""
        if "jp-mod-dirty" not in current:
            break
    assert path.read_bytes() == before
    # the user is told, in the server's log, that the save left the outputs out (issue 16 §9)
    log = (work / "server.log").read_text(encoding="utf-8")
    assert (
        "notebooks/unit_report.ipynb 是 perfkit 自带的笔记本：保存时只保存代码，不保存运行结果"
        in log
    )
