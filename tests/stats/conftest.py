"""Fixtures of the statistics tests."""

from __future__ import annotations

import polars as pl
import pytest
from synthetic import FORMULA, LEVELS, outcome_table

from analysis.models import analyse_outcomes


@pytest.fixture(scope="session")
def outcomes() -> pl.DataFrame:
    return outcome_table()


@pytest.fixture(scope="session")
def result(outcomes) -> dict[str, pl.DataFrame]:
    """analyse_outcomes on the synthetic table (EMG, pain, balance), fitted once per run."""
    return analyse_outcomes(outcomes, FORMULA, levels=LEVELS)
