"""What a render gave: one :class:`UnitResult` per report and page, gathered in a
:class:`RenderResult`, and the Chinese summary printed at the end of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from perfkit.rendering import layout
from perfkit.report import departments

#: how many names a summary line lists before "等 N 份"
SHOWN = 20


@dataclass(frozen=True)
class UnitResult:
    """What rendering one unit (or one project: ``project_code`` not "", or one year's index,
    ``unit_code == "index"``, or projects page, ``unit_code == "projects"``) gave."""

    year: int
    unit_code: str
    unit_name: str
    status: Literal["ok", "failed"]
    #: why it failed: a Chinese sentence a user can act on ("" when ok); the technical detail
    #: is in the run's log (:attr:`RenderResult.log`)
    error: str = ""
    html: Path | None = None
    notebook: Path | None = None
    pdf: Path | None = None
    seconds: float = 0.0
    project_code: str = ""
    project_name: str = ""
    #: True when the report was up to date and left as it was (incremental render)
    skipped: bool = False
    #: why its PDF could not be printed ("" when it was, or was not asked); the page is written
    pdf_error: str = ""
    #: "unit", "project", "index", "projects" or "department" ("" when not known)
    kind: str = ""
    #: failed this time, and the page an earlier run wrote is kept as it was (issue 16 §5)
    kept: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class RenderResult:
    """The outcome of :func:`perfkit.rendering.pipeline.render`: one :class:`UnitResult` per
    unit and per project, and each year's index and projects page (rendered this run, or
    ``skipped`` as up to date)."""

    out: Path
    units: list[UnitResult] = field(default_factory=list)
    indexes: list[UnitResult] = field(default_factory=list)
    elapsed: float = 0.0
    projects: list[UnitResult] = field(default_factory=list)
    project_pages: list[UnitResult] = field(default_factory=list)
    #: the files deleted this run (relative paths): those of reports that left the data
    removed: list[str] = field(default_factory=list)
    #: the reports removed: "<年度>/<单位编码>[/<项目编码>]" (or "<年度>/index" …)
    removed_reports: list[str] = field(default_factory=list)
    #: where the reports were built ("" for this machine's worker processes)
    where: str = ""
    #: the 主管部门 pages (years with more than 200 units; ``unit_code`` is the page's id,
    #: ``unit_name`` the 主管部门)
    department_pages: list[UnitResult] = field(default_factory=list)
    #: files of removed reports that were left in place: changed since perfkit wrote them, or
    #: written by a perfkit that recorded no digest (relative paths)
    kept_files: list[str] = field(default_factory=list)
    #: PDFs an earlier ``--pdf`` run printed from a page that has changed since (kept)
    stale_pdfs: list[str] = field(default_factory=list)
    #: files of the layout before issue 16 moved into the operator folder (relative paths)
    moved: list[str] = field(default_factory=list)
    #: what the user should know of the folder itself (a damaged manifest set aside …)
    notices: list[str] = field(default_factory=list)
    #: the run's log, which holds the technical detail of every failure (None: nothing failed)
    log: Path | None = None

    @property
    def every(self) -> list[UnitResult]:
        return [*self.units, *self.projects, *self.indexes, *self.project_pages,
                *self.department_pages]  # fmt: skip

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in self.every if not r.ok]

    @property
    def pdf_failed(self) -> list[UnitResult]:
        """Reports whose page was written but whose PDF could not be printed."""
        return [r for r in self.every if r.ok and r.pdf_error]

    @property
    def rendered(self) -> list[UnitResult]:
        """Reports and pages written this run (failed ones included: their error page, or the
        last good page kept)."""
        return [r for r in self.every if not r.skipped]

    @property
    def skipped(self) -> list[UnitResult]:
        """Reports and pages that were up to date and left as they were."""
        return [r for r in self.every if r.skipped]

    @property
    def exit_code(self) -> int:
        """0 when every report, page and PDF asked for was generated (or up to date), else 1."""
        return 1 if self.failed or self.pdf_failed else 0

    def summary(self) -> str:
        """The Chinese summary printed at the end of a run."""
        lines = []
        for year in sorted({r.year for r in self.every}):
            parts = []
            for kind, done in (("单位", self.units), ("项目", self.projects)):
                rows = [r for r in done if r.year == year]
                ok = sum(r.ok for r in rows)
                if rows or kind == "单位":
                    parts.append(f"共 {len(rows)} 个{kind}，成功 {ok} 份，失败 {len(rows) - ok} 份")
            lines.append(f"{year}年度：{'；'.join(parts)}。")
        pages = self.every
        rendered = self.rendered
        files = f"，共删除 {len(self.removed)} 个文件" if self.removed_reports else ""
        lines.append(
            f"本次生成 {len(rendered)} 份（报告与汇总页），"
            f"未变化而跳过 {len(pages) - len(rendered)} 份，"
            f"删除 {len(self.removed_reports)} 份（单位或项目已不在数据中{files}）。"
        )
        if self.removed_reports:
            lines.append(f"已删除：{_listed(self.removed_reports)}")
        if self.kept_files:
            lines.append(
                "以下文件属于已删除的报告，但内容已被修改（或是旧版 perfkit 写的，无法确认），"
                f"没有删除，请核对后自行处理：{_listed(self.kept_files, '个')}"
            )
        if self.failed:
            lines.append("未能生成的报告：")
            for r in self.failed:
                lines.append(f"  - {r.year}年度 {what(r)}：{_first_line(r.error)}")
        if self.pdf_failed:
            lines.append("HTML 报告已生成，但 PDF 未能生成：")
            for r in self.pdf_failed:
                lines.append(f"  - {r.year}年度 {what(r)}：{_first_line(r.pdf_error)}")
        if self.stale_pdfs:
            lines.append(
                "以下 PDF 是以前加 --pdf 时生成的，此后报告已更新，PDF 与 HTML 报告可能不一致"
                "（已保留，没有删除；加 --pdf 重新生成即可更新）："
                f"{_listed(self.stale_pdfs, '个')}"
            )
        if self.moved:
            lines.append(
                f"已把旧版 perfkit 放在年度文件夹中的 {len(self.moved)} 个执行记录和状态文件"
                f"移到 {layout.INTERNAL}/ 中（年度文件夹只放要公开的报告）。"
            )
        for notice in self.notices:
            lines.append(f"注意：{notice}")
        if self.log is not None:
            lines.append(f"本次运行的日志（含错误的技术细节）：{self.log}")
        if self.where:
            lines.append(f"渲染于：{self.where}")
        lines.append(f"输出目录：{self.out}")
        lines.append(
            f"要公开的是各年度文件夹（如 {self.out / _first_year(self)}）；"
            f"{layout.INTERNAL}/ 只供内部核查，不要公开。"
        )
        lines.append(f"用时：{self.elapsed:.1f} 秒")
        return "\n".join(lines)


def what(r: UnitResult) -> str:
    """How the summary (and the log) names a report."""
    if r.project_code:
        return f"{r.unit_code}/{r.project_code} {r.project_name}（{r.unit_name}）"
    if r.unit_code == "index":
        return "汇总页 index.html"
    if r.unit_code == layout.PROJECTS_PAGE:
        return "项目汇总页 projects.html"
    if r.kind == "department":
        return f"主管部门汇总页 {departments.FOLDER}/{r.unit_code}.html（{r.unit_name}）"
    return f"{r.unit_code} {r.unit_name}"


def _first_year(result: RenderResult) -> str:
    years = sorted({r.year for r in result.every})
    return str(years[0]) if years else "<年度>"


def _listed(names: list[str], measure: str = "份") -> str:
    shown = "、".join(names[:SHOWN])
    return shown + (f" 等 {len(names)} {measure}" if len(names) > SHOWN else "")


def _first_line(text: str, limit: int = 300) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
