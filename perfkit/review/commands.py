"""The click commands of the bureau's review: ``perfkit review check|sample``.

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
    help="输出格式：table 为中文说明；json 含 findings 和 units；csv 为风险排名。",
)
@click.option(
    "--findings", "only_findings", is_flag=True, help="table、csv：只列出每条问题及其依据。"
)
def check(data: str, year: int | None, rules: str | None, fmt: str, only_findings: bool) -> None:
    """审核 DATA 中每个单位（部门整体）和每个项目的自评质量，列出问题及依据，并按风险分排名。"""
    from perfkit.review import results
    from perfkit.review.screening import review as screen

    ds, rulebook = _load(data, rules)
    result = screen(ds, _year(ds, year), rulebook)
    if fmt == "json":
        click.echo(results.to_json(result))
    elif fmt == "csv":
        click.echo(results.to_csv(result, findings=only_findings), nl=False)
    else:
        click.echo(for_terminal(results.to_table(result, findings=only_findings)))
