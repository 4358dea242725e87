"""Workbooks from outside are read within limits (issue 16 §6): a zip bomb is refused, naming
the file, before openpyxl opens it and before any part is decompressed.

The bomb is real: a valid workbook (csvdata's dataset, or a form made by ``forms make``) whose
sheet is replaced by the sheet's XML with 1 GiB of spaces inside — about 1 MB on disk, the case
of the issue (openpyxl took 25 s and 2.2 GB of memory). Its deflate stream is built by repeating
one compressed block of 1 MiB of spaces (a full flush makes each block stand alone), so the test
never compresses, nor decompresses, a gigabyte. The limits themselves (perfkit/core/ziplimits.py)
are checked one by one on small archives with limits chosen for them.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from csvdata import write_folder, write_workbook

from perfkit.cli import cli
from perfkit.core.problems import InvalidInput
from perfkit.data import loading
from perfkit.forms import collect_forms, make_forms

GIB = 1 << 30
MIB = 1 << 20
SPACES = b" " * MIB


def _deflate_with_spaces(prefix: bytes, spaces_mib: int, suffix: bytes) -> tuple[bytes, int, int]:
    """(raw deflate data, CRC-32, uncompressed size) of prefix + spaces + suffix."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(SPACES) + c.flush(zlib.Z_FULL_FLUSH)  # stands alone: repeatable
    tail = c.compress(suffix) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(spaces_mib):
        crc = zlib.crc32(SPACES, crc)
    crc = zlib.crc32(suffix, crc)
    return head + block * spaces_mib + tail, crc, len(prefix) + spaces_mib * MIB + len(suffix)


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive of (name, raw deflate data, CRC-32, uncompressed size), written by hand."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + data)
        central.write(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + encoded
        )
    start, directory = out.tell(), central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory),
                      start, 0)  # fmt: skip
    return out.getvalue() + directory + end


def bomb(workbook: Path, out: Path, spaces_mib: int = 1024) -> Path:
    """``workbook`` with its first worksheet holding ``spaces_mib`` MiB of spaces: a zip bomb
    that is still a valid workbook."""
    members = []
    with zipfile.ZipFile(workbook) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in archive.namelist():
            data = archive.read(name)
            if name == sheets[0]:
                at = data.index(b"<sheetData>") + len(b"<sheetData>")
                members.append((name, *_deflate_with_spaces(data[:at], spaces_mib, data[at:])))
            else:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                members.append((name, c.compress(data) + c.flush(), zlib.crc32(data), len(data)))
    out.write_bytes(_zip(members))
    return out


class Opened(list):
    """The workbooks openpyxl was asked to open and the zip members read; ``bombs``: paths that
    must never be opened (asked to, it raises instead of spending a gigabyte); ``everything``:
    no workbook at all may be opened (the dataset reader opens its bytes, not its path)."""

    bombs: set[str]
    everything: bool = False


@pytest.fixture
def nothing_opened(monkeypatch):
    """Records every workbook openpyxl is asked to open and every zip member opened."""
    import perfkit.forms.read

    opened = Opened()
    opened.bombs = set()
    load = openpyxl.load_workbook

    def recording(source, *args, **kwargs):
        name = str(getattr(source, "name", source))
        opened.append(name)
        if opened.everything or name in opened.bombs:
            raise AssertionError(f"openpyxl was asked to open the bomb {name}")
        return load(source, *args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", recording)
    monkeypatch.setattr(perfkit.forms.read, "load_workbook", recording)
    member_open = zipfile.ZipFile.open

    def open_member(self, name, *args, **kwargs):
        opened.append(f"member {getattr(name, 'filename', name)} of {self.filename}")
        if opened.everything or str(self.filename) in opened.bombs:
            raise AssertionError(f"a member of the bomb {self.filename} was read")
        return member_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)
    return opened


def test_the_bomb_is_a_small_file_and_a_valid_workbook(tmp_path):
    original = write_workbook(tmp_path / "d.xlsx")
    path = bomb(original, tmp_path / "bomb.xlsx", spaces_mib=4)  # 4 MiB: harmless to open
    assert path.stat().st_size < 64 * 1024

    def first_sheet(source: Path) -> list[tuple]:
        wb = openpyxl.load_workbook(source, read_only=True)
        try:
            return list(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()

    assert first_sheet(path) == first_sheet(original)
    big = bomb(write_workbook(tmp_path / "d.xlsx"), tmp_path / "big.xlsx")
    assert big.stat().st_size < 2 * MIB
    with zipfile.ZipFile(big) as archive:
        assert max(i.file_size for i in archive.infolist()) > GIB


def test_a_dataset_bomb_is_refused_before_it_is_opened(tmp_path, nothing_opened):
    path = bomb(write_workbook(tmp_path / "d.xlsx"), tmp_path / "bomb.xlsx")
    nothing_opened.clear()
    nothing_opened.everything = True
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert nothing_opened == []
    assert "bomb.xlsx" in result.output and "压缩炸弹" in result.output
    assert "压缩了 1,0" in result.output  # the ratio, about 1,000 times
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert [(p["code"], p["file"]) for p in json.loads(result.stdout)] == [
        ("workbook_too_large", "bomb.xlsx")
    ]
    assert nothing_opened == []


def test_a_returned_form_bomb_is_refused_before_it_is_opened(tmp_path, nothing_opened):
    forms = tmp_path / "forms"
    make_forms(loading.load(write_folder(tmp_path / "d")), 2022, forms)
    issued = tmp_path / "A01.xlsx"
    (forms / "A01.xlsx").rename(issued)
    bomb(issued, forms / "A01.xlsx")
    nothing_opened.clear()
    nothing_opened.bombs.add(str(forms / "A01.xlsx"))
    with pytest.raises(InvalidInput) as err:
        collect_forms(forms, tmp_path / "out")
    assert [(p.file, p.code) for p in err.value.errors] == [("A01.xlsx", "workbook_too_large")]
    assert not any("A01.xlsx" in name for name in nothing_opened)
    result = CliRunner().invoke(
        cli, ["forms", "collect", str(forms), "--out", str(tmp_path / "out"), "--skip-invalid"]
    )
    assert result.exit_code == 1  # B02 collected, A01 left out
    assert "A01.xlsx" in result.output and "压缩炸弹" in result.output
    assert loading.load(tmp_path / "out").units["unit_code"].tolist() == ["B02"]
    assert not any("A01.xlsx" in name for name in nothing_opened)


def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_each_limit(tmp_path):
    from perfkit.core.ziplimits import Limits, check

    text = bytes(range(256)) * 20  # 5,120 bytes that compress little
    roomy = Limits(members=10, part=10_000, total=20_000, ratio=100, ratio_from=100_000)
    three = _archive(tmp_path, {"a": text, "b": text, "c": text})
    assert check(three, roomy) is None
    assert "3 个部件，超过上限 2 个" in check(three, Limits(2, 10_000, 20_000, 100, 100_000))
    assert "解压后有 5,120 字节（5 KB），超过单个部件的上限 4,096 字节（4 KB）" in check(
        three, Limits(10, 4_096, 20_000, 100, 100_000)
    )
    assert "解压后共有 15,360 字节（15 KB），超过上限 12,288 字节（12 KB）" in check(
        three, Limits(10, 10_000, 12_288, 100, 100_000)
    )
    spaces = _archive(tmp_path, {"sheet": b" " * 200_000})  # compresses about 1,000 times
    below = Limits(10, 1_000_000, 1_000_000, 100, ratio_from=300_000)  # the ratio from 300 KB
    assert check(spaces, below) is None
    refused = check(spaces, replace(below, ratio_from=100_000))
    assert refused is not None and "部件 sheet 压缩了" in refused and "超过上限 100 倍" in refused


def test_the_documented_limits():
    from perfkit.core.ziplimits import DATASET, FORM, Limits

    assert Limits(members=10_000, part=GIB, total=2 * GIB, ratio=100, ratio_from=MIB) == DATASET
    assert Limits(members=2_000, part=64 * MIB, total=256 * MIB, ratio=100, ratio_from=MIB) == FORM


def test_a_file_that_is_no_zip_is_left_to_the_reader(tmp_path):
    path = tmp_path / "d.xlsx"
    path.write_bytes(b"not a workbook")
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert [p["code"] for p in json.loads(result.stdout)] == ["unreadable_file"]
