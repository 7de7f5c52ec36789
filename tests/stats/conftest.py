"""Fixtures of the statistics tests."""

from __future__ import annotations

import polars as pl
import pytest
from synthetic import outcome_table


@pytest.fixture(scope="module")
def outcomes() -> pl.DataFrame:
    return outcome_table()
