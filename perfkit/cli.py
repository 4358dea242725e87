"""The ``perfkit`` command line. Exit codes: 0 ok, 1 some units failed, 2 invalid input or usage,
3 the command could not finish for another reason (a bug, a full disk, a file it may not write:
one Chinese sentence on the terminal, the traceback in a log file whose path it prints).

Each sub-command is a thin shell over a library function; nothing is computed here.
"""

from __future__ import annotations

import gc
import importlib
import sys

import click

from perfkit.core.problems import InvalidInput, PerfkitError, UsageError
from perfkit.core.text import for_terminal

EXIT_OK, EXIT_UNITS_FAILED, EXIT_INVALID = 0, 1, 2
#: the command stopped on an error that is neither the input's nor the usage's (issue 16 §2):
#: the command failed, as a render whose reports failed does (the contract has three codes)
EXIT_INTERNAL = EXIT_UNITS_FAILED
#: Ctrl-C, as a shell reports a command stopped by SIGINT
EXIT_INTERRUPTED = 130
#: what each command does, as the message of an unexpected error says it ("未能{…}")
WHAT = {
    "validate": "检查数据集",
    "score": "计算得分",
    "render": "生成报告",
    "demo-data": "生成虚构数据集",
    "forms make": "生成 Excel 自评表",
    "forms collect": "汇总填好的 Excel 自评表",
    "export": "导出数据集",
    "review check": "审核自评质量",
    "review sample": "抽取复核样本",
}


#: sub-commands that live beside the code they drive: name → (module, attribute). They are
#: imported only when invoked or listed, so that ``perfkit score`` does not pay for openpyxl.
LAZY_COMMANDS = {
    "forms": ("perfkit.forms.commands", "forms"),
    "export": ("perfkit.forms.commands", "export_command"),
    "review": ("perfkit.review.commands", "review"),
}


class _Group(click.Group):
    """Turns perfkit's own errors into clear messages and exit code 2, never a traceback.

    ``lazy`` names sub-commands imported on first use (``LAZY_COMMANDS``).
    """

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        command = [*getattr(ctx, "_protected_args", []), *ctx.args][:2]
        try:
            return super().invoke(ctx)
        except InvalidInput as err:  # bad data, a bad rulebook: every problem, listed
            click.echo(for_terminal(err.report()), err=True)
            ctx.exit(EXIT_INVALID)
        except PerfkitError as err:  # bad usage, a locked output folder …
            click.echo(for_terminal(f"错误：{err}"), err=True)
            ctx.exit(EXIT_INVALID)
        except KeyboardInterrupt:  # Ctrl-C: before click's own "Aborted!" (exit code 1)
            click.echo("\n已中断。", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # click's own: usage errors (exit code 2), ctx.exit
        except Exception as err:  # anything else: a sentence here, the traceback in a log
            click.echo(for_terminal(unexpected(command, err)), err=True)
            ctx.exit(EXIT_INTERNAL)


def unexpected(command: list[str], err: Exception) -> str:
    """The message of an error no one foresaw: what could not be done, why in a few words, and
    the log file that keeps the traceback (written now, unless the command wrote one)."""
    from perfkit.core import crashlog

    name = " ".join(command) if " ".join(command) in WHAT else (command[:1] or ["perfkit"])[0]
    what = WHAT.get(name, f"运行 perfkit {name}")
    if isinstance(err, MemoryError):
        reason = "内存不足"
    elif isinstance(err, OSError):
        reason = crashlog.os_reason(err) or "读写文件时出错"
    else:
        reason = "perfkit 内部出错"
    log = crashlog.logged(err) or crashlog.write(f"未能{what}：{reason}", err)
    where = (
        f"技术细节（错误追踪）已写入日志 {log}；如需帮助，请把这个文件交给技术支持人员。"
        if log
        else "技术细节也未能写入日志（日志文件夹无法写入）。"
    )
    return f"错误：未能{what}：{reason}。{where}"


@click.group(
    cls=_Group, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _, value: _print_version(ctx) if value else None,
    help="Show the version and exit.",
)
def cli() -> None:
    """perfkit: 部门（单位）整体支出预算绩效自评 — validate, score and report many units at once."""


def _print_version(ctx: click.Context) -> None:
    """``perfkit --version``: what click's ``version_option`` prints, with the version read only
    now (``perfkit.__version__`` is looked up in the installed metadata on first use)."""
    import perfkit

    click.echo(f"perfkit, version {perfkit.__version__}", color=ctx.color)
    ctx.exit()


def main() -> None:
    """Console-script entry point (a process of its own: see the start-up notes below)."""
    # pandera imports hypothesis, when it is installed (the dev extras), to offer data-generating
    # strategies that a command never uses: ~0.08 s of every validating command. Only when no
    # one has imported it yet, and only in this process, pandera is told it is absent.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    try:
        cli.main(prog_name="perfkit", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        # the command's objects (a parsed target per distinct cell …) are freed with the process;
        # frozen, they are not walked again by the collection Python runs on exit (~0.2 s)
        gc.freeze()


DATA_ARG = click.argument("data", type=click.Path(path_type=str))
RULES_OPT = click.option(
    "--rules",
    default=None,
    metavar="NAME|FILE",
    help="评分规则：预设名（默认 mof2020）或 TOML 文件路径。",
)


@cli.command()
@DATA_ARG
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text 为中文说明，json 为每处问题一个对象（含 code、severity）。",
)
def validate(data: str, rules: str | None, fmt: str) -> None:
    """检查数据集 DATA（CSV 文件夹或 .xlsx 工作簿）是否符合数据约定。

    有错误时退出码为 2；只有警告时退出码为 0（警告已按说明评分，请核对）。
    """
    from perfkit.core.problems import report
    from perfkit.data.loading import load

    if fmt == "json":
        _validate_json(data, rules)
        return
    ds = load(data, rules=rules)
    n_units = len(ds.units)
    click.echo(f"数据有效：{n_units} 个单位，年度 {'、'.join(map(str, ds.years)) or '无'}。")
    if ds.warnings:
        click.echo(for_terminal(report(ds.warnings)))


def _validate_json(data: str, rules: str | None) -> None:
    """Every problem (a rulebook's too) as a JSON object with the keys of
    :data:`perfkit.core.problems.JSON_KEYS`; exit 2 when any is an error."""
    from perfkit.core.problems import as_json
    from perfkit.core.text import json_text
    from perfkit.data.loading import load

    try:
        problems = load(data, rules=rules).warnings
    except InvalidInput as err:
        problems = err.problems
    out = [as_json(p) for p in problems]
    click.echo(json_text(out, indent=1))
    if any(not p.is_warning for p in problems):
        raise SystemExit(EXIT_INVALID)


@cli.command()
@DATA_ARG
@click.option("--year", type=int, default=None, help="只评分这一年度（默认：数据中的每个年度）。")
@click.option("--unit", "units", multiple=True, metavar="CODE", help="只评分这些单位，可重复。")
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="输出格式。",
)
@click.option(
    "--level",
    type=click.Choice(["unit", "project"]),
    default="unit",
    show_default=True,
    help="unit：每个单位的部门整体自评；project：每个项目的项目支出绩效自评。",
)
def score(
    data: str,
    year: int | None,
    units: tuple[str, ...],
    rules: str | None,
    fmt: str,
    level: str,
) -> None:
    """为 DATA 中的每个单位（--level project：每个项目）计算预算执行率、指标得分、总分和等级。"""
    from perfkit.data.loading import load
    from perfkit.rules.rulebook import load_rulebook
    from perfkit.scoring import results
    from perfkit.scoring.scores import score_dataset

    rulebook = load_rulebook(rules)
    ds = load(data, rules=rulebook)
    _check_selection(ds, year, units)
    if ds.warnings:
        click.echo(
            f"数据有 {len(ds.warnings)} 处警告，已按说明评分并列入各单位的问题清单"
            "（perfkit validate 列出全部）。",
            err=True,
        )
    scores = score_dataset(ds, rulebook, years=[year] if year else None, units=list(units) or None)
    out = {"table": results.to_table, "json": results.to_json, "csv": results.to_csv}[fmt]
    text = out(scores, level)
    # CSV ends with its own line end (CR LF, as Excel writes it)
    click.echo(for_terminal(text) if fmt == "table" else text, nl=fmt != "csv")


@cli.command("demo-data")
@click.argument("out", type=click.Path(path_type=str))
@click.option("--units", "n_units", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--indicators",
    type=click.IntRange(3, 200),
    default=30,
    show_default=True,
    help="每个单位的绩效指标数。",
)
@click.option("--year", type=int, default=2022, show_default=True)
@click.option(
    "--projects-per-unit",
    "projects",
    type=click.IntRange(0, 99),
    default=0,
    show_default=True,
    help="每个单位的项目数（项目支出绩效自评表）。",
)
def demo_data(out: str, n_units: int, seed: int, indicators: int, year: int, projects: int) -> None:
    """生成一个确定性的虚构数据集（同一 --seed 得到相同文件），用于基准测试和演示。"""
    from pathlib import Path

    from perfkit.data.demo import write_demo

    write_demo(
        Path(out),
        units=n_units,
        seed=seed,
        indicators_per_unit=indicators,
        year=year,
        projects_per_unit=projects,
    )
    more = f"，每个单位 {projects} 个项目" if projects else ""
    click.echo(for_terminal(f"已生成 {n_units} 个单位的虚构数据{more}：{out}"))


@cli.command()
@DATA_ARG
@click.option(
    "--year",
    "years",
    type=int,
    multiple=True,
    metavar="Y",
    help="只生成这一年度，可重复（默认：数据中的每个年度）。",
)
@click.option("--unit", "units", multiple=True, metavar="CODE", help="只生成这些单位，可重复。")
@RULES_OPT
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="并行的工作进程数（默认：CPU 核数）。"
)
@click.option(
    "--out",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False, path_type=str),
    help="输出文件夹。",
)
@click.option("--pdf", is_flag=True, help="同时用 Chromium 打印 <单位编码>.pdf。")
@click.option(
    "--templates",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="自定义模板文件夹：其中的模板优先于 perfkit 自带的同名模板。",
)
@click.option(
    "--notebook",
    default=None,
    type=click.Path(dir_okay=False, path_type=str),
    help="用自己的单位报告笔记本（默认：perfkit 自带的 unit_report.ipynb）。",
)
@click.option(
    "--level",
    type=click.Choice(["unit", "project", "all"]),
    default="all",
    show_default=True,
    help="生成哪些报告：unit 部门整体报告，project 项目支出绩效自评报告，all 两者都生成。",
)
@click.option(
    "--force", is_flag=True, help="全部重新生成（默认只生成数据、模板或规则有变化的报告）。"
)
@click.option(
    "--dask",
    default=None,
    metavar="ADDRESS",
    help="在 Dask 集群上生成：调度器地址（如 tcp://10.0.0.5:8786），或 local[:N] 在本机启动 N 个"
    "工作进程。需要 pip install 'perfkit[dask]'。",
)
@click.option("--no-progress", is_flag=True, help="不显示进度条。")
@click.pass_context
def render(
    ctx: click.Context,
    data: str,
    years: tuple[int, ...],
    units: tuple[str, ...],
    rules: str | None,
    jobs: int | None,
    out: str,
    pdf: bool,
    templates: str | None,
    notebook: str | None,
    level: str,
    force: bool,
    dask: str | None,
    no_progress: bool,
) -> None:
    """把 DATA 中每个单位的部门整体自评报告和每个项目的项目支出绩效自评报告生成为独立的 HTML 文件，
    并生成每个年度的汇总页 index.html 和项目汇总页 projects.html。

    再次运行时只重新生成有变化的报告（数据、笔记本、模板、评分规则或 perfkit 版本变化），
    已不在数据中的单位和项目的报告会被删除（只删除 perfkit 写过的文件）。"""
    from perfkit.rendering.pipeline import render as render_reports

    result = render_reports(
        data,
        out=out,
        years=list(years) or None,
        units=list(units) or None,
        rules=rules,
        jobs=jobs,
        notebook=notebook,
        pdf=pdf,
        progress=not no_progress,
        templates=templates,
        level=level,
        force=force,
        dask=dask,
    )
    click.echo(for_terminal(result.summary()))
    ctx.exit(result.exit_code)


def _check_selection(ds, year: int | None, units: tuple[str, ...]) -> None:
    """Unknown years or unit codes are usage errors, named, not silently empty results."""
    if year is not None and year not in ds.years:
        raise UsageError(f"数据中没有 {year} 年度；可选年度：{'、'.join(map(str, ds.years))}。")
    known = set(ds.units["unit_code"])
    unknown = [u for u in units if u not in known]
    if unknown:
        raise UsageError(f"数据中没有这些单位编码：{'、'.join(unknown)}。")
