"""Reports to PDF with headless Chromium's print: A4, page numbers, nothing fetched.

The page layout comes from the report's own print CSS
(``perfkit/report/templates/perfkit/perfkit.css``): ``@page { size: A4 }`` with margins and "第 N
页，共 M 页" in the bottom margin, table rows and charts kept whole, table headers repeated.
Chromium's own header and footer (date, file path) are switched off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from perfkit.core import atomic
from perfkit.core.problems import UsageError

#: set this to a Chromium binary to use it instead of the one found on PATH
CHROMIUM_ENV = "PERFKIT_CHROMIUM"
TIMEOUT = 180


class PdfError(UsageError):
    """Chromium printed no PDF: the message says so in Chinese; ``detail`` holds what Chromium
    said (for the run's log: it may name this machine's paths)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def find_chromium() -> str:
    """The Chromium binary: ``$PERFKIT_CHROMIUM``, else chromium / chromium-browser / chrome."""
    given = os.environ.get(CHROMIUM_ENV)
    candidates = [given] if given else ["chromium", "chromium-browser", "google-chrome", "chrome"]
    for name in candidates:
        found = shutil.which(name) if name else None
        if found:
            return found
    raise UsageError(
        "生成 PDF 需要 Chromium 浏览器，但没有找到。请先安装（Debian/Ubuntu："
        "sudo apt-get install chromium），或用环境变量 PERFKIT_CHROMIUM 指定其路径；"
        "也可以不加 --pdf，用浏览器打开 HTML 报告后打印为 PDF。"
    )


def print_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` atomically with headless Chromium; return ``pdf``.

    Every host name resolves to nothing (a report needs no network, and must not use it) and a
    throw-away profile is used, so that parallel workers never share one. Raises
    :class:`PdfError` (with Chromium's complaint as its ``detail``) when no PDF comes out.
    """
    binary = chromium or find_chromium()
    with (
        tempfile.TemporaryDirectory(prefix="perfkit-chromium-") as profile,
        atomic.atomic_path(pdf) as tmp,
    ):
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}", Path(html).resolve().as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=TIMEOUT, check=False, cwd=profile
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium 在 {TIMEOUT} 秒内没有完成打印。") from None
        with open(tmp, "rb") as fh:
            head = fh.read(5)
        if head != b"%PDF-":
            said = done.stderr.decode("utf-8", "replace").strip()
            raise PdfError(
                f"Chromium 没有生成 PDF（退出码 {done.returncode}）。",
                f"{' '.join(command)}\n{said}",
            )
    return pdf
