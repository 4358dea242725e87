"""The click commands of the Excel round trip: ``perfkit forms make|collect``, ``perfkit export``.

Thin shells over :func:`~perfkit.forms.make.make_forms`,
:func:`~perfkit.forms.collect.collect_forms` and :func:`perfkit.data.writers.export`;
``perfkit/cli.py`` registers them on the main group, whose error handling turns InvalidInput
and UsageError into exit code 2. The modules they drive (openpyxl among them) are imported inside
the commands, so that importing this module costs nothing to ``perfkit score``.
"""

from __future__ import annotations

from pathlib import Path

import click

from perfkit.core.text import for_terminal

#: exit code when some forms were skipped (perfkit/cli.py: "1 some units failed")
EXIT_SKIPPED = 1

_RULES = click.option(
    "--rules",
    default=None,
    metavar="NAME|FILE",
    help="评分规则：预设名称（如 mof2020、hubei、jiangxi）或 TOML 文件路径；默认 mof2020。",
)


@click.group("forms")
def forms() -> None:
    """自评表的下发与回收：按单位生成 Excel 自评表，回收填好的表，汇成数据集。"""


@forms.command("make")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--year", type=int, default=None, help="自评年度，如 2022（--review 时取自抽查样本）。"
)
@click.option("--review", "review", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="SAMPLE",
              help="按抽查样本（perfkit review sample 写出的 .csv 或 .xlsx）生成复核表，"
                   "每个被抽中的单位或项目一份 复核-<单位编码>[-<项目编码>].xlsx。")  # fmt: skip
@click.option("--unit", "units", multiple=True, metavar="CODE", help="只生成这些单位（可重复）。")
@click.option("--level", type=click.Choice(["unit", "project", "all"]), default="all",
              show_default=True,
              help="unit：部门整体支出绩效自评表，每个单位一份；project：项目支出绩效自评表，"
                   "每个项目一份；all：两者都生成。")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="输出目录：每个单位一个 <单位编码>.xlsx，"
                   "每个项目一个 <单位编码>-<项目编码>.xlsx。")  # fmt: skip
@_RULES
def make_command(
    data: Path,
    year: int | None,
    review: Path | None,
    units: tuple[str, ...],
    level: str,
    out: Path,
    rules: str | None,
) -> None:
    """生成预填的自评表（DATA：数据集目录或 .xlsx；实际完成值可以为空）：按单位生成部门整体支出绩效
    自评表，按项目生成项目支出绩效自评表；--review SAMPLE：按抽查样本生成复核表。"""
    from perfkit.core.problems import UsageError
    from perfkit.forms.make import make_forms, projects_only_units, select_forms
    from perfkit.forms.partial import load_partial
    from perfkit.rules.rulebook import load_rulebook

    rulebook = load_rulebook(rules)
    if review is not None:
        from perfkit.data.loading import load
        from perfkit.forms.review_make import make_review_forms
        from perfkit.forms.review_sample import read_sample

        ds = load(data, rulebook)
        sample = read_sample(review, ds)
        if year is not None and any(y != year for y, _, _ in sample):
            raise UsageError(f"抽查样本中有不是 {year} 年度的行。")
        paths = make_review_forms(ds, sample, out, rulebook)
        click.echo(for_terminal(f"已生成 {len(paths)} 份复核表，保存在 {out}。"))
        return
    if year is None:
        raise UsageError("请用 --year 指定自评年度（或用 --review 按抽查样本生成复核表）。")
    ds = load_partial(data, rulebook)
    chosen = list(units) or None
    paths = make_forms(ds, year, out, units=chosen, rulebook=rulebook, level=level)
    n_projects = sum(1 for _, project in select_forms(ds, year, chosen, level) if project)
    n_units = len(paths) - n_projects
    if n_projects:
        click.echo(
            for_terminal(
                f"已生成 {n_units} 份部门整体支出绩效自评表、{n_projects} 份项目支出绩效自评表，"
                f"保存在 {out}。"
            )
        )
    else:
        click.echo(for_terminal(f"已生成 {len(paths)} 份自评表，保存在 {out}。"))
    if level != "project":
        only = projects_only_units(ds, year, chosen)
        if only:
            click.echo(
                for_terminal(
                    f"以下单位在 {year} 年度只有项目的数据，没有部门整体的数据，"
                    f"未生成部门整体自评表：{'、'.join(only)}。"
                )
            )


@forms.command("collect")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="输出的数据集：目录（CSV），或以 .xlsx 结尾的工作簿。")  # fmt: skip
@click.option("--base", type=click.Path(exists=True, path_type=Path), default=None,
              help="财政部门的基础数据集：单位、预算、月度执行和文字说明以它为准。")  # fmt: skip
@click.option(
    "--skip-invalid", is_flag=True, help="有问题的自评表不收入，其余照常写出（退出码 1）。"
)
@click.option("--into", type=click.Path(exists=True, path_type=Path), default=None,
              help="目录中只有复核表时：生成复核表所用的数据集，"
                   "复核结果并入它的副本（写到 --out）。")  # fmt: skip
@_RULES
@click.pass_context
def collect_command(
    ctx: click.Context,
    folder: Path,
    out: Path,
    base: Path | None,
    skip_invalid: bool,
    into: Path | None,
    rules: str | None,
) -> None:
    """回收 FOLDER 中填好的自评表（*.xlsx）和复核表，写成一个数据集。"""
    from perfkit.forms.collect import collect_forms

    result = collect_forms(
        folder, out, base=base, skip_invalid=skip_invalid, rulebook=rules, into=into
    )
    click.echo(for_terminal(result.report()))
    if result.skipped:
        ctx.exit(EXIT_SKIPPED)


@click.command("export")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="以 .xlsx 结尾则写成一个工作簿，否则写成 CSV 目录。")  # fmt: skip
@_RULES
def export_command(data: Path, out: Path, rules: str | None) -> None:
    """把数据集在 CSV 目录和单个 .xlsx 工作簿之间转换（先完整校验）。"""
    from perfkit.data.writers import export

    click.echo(for_terminal(f"已写出 {export(data, out, rules)}。"))
