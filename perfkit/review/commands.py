"""The click commands of the bureau's review: ``perfkit review check|sample``.

Thin shells over the review layer; ``perfkit/cli.py`` registers the group on the main group, whose
error handling turns InvalidInput and UsageError into exit code 2.
"""

from __future__ import annotations

import click


@click.group("review")
def review() -> None:
    """财政部门的自评复核：自评质量审核、抽取复核样本、复核偏差。"""
