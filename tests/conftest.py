"""Shared fixtures and Hypothesis profiles.

Fixtures: ``sample_path`` (data/sample), ``sample_dataset`` (data/sample loaded once per session
and worker; do not modify it) and ``mof2020`` (the default rulebook).

Hypothesis profiles: ``dev`` (the default: half of each test's examples, for a quick local run)
and ``ci`` (two and a half times as many, derandomised so that a failure in CI reproduces), chosen
with ``HYPOTHESIS_PROFILE=dev|ci``, else ``ci`` when ``CI`` is set to true (as CI services do).
A property test that sets its own ``max_examples`` scales it with :func:`hypo.examples`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from perfkit.data.dataset import Dataset
from perfkit.data.loading import load
from perfkit.rules.rulebook import Rulebook, load_rulebook

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

settings.register_profile("dev", max_examples=50)
settings.register_profile(
    "ci",
    max_examples=250,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _profile() -> str:
    if chosen := os.environ.get("HYPOTHESIS_PROFILE"):
        return chosen
    return "ci" if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev"


settings.load_profile(_profile())


def pytest_report_header(config: pytest.Config) -> list[str]:
    import perfkit

    return [
        f"perfkit: {Path(perfkit.__file__).parent}",
        f"hypothesis profile: {_profile()} (max_examples={settings.default.max_examples})",
    ]


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_dataset() -> Dataset:
    """data/sample, loaded once (raises InvalidInput listing every problem, if there is any)."""
    return load(SAMPLE)


@pytest.fixture(scope="session")
def mof2020() -> Rulebook:
    return load_rulebook("mof2020")
