"""The ``perfkit`` command line. Exit codes: 0 ok, 1 some units failed, 2 invalid input or usage.

Each sub-command is a thin shell over a library function; nothing is computed here.
"""

from __future__ import annotations

import sys

import click

from perfkit import __version__
from perfkit.problems import InvalidInput, UsageError

EXIT_OK, EXIT_UNITS_FAILED, EXIT_INVALID = 0, 1, 2


class _Group(click.Group):
    """Turns perfkit's own errors into clear messages and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InvalidInput as err:
            click.echo(err.report(), err=True)
            ctx.exit(EXIT_INVALID)
        except UsageError as err:
            click.echo(f"错误：{err}", err=True)
            ctx.exit(EXIT_INVALID)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfkit")
def cli() -> None:
    """perfkit: 部门（单位）整体支出预算绩效自评 — validate, score and report many units at once."""


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="perfkit", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        sys.exit(130)
