"""Installed versions of Python and the analysis packages, for the methods text."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata

__all__ = ["PACKAGES", "software_versions"]

PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "polars",
    "statsmodels",
    "pingouin",
    "spm1d",
    "matplotlib",
    "seaborn",
    "snakemake",
)
"""The packages named in the methods text, in that order."""


def software_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of Python and the analysis packages (absent packages are skipped).

    Examples
    --------
    >>> v = software_versions(["polars"])
    >>> sorted(v) == ["Python", "polars"]
    True
    """
    out = {"Python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
