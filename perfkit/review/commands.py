"""The click commands of the bureau's review: ``perfkit review check|sample|notebook``.

Thin shells over the review layer; ``perfkit/cli.py`` registers the group on the main group, whose
error handling turns InvalidInput and UsageError into exit code 2.
"""

from __future__ import annotations

import click

from perfkit.core.text import for_terminal

RULES_OPT = click.option(
    "--rules",
    default=None,
    metavar="NAME|FILE",
    help="评分规则：预设名（默认 mof2020）或 TOML 文件路径；其中 [review] 为审核规则。",
)


@click.group("review")
def review() -> None:
    """财政部门的自评复核：自评质量审核、抽取复核样本、复核偏差。"""


def _load(data: str, rules: str | None):
    """The dataset and the rulebook, validated as ``perfkit score`` validates them (exit 2
    with every problem listed); the warnings counted on stderr."""
    from perfkit.data.loading import load
    from perfkit.rules.rulebook import load_rulebook

    rulebook = load_rulebook(rules)
    ds = load(data, rules=rulebook)
    if ds.warnings:
        click.echo(
            f"数据有 {len(ds.warnings)} 处警告，已按说明评分（perfkit validate 列出全部）。",
            err=True,
        )
    return ds, rulebook


def _year(ds, year: int | None) -> int:
    """The year asked for, or the data's last; a year not in the data is a usage error."""
    from perfkit.core.problems import UsageError

    if year is None:
        if not ds.years:
            raise UsageError("数据中没有任何年度的预算或指标。")
        return ds.years[-1]
    if year not in ds.years:
        raise UsageError(f"数据中没有 {year} 年度；可选年度：{'、'.join(map(str, ds.years))}。")
    return year


@review.command("check")
@click.argument("data", type=click.Path(path_type=str))
@click.option("--year", type=int, default=None, help="审核这一年度（默认：数据中最近的年度）。")
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help=(
        "输出格式：table 为中文说明；json 含 findings 和 units（有复核数据时还有 deviations 和 "
        "totals）；csv 为风险排名。"
    ),
)
@click.option(
    "--findings", "only_findings", is_flag=True, help="table、csv：只列出每条问题及其依据。"
)
@click.option(
    "--deviations",
    "only_deviations",
    is_flag=True,
    help="table：只列出复核偏差；csv：每个复核指标的自评得分、复核得分、偏差和偏差类别。",
)
def check(
    data: str,
    year: int | None,
    rules: str | None,
    fmt: str,
    only_findings: bool,
    only_deviations: bool,
) -> None:
    """审核 DATA 中每个单位（部门整体）和每个项目的自评质量，列出问题及依据，并按风险分排名；
    数据中有复核（reviews）时，列出复核偏差。"""
    from perfkit.core.problems import UsageError
    from perfkit.review import results
    from perfkit.review.screening import review as screen

    if only_findings and only_deviations:
        raise UsageError("--findings 和 --deviations 只能选一个。")
    ds, rulebook = _load(data, rules)
    result = screen(ds, _year(ds, year), rulebook)
    if fmt == "json":
        click.echo(results.to_json(result))
    elif fmt == "csv":
        text = results.to_csv(result, findings=only_findings, deviations=only_deviations)
        click.echo(text, nl=False)
    else:
        text = results.to_table(result, findings=only_findings, deviations=only_deviations)
        click.echo(for_terminal(text))


@review.command("sample")
@click.argument("data", type=click.Path(path_type=str))
@click.option("--year", type=int, required=True, help="抽取这一年度的自评。")
@click.option(
    "--rate", default=None, metavar="20%", help="每个主管部门抽取的比例（向上取整，至少 1 个）。"
)
@click.option(
    "--per-department",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="每个主管部门抽取的个数（代替 --rate）。",
)
@click.option(
    "--include",
    multiple=True,
    metavar="CODE",
    help="人工指定抽取：单位编码（部门整体）或 单位编码/项目编码，可重复。",
)
@click.option(
    "--exclude", multiple=True, metavar="CODE", help="人工指定排除，写法同 --include，可重复。"
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="随机种子：相同种子抽取相同样本。"
)
@click.option(
    "--level",
    type=click.Choice(["unit", "project", "all"]),
    default="all",
    show_default=True,
    help="候选对象：unit 部门整体自评，project 项目支出绩效自评，all 两者。",
)
@RULES_OPT
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="样本文件（.xlsx 或 .csv）；只覆盖 perfkit 写过的样本文件。",
)
def sample(
    data: str,
    year: int,
    rate: str | None,
    per_department: int | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    seed: int,
    level: str,
    rules: str | None,
    out: str,
) -> None:
    """按主管部门分层抽取复核样本：高风险的必抽，其余按全年预算数加权随机抽取；人工指定的抽取或排除。"""
    from pathlib import Path

    from perfkit.core.problems import UsageError
    from perfkit.review.sample import draw, drawn_by_how, parse_rate, write_sample
    from perfkit.review.screening import review as screen

    if Path(out).suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"--out 应为 .xlsx 或 .csv 文件，而不是“{Path(out).name}”。")
    fraction = parse_rate(rate) if rate is not None else None
    ds, rulebook = _load(data, rules)
    result = screen(ds, _year(ds, year), rulebook)
    drawn = draw(result, fraction, per_department, include, exclude, seed, level)
    write_sample(drawn, year, out)
    parts = "，".join(f"{how} {n} 个" for how, n in drawn_by_how(drawn))
    click.echo(for_terminal(f"已抽取 {len(drawn)} 个单位或项目（{parts or '无'}）：{out}"))


@review.command("notebook")
@click.option(
    "--out",
    default=".",
    show_default=True,
    type=click.Path(path_type=str),
    help="写到这个文件夹（review.ipynb），或写成这个 .ipynb 文件；不覆盖内容不同的已有文件。",
)
@click.option(
    "--data",
    default=None,
    type=click.Path(path_type=str),
    help="笔记本中 data 参数的值（数据文件夹或 .xlsx 工作簿，写成绝对路径）。",
)
@click.option("--year", type=int, default=None, help="笔记本中 year 参数的值（年度）。")
def notebook(out: str, data: str | None, year: int | None) -> None:
    """写出自评复核笔记本 review.ipynb 的副本（用 JupyterLab 打开运行；副本保存时保留结果）。"""
    from perfkit.review.analyst import write_copy

    written = write_copy(out, data=data, year=year)
    click.echo(for_terminal(f"已写出自评复核笔记本：{written}（用 jupyter lab 打开）"))
