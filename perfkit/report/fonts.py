"""The CJK font for matplotlib, so that every chart draws Chinese on a fresh machine.

The font is Noto Sans CJK SC (SIL Open Font License 1.1), shipped as a Python package
(``noto-cjk-sans-otc``): no system font and no network are needed. The package's file is a
TrueType collection; matplotlib registers every face of it, and the Simplified Chinese face is
named "Noto Sans CJK SC".
"""

from __future__ import annotations

from pathlib import Path

import noto_cjk_sans_otc
from matplotlib import font_manager, rcParams

#: the family name of the Simplified Chinese face of the collection
FAMILY = "Noto Sans CJK SC"


def font_path() -> Path:
    """The font collection file shipped by the ``noto-cjk-sans-otc`` package."""
    return Path(noto_cjk_sans_otc.FONT_PATH)


def _registered(path: str) -> bool:
    return any(font.fname == path for font in font_manager.fontManager.ttflist)


def register() -> None:
    """Make Noto Sans CJK SC known to matplotlib (first in its font list), without changing any
    rcParam: a chart that asks for the family "Noto Sans CJK SC" gets it. Idempotent."""
    manager = font_manager.fontManager
    path = str(font_path())
    if not _registered(path):
        manager.addfont(path)  # also clears matplotlib's font lookup cache
        ours = [font for font in manager.ttflist if font.fname == path]
        manager.ttflist[:] = ours + [font for font in manager.ttflist if font.fname != path]


def use_cjk_font() -> None:
    """Register Noto Sans CJK SC with matplotlib and make it the first sans-serif font.

    Idempotent: the package's font is added once per process, and put first in the font list so
    that it wins over a system copy of the same family; the rcParams are set on every call,
    because a notebook or seaborn may have reset them in between. ``axes.unicode_minus`` is off:
    negative tick labels use the ASCII hyphen-minus, as Chinese statistical tables print them.
    """
    register()
    others = [name for name in rcParams["font.sans-serif"] if name != FAMILY]
    rcParams["font.family"] = ["sans-serif"]
    rcParams["font.sans-serif"] = [FAMILY, *others]
    rcParams["axes.unicode_minus"] = False


def use_chinese_fonts() -> None:
    """Make the bundled Chinese font the default for every chart of this session (pandas,
    seaborn, matplotlib), so that Chinese labels never draw as boxes::

        import perfkit
        perfkit.use_chinese_fonts()
        scores.set_index("unit_name")["total"].plot.barh()

    Call it again after ``seaborn.set_theme()``, which resets the fonts.
    """
    use_cjk_font()
