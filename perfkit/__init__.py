"""perfkit: budget performance self-evaluation (预算绩效自评) for many units at once."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("perfkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"
