"""A report computed from the dataset restricted to its unit (``api.load(..., units=[code])``,
what the report notebooks load) is the report computed from the whole dataset (issue 12): every
unit and project of the sample and of a demo dataset, every field compared."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from perfkit import api
from perfkit.data import fingerprints
from perfkit.data.dataset import only, unit_index

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")


def _same(a, b) -> None:
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(
                x.reset_index(drop=True), y.reset_index(drop=True), obj=f.name
            )
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                assert _equal(x[k], y[k]), f"{f.name}[{k}]: {x[k]!r} != {y[k]!r}"
        else:
            assert x == y, f.name


def _equal(x, y) -> bool:
    both_nan = isinstance(x, float) and isinstance(y, float) and x != x and y != y
    return both_nan or x == y


@pytest.fixture(scope="module", params=["sample", "demo"])
def data(request, tmp_path_factory) -> Path:
    if request.param == "sample":
        return SAMPLE
    from perfkit.data.demo import write_demo

    folder = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(folder, units=6, projects_per_unit=2)
    return folder


def test_every_report_is_the_same_from_its_units_rows(data):
    full = api.load(data)
    index = unit_index(full)
    for year, code, project in sorted(fingerprints.every_report(full).projects):
        mine = only(full, [code], index)
        _same(api.project_detail(full, year, code, project),
              api.project_detail(mine, year, code, project))  # fmt: skip
    units = full.units["unit_code"].tolist()
    for code in units:
        mine = api.load(data, units=[code])
        assert mine.units["unit_code"].tolist() == [code]
        try:
            expected = api.unit_detail(full, full.years[0], code)
        except Exception as err:  # a unit with projects only has no 部门整体 report
            with pytest.raises(type(err)):
                api.unit_detail(mine, full.years[0], code)
            continue
        _same(expected, api.unit_detail(mine, full.years[0], code))


def test_the_restricted_load_leaves_the_cache_alone(data):
    first = api.load(data, units=[api.load(data).units["unit_code"].iloc[0]])
    first.indicators.loc[first.indicators.index[0], "weight"] = 999.0
    first.units["unit_name"] = "改过的名称"
    again = api.load(data)
    assert 999.0 not in set(again.indicators["weight"])
    assert "改过的名称" not in set(again.units["unit_name"])


def test_an_unknown_unit_names_the_valid_ones(data):
    from perfkit.core.problems import UsageError

    with pytest.raises(UsageError, match="数据中没有单位编码“NOPE”；可选单位编码："):
        api.load(data, units=["NOPE"])
