"""The command line's start-up settings (docs/benchmarks.md): what they change and what not.

- ``perfkit --version`` prints what click's ``version_option`` printed, the version read only then;
- ``perfkit.__version__`` is looked up on first use, not when perfkit is imported;
- the console-script entry point hides hypothesis from pandera (only when no one imported it)
  and freezes the garbage collector's objects before the process exits, and prints what the
  click command prints in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from click.testing import CliRunner

import perfkit
from perfkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` with this checkout first on the path."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )


def test_version_option_prints_the_installed_version() -> None:
    try:
        expected = version("perfkit")
    except PackageNotFoundError:
        expected = "0.0.0+local"
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"perfkit, version {expected}\n"
    assert perfkit.__version__ == expected


def test_version_is_read_on_first_use() -> None:
    code = (
        "import json, perfkit; before = '__version__' in vars(perfkit); "
        "v = perfkit.__version__; from perfkit import __version__ as w; "
        "print(json.dumps([before, v == w, '__version__' in vars(perfkit)]))"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True, True]


_MAIN = """
import gc, json, sys
from perfkit.cli import main
sys.argv = ["perfkit", *sys.argv[1:]]
try:
    main()
finally:
    hypothesis = sys.modules.get("hypothesis", "never imported")
    state = hypothesis if isinstance(hypothesis, str) else "imported" if hypothesis else "hidden"
    print(json.dumps([state, gc.get_freeze_count() > 0]), file=sys.stderr)
"""


def test_the_entry_point_prints_what_the_command_prints() -> None:
    result = _python(_MAIN, "score", str(SAMPLE), "--format", "csv")
    assert result.returncode == 0, result.stderr
    state, frozen = json.loads(result.stderr.strip().splitlines()[-1])
    assert state == "hidden"  # pandera's backends loaded without hypothesis
    assert frozen
    in_process = CliRunner().invoke(cli, ["score", str(SAMPLE), "--format", "csv"])
    assert in_process.exit_code == 0
    assert result.stdout == in_process.stdout


def test_hypothesis_already_imported_is_left_alone() -> None:
    code = "import hypothesis\n" + _MAIN
    result = _python(code, "score", str(SAMPLE), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == ["imported", True]
