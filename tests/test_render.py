"""The batch render pipeline: files where the docs say, self-contained Chinese HTML, failures that
stay local, state that never leaks between units, atomic writes, the output folder's lock, and a
render killed with SIGKILL that leaves nothing half-written.

The slow tests render real units of data/sample end to end (papermill, a kernel, nbconvert).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from fontTools.ttLib import TTFont

from perfkit.core import atomic
from perfkit.core.problems import InvalidInput, UsageError
from perfkit.rendering import htmlexport, pdf, warmkernel, worker
from perfkit.rendering.jobs import Job
from perfkit.rendering.pipeline import RenderLocked, output_lock, render

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
HEADINGS = (
    "一、部门（单位）概况",
    "二、部门（单位）整体支出绩效实现情况",
    "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "四、绩效自评结果拟应用和公开情况",
)
NAMES = {
    "SZ001": "苏州市智慧审判保障中心",
    "SZ002": "苏州市公共阅读服务中心",
    "SZ003": "苏州市卫生监测评价中心",
    "SZ004": "苏州市市政设施养护管理处",
}
# Totals of data/sample as the finance bureau checks them (docs/rendering.md only needs that the
# report shows the core's number; the core's own tests work these out by hand):
TOTALS = {"SZ001": "99.60", "SZ002": "96.90"}
TITLE = "2022年度 部门（单位）整体支出预算绩效自评报告"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_sample = pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if atomic.TMP_SUFFIX in p.name]


# ---------------------------------------------------------------------------------------------
# fast: the self-containment check, the template, the pages perfkit writes itself


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Noto+Sans+SC">',
        '<img src="//example.com/x.png">',
        '<img src="http://example.com/x.png" alt="">',
        '<div style="background:url(https://example.com/bg.png)">x</div>',
        "<style>@import url(http://example.com/a.css);</style>",
        "<style>@font-face{font-family:X;src:url('https://example.com/x.woff2')}</style>",
        '<img src="data:image/png;base64,AAAA" onerror="alert(1)">',
        '<a href="javascript:alert(1)">点我</a>',
        '<iframe src="https://example.com"></iframe>',
        '<img srcset="data:image/png;base64,AA 1x, https://example.com/x.png 2x">',
        '<img src="http:example.com/x.png">',  # browsers read this as http://example.com
        '<img src="\\\\example.com\\x.png">',
        '<a href="java&#9;script:alert(1)">点我</a>',  # the tab is dropped by the browser
        '<video poster="https://example.com/p.png"></video>',
        # inside an inline SVG (a chart) only references into the page are allowed
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"><rect/></svg>',
        '<svg><rect onclick="alert(1)"/></svg>',
        '<svg><use xlink:href="https://example.com/s.svg#a"/></svg>',
        '<svg><use href="sprites.svg#a"/></svg>',  # another file
        '<svg><image href="x.png"/></svg>',
        '<svg><a href="https://example.com/"><text>链接</text></a></svg>',
        '<svg><a xlink:href="javascript:alert(1)"><text>链接</text></a></svg>',
        '<svg><rect fill="url(other.svg#g)"/></svg>',
        '<svg><rect style="fill:url(https://example.com/g.svg#g)"/></svg>',
        "<svg><style>@import url(x.css);</style></svg>",
        '<svg><a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a></svg>',
        '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
        "<svg><foreignObject><div>x</div></foreignObject></svg>",
    ],
)
def test_self_contained_check_flags_every_fetch_and_script(html):
    assert htmlexport.assert_self_contained(f"<html><body>{html}</body></html>") != []


def test_self_contained_check_allows_links_data_urls_and_local_css():
    html = (
        '<html><head><style>body{font-family:"Noto Sans CJK SC"} '
        "@page{size:A4}</style></head><body>"
        '<a href="https://www.mof.gov.cn/">财政部</a> <a href="#pk-s1">一、</a> '
        '<a href="SZ001.html">报告</a> <img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
        '<div style="background:url(data:image/png;base64,AAAA)"></div>'
        '<a href="mailto:czj@example.gov.cn">来信</a><svg><rect fill="url(#g)"/></svg>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'role="img" aria-label="图1"><title>图1</title><defs><clipPath id="p1"><rect/></clipPath>'
        '<path id="m1" d="M 0 0 L 0 3.5"/></defs><use xlink:href="#m1" x="1" y="2"/>'
        '<path d="M 0 0" clip-path="url(#p1)"/><text>&lt;script&gt;</text></svg>'
        '<a href="SZ001/P01.html">项目报告</a>'
        "</body></html>"
    )
    assert htmlexport.assert_self_contained(html) == []


def _hand_made_notebook() -> nbformat.NotebookNode:
    """An executed notebook with everything a report must not show, and what it must."""
    v4 = nbformat.v4
    params = v4.new_code_cell('unit_code = "SZ001"')
    params.metadata["tags"] = ["parameters"]
    injected = v4.new_code_cell('# Parameters\nunit_code = "SZ002"')
    injected.metadata["tags"] = ["injected-parameters"]
    body = v4.new_code_cell("SECRET_SOURCE = display(HTML(section))")
    body.outputs = [
        v4.new_output("display_data", data={"text/html": "<h2>一、部门（单位）概况</h2>"}),
        v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        v4.new_output("display_data", data={"application/javascript": "alert('js-output')"}),
        v4.new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"}},
        ),
        v4.new_output("stream", name="stderr", text="UserWarning: glyph missing"),
        v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=3),
    ]
    nb = v4.new_notebook(cells=[params, injected, body, v4.new_markdown_cell("## 小结 $x$")])
    nb.metadata["title"] = f"{NAMES['SZ001']} {TITLE}"
    return nb


@pytest.mark.filterwarnings("ignore:Your element with mimetype:UserWarning")
def test_template_keeps_outputs_only_in_a_self_contained_chinese_page():
    html = htmlexport.export_html(_hand_made_notebook())
    assert htmlexport.assert_self_contained(html) == []
    assert '<html lang="zh-CN">' in html
    assert f"<title>{NAMES['SZ001']} {TITLE}</title>" in html
    assert "<h2>一、部门（单位）概况</h2>" in html
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html
    assert "小结" in html
    absent = ("SECRET_SOURCE", "SZ002", "injected-parameters", "alert(", "glyph missing",
              "<script", "In&nbsp;[", "Out[", "mathjax", "require.js", "jp-InputArea")  # fmt: skip
    for text in absent:
        assert text.lower() not in html.lower(), text
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert "size: A4" in css
    assert "display: table-header-group" in css  # table headers repeat on every page
    assert "break-inside: avoid" in css  # rows and charts are not cut
    assert '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"' in css
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def _embedded_font(html: str) -> TTFont:
    face = r'@font-face\{font-family:"Noto Sans CJK SC";[^}]*'
    found = re.search(face + r"src:url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", html)
    assert found, "the page carries no font"
    return TTFont(io.BytesIO(base64.b64decode(found.group(1))))


@pytest.mark.filterwarnings("ignore:Your element with mimetype:UserWarning")
def test_page_carries_a_chinese_font_with_the_characters_it_shows():
    """On a machine without a Chinese font the page draws its text with the font it carries."""
    font = _embedded_font(htmlexport.export_html(_hand_made_notebook()))
    cmap = font.getBestCmap()
    # on the page: the heading, the markdown; in the print margin: "第 1 页，共 8 页"
    for char in "一部门单位概况小结第页共，0123456789":
        assert ord(char) in cmap, char
    for char in "鑫龘":  # not on the page, so not in the subset
        assert ord(char) not in cmap, char
    assert len(cmap) < 300  # a subset, not the 65,000 glyphs of the whole face


def test_error_page_escapes_the_reason_and_is_self_contained():
    error = "ValueError: 单位名称含有 <script>alert(1)</script> & 其他"
    html = htmlexport.error_page(
        "某单位 2022年度 部门（单位）整体支出预算绩效自评报告",
        "SZ009",
        "某<单位>",
        2022,
        error,
        "_internal/2022/SZ009.ipynb",
        log="_internal/logs/render-20230301-020001-42.log",
    )
    assert "本报告未能生成" in html
    # where the detail is, named as text: the operator folder is not published, so no link
    assert "<code>_internal/2022/SZ009.ipynb</code>" in html
    assert "<code>_internal/logs/render-20230301-020001-42.log</code>" in html
    assert "href=" not in html
    assert "ValueError: 单位名称含有 &lt;script&gt;alert(1)&lt;/script&gt; &amp; 其他" in html
    assert "某&lt;单位&gt;" in html
    assert "<script" not in html
    assert htmlexport.assert_self_contained(html) == []
    assert ord("某") in _embedded_font(html).getBestCmap()


# ---------------------------------------------------------------------------------------------
# fast: atomic writes and the lock


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "SZ001.html"
    atomic.write_text(target, "旧的完整报告")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text("写了一半", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "旧的完整报告"
    assert _temporaries(tmp_path) == []
    atomic.write_text(target, "新的完整报告")
    assert target.read_text(encoding="utf-8") == "新的完整报告"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_atomic_write_killed_half_way_leaves_no_partial_file(tmp_path):
    """A writer SIGKILLed in the middle of a report leaves the old file (or none), never half."""
    script = textwrap.dedent(f"""
        import os, signal
        from perfkit.core import atomic
        with atomic.atomic_path({str(tmp_path / "SZ001.html")!r}) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write("<html>半个报告")
                fh.flush()
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -signal.SIGKILL
    assert list(tmp_path.glob("*.html")) == []
    assert len(_temporaries(tmp_path)) == 1  # hidden, and not named *.html
    assert atomic.remove_stale_temporaries(tmp_path) != []
    assert list(tmp_path.iterdir()) == []


def test_lock_refuses_a_second_render_across_processes(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from perfkit.rendering.pipeline import output_lock
            with output_lock(Path({str(tmp_path)!r})):
                print("locked", flush=True)
                time.sleep(60)
        """)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RenderLocked) as err, output_lock(tmp_path):
            pass
        message = str(err.value)
        assert message.startswith(f"另一个 perfkit render 正在写入 {tmp_path}")
        assert f"进程 {holder.pid}" in message
        assert isinstance(err.value, UsageError)  # the CLI's exit code 2
    finally:
        holder.kill()
        holder.wait()
    with output_lock(tmp_path):  # released by the holder's death, even by SIGKILL
        pass


@needs_sample
def test_locked_folder_refuses_render_and_writes_nothing(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    with output_lock(out), pytest.raises(RenderLocked):
        render(SAMPLE, out=out, units=["SZ001"], progress=False)
    assert sorted(p.name for p in out.iterdir()) == [".perfkit-render.lock"]


@needs_sample
def test_bad_selection_or_data_writes_nothing(tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(UsageError, match="SZ999"):
        render(SAMPLE, out=out, units=["SZ999"], progress=False)
    with pytest.raises(UsageError, match="1999"):
        render(SAMPLE, out=out, years=[1999], progress=False)
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    budget = bad / "budget.csv"
    budget.write_text(
        budget.read_text(encoding="utf-8-sig").replace("433.90", "四百三十三", 1), encoding="utf-8"
    )
    with pytest.raises(InvalidInput):
        render(bad, out=out, progress=False)
    assert not out.exists()


@needs_sample
def test_missing_notebook_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="找不到报告模板笔记本"):
        render(SAMPLE, out=tmp_path / "r", notebook=tmp_path / "nope.ipynb", progress=False)
    assert not (tmp_path / "r").exists()


def test_warm_kernel_imports_what_the_notebook_imports():
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("%matplotlib inline\nimport pandas as pd, seaborn\nx = 1"),
            v4.new_code_cell("from perfkit import api, report\nfrom . import local"),
            v4.new_markdown_cell("import not_this"),
            v4.new_code_cell("!pip list\nimport json"),
            v4.new_code_cell("def broken(:"),
        ]
    )
    assert warmkernel.imports(nb) == [
        "pandas", "seaborn", "perfkit", "perfkit.api", "perfkit.report", "json",
    ]  # fmt: skip


@pytest.mark.parametrize("code", ["index", "INDEX", "status"])
def test_unit_code_that_would_overwrite_the_index_fails_that_unit_only(tmp_path, code):
    """A unit coded "index" would overwrite index.html (also on case-insensitive disks)."""
    job = Job(kind="unit", year=2022, code=code, name="某单位", title="某单位报告",
              notebook=str(NOTEBOOKS / "unit_report.ipynb"), notebook_text="{}", parameters={},
              folder=str(tmp_path))  # fmt: skip
    result = worker.build(job)
    assert result.status == "failed"
    assert f"单位编码“{code}”不能用作文件名" in result.error
    assert result.html is None and result.notebook is None


def test_missing_chromium_is_a_clear_chinese_error(monkeypatch):
    monkeypatch.setenv(pdf.CHROMIUM_ENV, "/nonexistent/chromium")
    with pytest.raises(UsageError, match="生成 PDF 需要 Chromium"):
        pdf.find_chromium()


# ---------------------------------------------------------------------------------------------
# slow: two sample units end to end


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    out = tmp_path_factory.mktemp("reports")
    # the units' reports only (projects: tests/test_project_reports.py)
    result = render(SAMPLE, out=out, units=["SZ001", "SZ002"], jobs=2, pdf=bool(CHROMIUM),
                    progress=False, level="unit")  # fmt: skip
    return out, result


@pytest.mark.slow
def test_render_writes_every_file_where_documented(rendered):
    out, result = rendered
    year = out / "2022"
    assert result.exit_code == 0, result.summary()
    assert [(r.unit_code, r.status) for r in result.units] == [("SZ001", "ok"), ("SZ002", "ok")]
    records = out / "_internal" / "2022"
    for code in ("SZ001", "SZ002"):
        assert (year / f"{code}.html").is_file()
        nb = nbformat.read(records / f"{code}.ipynb", as_version=4)
        assert nb.metadata["title"] == f"{NAMES[code]} {TITLE}"
        assert nb.metadata["papermill"]["parameters"]["unit_code"] == code
        assert nb.metadata["papermill"]["parameters"]["data"] == str(SAMPLE.resolve())
    assert (year / "index.html").is_file()
    assert (records / "index.ipynb").is_file()
    # the publish folder holds the pages (and PDFs) only
    assert sorted(p.suffix for p in year.rglob("*") if p.is_file()) in (
        [".html"] * 3, [".html"] * 3 + [".pdf"] * 2,
    )  # fmt: skip
    status = json.loads((records / "status.json").read_text(encoding="utf-8"))
    assert status == [
        {"unit_code": c, "unit_name": NAMES[c], "href": f"{c}.html", "status": "ok", "error": ""}
        for c in ("SZ001", "SZ002")
    ]
    assert _temporaries(out) == []
    summary = result.summary()
    assert "2022年度：共 2 个单位，成功 2 份，失败 0 份。" in summary
    assert f"输出目录：{out}" in summary


@pytest.mark.slow
@pytest.mark.parametrize("code", ["SZ001", "SZ002"])
def test_rendered_report_is_what_a_reader_should_get(rendered, code):
    out, _ = rendered
    html = (out / "2022" / f"{code}.html").read_text(encoding="utf-8")
    assert htmlexport.assert_self_contained(html) == []
    assert "<script" not in html.lower()
    not_links = html.replace("<a href", "<a x")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", not_links)
    assert "url(http" not in html and "url(//" not in html
    assert "injected-parameters" not in html
    for code_text in ("api.load(", "display(HTML", "unit_detail(", "In&nbsp;[", "Traceback"):
        assert code_text not in html
    assert f"<title>{NAMES[code]} {TITLE}</title>" in html
    assert html.count(NAMES[code]) >= 2
    other = NAMES["SZ002" if code == "SZ001" else "SZ001"]
    assert other not in html
    for heading in HEADINGS:
        assert heading in html
    assert f"{TOTALS[code]} 分" in html
    assert "虚构" in html  # the sample is fictional and the report says so
    assert html.count('class="pk-chart" role="img"') >= 3  # the charts, inlined as SVG


@pytest.mark.slow
def test_a_30_indicator_unit_report_page_is_at_most_200_kb(tmp_path):
    """Issue 12: a unit of ``perfkit demo-data`` (30 indicators, 5 budget items, monthly rows,
    with projects) gets a page of at most 200 KB — the charts inline SVG whose text is text, the
    font subset embedded once. A size, not a time."""
    from perfkit.data.demo import write_demo

    write_demo(tmp_path / "demo", units=1, projects_per_unit=2)
    result = render(tmp_path / "demo", out=tmp_path / "out", jobs=1, progress=False)
    assert result.exit_code == 0, result.summary()
    (unit,) = result.units
    html = unit.html.read_text(encoding="utf-8")
    assert html.count('class="pk-chart" role="img"') == 4  # every chart is there
    assert "<text" in html and "data:image/png" not in html
    assert len(html.encode("utf-8")) <= 200 * 1024
    for project in result.projects:
        assert project.html.stat().st_size <= 200 * 1024


@pytest.mark.slow
def test_index_links_every_unit(rendered):
    out, result = rendered
    html = (out / "2022" / "index.html").read_text(encoding="utf-8")
    assert [r.status for r in result.indexes] == ["ok"]
    assert htmlexport.assert_self_contained(html) == []
    for code in ("SZ001", "SZ002"):
        assert f'href="{code}.html"' in html
        assert NAMES[code] in html


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
def test_pdf_is_a4_and_not_blank(rendered, tmp_path):
    out, result = rendered
    path = out / "2022" / "SZ001.pdf"
    assert result.units[0].pdf == path
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    # A4 is 595 x 842 points
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12](\.\d+)?\s*\]", data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(path),
                        str(tmp_path / "p")], check=True)  # fmt: skip
        page = next(tmp_path.glob("p*.pgm")).read_bytes()
        pixels = page.split(b"\n", 3)[3]
        dark = sum(1 for b in pixels if b < 128)
        assert dark > len(pixels) // 200  # text and tables were drawn


# ---------------------------------------------------------------------------------------------
# slow: a unit that fails, and state that must not leak from one unit to the next

PROBE = """
import json as _json, os as _os, sys as _sys
import matplotlib as _mpl, matplotlib.pyplot as _plt
_seen = {{
    "leaked_variable": "LEAK_PROBE" in globals(),
    "leaked_env": _os.environ.get("PK_LEAK_PROBE"),
    "linewidth": _mpl.rcParams["lines.linewidth"],
    "figures": len(_plt.get_fignums()),
    "cwd": _os.getcwd(),
    "path_tail": _sys.path[-1],
}}
with open(_os.path.join({probes!r}, unit_code + ".json"), "w") as _fh:
    _json.dump(_seen, _fh)
LEAK_PROBE = unit_code
_os.environ["PK_LEAK_PROBE"] = unit_code
_mpl.rcParams["lines.linewidth"] = 7.5
_plt.figure()
_sys.path.append("/leak")
_os.chdir("/")
if unit_code == "SZ002":
    raise ValueError("测试用错误：<b>预算数据不完整</b>")
"""


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    base = tmp_path_factory.mktemp("failing")
    probes = base / "probes"
    probes.mkdir()
    notebooks = base / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS / "unit_report.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(
        after + 1, nbformat.v4.new_code_cell(PROBE.format(probes=str(probes)))
    )  # after the parameters
    nbformat.write(nb, notebooks / "unit_report.ipynb")
    shutil.copy(NOTEBOOKS / "overview.ipynb", notebooks / "overview.ipynb")
    out = base / "reports"
    # one worker: the three units run one after the other in the same kernel
    result = render(SAMPLE, out=out, units=["SZ001", "SZ002", "SZ003"], jobs=1,
                    notebook=notebooks / "unit_report.ipynb", progress=False,
                    level="unit")  # fmt: skip
    return out, result, probes, notebooks


@pytest.mark.slow
def test_failing_unit_gets_an_error_page_and_the_others_render(failing):
    out, result, _, _ = failing
    year = out / "2022"
    assert result.exit_code == 1
    assert [(r.unit_code, r.status) for r in result.units] == [
        ("SZ001", "ok"), ("SZ002", "failed"), ("SZ003", "ok"),
    ]  # fmt: skip
    failed = result.units[1]
    # the part that failed (the probe: the notebook's second code cell) and the message,
    # written for people; never the exception's name
    assert failed.error == "生成笔记本的第 2 个代码单元时出错：测试用错误：<b>预算数据不完整</b>"
    page = (year / "SZ002.html").read_text(encoding="utf-8")
    assert "本报告未能生成" in page
    assert NAMES["SZ002"] in page
    assert (
        "生成笔记本的第 2 个代码单元时出错：测试用错误：&lt;b&gt;预算数据不完整&lt;/b&gt;" in page
    )
    assert "<b>预算数据不完整" not in page and "ValueError" not in page
    assert htmlexport.assert_self_contained(page) == []
    # the page names where the detail is: the log and the executed notebook, in _internal/
    log = result.log.relative_to(out).as_posix()
    assert log.startswith("_internal/logs/render-") and f"<code>{log}</code>" in page
    assert "<code>_internal/2022/SZ002.ipynb</code>" in page
    assert "ValueError: 测试用错误：<b>预算数据不完整</b>" in result.log.read_text(encoding="utf-8")
    # the executed notebook is kept for audit, with papermill's error
    audit = nbformat.read(out / "_internal" / "2022" / "SZ002.ipynb", as_version=4)
    errors = [o for c in audit.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors[0].ename == "ValueError"
    for code in ("SZ001", "SZ003"):
        html = (year / f"{code}.html").read_text(encoding="utf-8")
        assert HEADINGS[0] in html and NAMES[code] in html
    status = json.loads((out / "_internal" / "2022" / "status.json").read_text(encoding="utf-8"))
    assert [(s["unit_code"], s["status"]) for s in status] == [
        ("SZ001", "ok"), ("SZ002", "failed"), ("SZ003", "ok"),
    ]  # fmt: skip
    assert status[1]["error"] == failed.error
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "测试用错误" in index  # the index says which unit failed and why
    assert 'href="SZ002.html"' not in index  # and does not link the missing report
    summary = result.summary()
    assert "成功 2 份，失败 1 份" in summary
    assert "SZ002 苏州市公共阅读服务中心：生成笔记本的第 2 个代码单元时出错：测试用错误" in summary
    assert "ValueError" not in summary
    assert f"本次运行的日志（含错误的技术细节）：{result.log}" in summary


@pytest.mark.slow
def test_units_sharing_a_kernel_never_see_each_others_state(failing):
    _, _, probes, notebooks = failing
    seen = {p.stem: json.loads(p.read_text()) for p in probes.glob("*.json")}
    assert sorted(seen) == ["SZ001", "SZ002", "SZ003"]
    first = seen["SZ001"]
    for code, probe in seen.items():
        assert probe["leaked_variable"] is False, code
        assert probe["leaked_env"] is None, code
        assert probe["linewidth"] == first["linewidth"] != 7.5, code
        assert probe["figures"] == 0, code
        assert probe["cwd"] == str(notebooks), code
        assert probe["path_tail"] != "/leak", code


# ---------------------------------------------------------------------------------------------
# slow: SIGKILL half-way, then run again

QUICK_UNIT = """
import os, pathlib, time
pathlib.Path({probes!r}, unit_code + ".pid").write_text(str(os.getppid()))
time.sleep(1.5)
from IPython.display import HTML, display
display(HTML("<h1>" + unit_code + "</h1>"))
"""
QUICK_INDEX = """
import json
from IPython.display import HTML, display
entries = json.load(open(status))
display(HTML("".join("<p>" + e["unit_code"] + e["status"] + "</p>" for e in entries)))
"""


def _quick_notebooks(folder: Path, probes: Path) -> Path:
    v4 = nbformat.v4
    for name, params, body in (
        ("unit_report", 'data = ""\nyear = 2022\nunit_code = ""\nrules = None', QUICK_UNIT),
        ("overview", 'data = ""\nyear = 2022\nrules = None\nstatus = ""', QUICK_INDEX),
    ):
        cell = v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        nb = v4.new_notebook(cells=[cell, v4.new_code_cell(body.format(probes=str(probes)))])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.metadata["language_info"] = {"name": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / "unit_report.ipynb"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc: Linux")
def test_render_killed_half_way_leaves_no_partial_report_and_reruns(tmp_path):
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    probes = tmp_path / "probes"
    probes.mkdir()
    notebook = _quick_notebooks(tmp_path, probes)
    out = tmp_path / "reports"
    units = ["SZ001", "SZ002", "SZ003", "SZ004"]
    script = (
        "from perfkit.rendering.pipeline import render\n"
        f"render({str(SAMPLE)!r}, out={str(out)!r}, units={units!r}, jobs=1, "
        f"notebook={str(notebook)!r}, progress=False)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not (out / "2022" / "SZ001.html").exists():
        assert run.poll() is None and time.monotonic() < deadline, "render did not start"
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    # whatever is there is whole: no empty or truncated report, and the run was cut short
    reports = sorted((out / "2022").glob("*.html"))
    assert 1 <= len(reports) < len(units)
    for report in reports:
        html = report.read_text(encoding="utf-8")
        assert f"<h1>{report.stem}</h1>" in html and html.rstrip().endswith("</html>"), report
    # the worker died with the render (it must not write into a folder a new run may hold)
    workers = {int(p.read_text()) for p in probes.glob("*.pid")}
    assert len(workers) == 1  # one worker (jobs=1), whose kernel wrote its pid
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)

    result = render(SAMPLE, out=out, units=units, jobs=1, notebook=notebook, progress=False)
    assert result.exit_code == 0, result.summary()
    for code in units:
        assert f"<h1>{code}</h1>" in (out / "2022" / f"{code}.html").read_text(encoding="utf-8")
    assert "SZ004ok" in (out / "2022" / "index.html").read_text(encoding="utf-8")
    assert _temporaries(out) == []


def test_export_report_writes_one_units_report_and_leaves_the_index_alone(tmp_path):
    """What a notebook's one-liner does (issue 10 §3): the report perfkit render writes."""
    import perfkit

    out = tmp_path / "reports"
    index = out / "2022" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("已有的汇总页", encoding="utf-8")
    path = perfkit.export_report(SAMPLE, 2022, "SZ002", out=out)
    assert path == out / "2022" / "SZ002.html"
    html = path.read_text(encoding="utf-8")
    assert "苏州市公共阅读服务中心" in html and "<script" not in html
    assert htmlexport.assert_self_contained(html) == []
    assert index.read_text(encoding="utf-8") == "已有的汇总页"
    with pytest.raises(UsageError, match="可选单位编码"):
        perfkit.export_report(SAMPLE, 2022, "XX9", out=out)


# ---------------------------------------------------------------------------------------------
# issue 12 §7: a script without the __main__ guard, a PDF that fails, stale kernel folders


@pytest.mark.slow
def test_render_from_a_script_without_the_main_guard(tmp_path):
    """Workers are spawned without re-running the user's script: no guard needed."""
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    out = tmp_path / "reports"
    script = tmp_path / "my_render.py"
    script.write_text(
        "from perfkit import render\n"
        'print("脚本开始")\n'
        f"result = render({str(SAMPLE)!r}, out={str(out)!r}, units=['SZ002'], jobs=2,\n"
        "                level='unit', progress=False)\n"
        "print(result.summary())\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("脚本开始") == 1, done.stdout
    assert "共 1 个单位，成功 1 份，失败 0 份" in done.stdout
    assert (out / "2022" / "SZ002.html").is_file()


@pytest.mark.slow
def test_a_pdf_that_fails_leaves_the_page_rendered(tmp_path, monkeypatch):
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'no display' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(fake))
    out = tmp_path / "reports"
    result = render(SAMPLE, out=out, units=["SZ002"], jobs=1, pdf=True, progress=False,
                    level="unit")  # fmt: skip
    (unit,) = result.units
    assert unit.ok and unit.html is not None and unit.html.is_file() and unit.pdf is None
    assert "PDF 未能生成" in unit.pdf_error and "退出码 3" in unit.pdf_error
    assert not (out / "2022" / "SZ002.pdf").exists()
    assert result.failed == [] and result.exit_code == 1
    summary = result.summary()
    assert "共 1 个单位，成功 1 份，失败 0 份" in summary
    assert "HTML 报告已生成，但 PDF 未能生成：" in summary and "SZ002" in summary
    # the index lists the report as written
    status = json.loads((out / "_internal" / "2022" / "status.json").read_text(encoding="utf-8"))
    assert [(e["unit_code"], e["status"]) for e in status] == [("SZ002", "ok")]
    # Chromium's own words (and paths) are in the log, not in the message
    assert "no display" not in unit.pdf_error and "no display" in result.log.read_text("utf-8")
    # the next run tries the PDF again (the page is not taken as up to date)
    again = render(SAMPLE, out=out, units=["SZ002"], jobs=1, pdf=True, progress=False,
                   level="unit")  # fmt: skip
    assert [r.unit_code for r in again.rendered if r.unit_code != "index"] == ["SZ002"]


def test_kernel_and_scratch_folders_of_dead_processes_are_swept(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)
    stale = [tmp_path / f"perfkit-kernel-{dead}-abc", tmp_path / f"perfkit-work-{dead}-abc"]
    live = [
        tmp_path / f"perfkit-kernel-{os.getpid()}-x",
        tmp_path / f"perfkit-work-{os.getpid()}-x",
    ]
    other = [tmp_path / "perfkit-kernel-legacy", tmp_path / "something-else"]
    for folder in stale + live + other:
        folder.mkdir()
        (folder / "k-1").write_text("")
    assert warmkernel.remove_stale_sockets(str(tmp_path)) == [str(stale[0])]
    assert worker.remove_stale_scratch(str(tmp_path)) == [stale[1]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in live + other)


@pytest.mark.slow
def test_a_finished_render_leaves_no_kernel_folder(tmp_path):
    """In a temp folder of its own (TMPDIR), a render leaves nothing behind. The folder's path is
    too long for a UNIX socket (107 bytes): the kernels' sockets must go elsewhere."""
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    temp = tmp_path / ("a-deep-temp-folder-" * 6)
    temp.mkdir()
    script = (
        "from perfkit.rendering.pipeline import render\n"
        f"r = render({str(SAMPLE)!r}, out={str(tmp_path / 'r')!r}, units=['SZ002'], jobs=2, "
        "level='unit', progress=False)\n"
        "raise SystemExit(r.exit_code)\n"
    )
    env = {**os.environ, "TMPDIR": str(temp)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in temp.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
def test_a_chart_of_30_bars_prints_whole_on_one_page(tmp_path):
    """A chart is never split across pages: one taller than an A4 page (30 bars) is scaled down
    to fit (the print stylesheet caps its height), so every label lands on one page."""
    import numpy as np
    import pandas as pd

    from perfkit.report import blocks, charts, webfont

    indicators = pd.DataFrame(
        {
            "level3": [f"指标名称{i:02d}" for i in range(30)],
            "completion": np.linspace(0.3, 1.4, 30),
            "met": [i % 3 == 0 for i in range(30)],
        }
    )
    svg = charts.to_svg(charts.indicator_completion(indicators), "图3 定量指标完成率", "pk-fig-3")
    page = tmp_path / "chart.html"
    page.write_text(
        webfont.embed(
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>'
            f'{blocks.stylesheet()}<div class="pk"><p>前文</p><figure class="pk-figure">{svg}'
            "</figure></div></body></html>"
        ),
        encoding="utf-8",
    )
    pdf.print_pdf(page, tmp_path / "chart.pdf")
    pages = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "chart.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\f")  # fmt: skip
    with_labels = [i for i, text in enumerate(pages) if "指标名称" in text]
    assert len(with_labels) == 1, with_labels
    assert all(f"指标名称{i:02d}" in pages[with_labels[0]] for i in range(30))
