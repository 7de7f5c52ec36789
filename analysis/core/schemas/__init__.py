"""The JSON schemas (written as YAML) of the configuration and of a cohort's files.

They ship inside the package, so an installed ``analysis`` finds them without the workflow.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent


@cache
def _load(name: str) -> dict:
    return yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(encoding="utf-8"))


def load_schema(name: str) -> dict:
    """The schema ``<name>.schema.yaml`` of this folder as a dict (a fresh copy).

    Examples
    --------
    >>> sorted(load_schema("trials")["properties"])[:2]
    ['direction', 'emg_file']
    """
    return copy.deepcopy(_load(name))
