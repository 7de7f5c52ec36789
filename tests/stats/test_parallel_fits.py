"""analyse_outcomes(..., workers=n): the same tables, bit for bit, as one process.

The serial reference runs with one BLAS thread, as the workers (and the workflow's models job)
do; polars' thread count cannot change once it is loaded, so this process keeps its own.
"""

from __future__ import annotations

import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from synthetic import FORMULA, LEVELS, outcome_table
from threadpoolctl import threadpool_limits

import analysis.models.workers as workers_module
from analysis.models import analyse_outcomes
from analysis.models.analyse import TABLES
from analysis.models.workers import WORKER_ENV, outcome_pool


def _outcomes() -> pl.DataFrame:
    """Eight outcomes (two cohorts x two muscles, pain, balance) and one whose fit fails: a session
    missing from ``LEVELS`` is refused and reported in ``models.error``."""
    a = outcome_table(seed=3, n_subjects=10)
    b = outcome_table(seed=4, n_subjects=10).with_columns(cohort=pl.lit("other"))
    bad = a.filter(pl.col("outcome") == "knee_pain_vas").with_columns(
        outcome=pl.lit("knee_pain_nrs"),
        session=pl.col("session").replace({"post": "follow-up"}),
    )
    return pl.concat([a, b, bad])


@pytest.fixture(scope="module")
def outcomes() -> pl.DataFrame:
    return _outcomes()


@pytest.fixture(scope="module")
def serial(outcomes) -> dict[str, pl.DataFrame]:
    with threadpool_limits(1):
        return analyse_outcomes(outcomes, FORMULA, levels=LEVELS)


def _assert_same(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    assert list(got) == list(want) == list(TABLES)
    for k in want:
        assert got[k].equals(want[k]), k
        assert_frame_equal(got[k], want[k], check_exact=True)


def test_reference_has_every_table_and_a_failed_fit(serial):
    models = serial["models"]
    assert models.height == 9
    failed = models.filter(pl.col("error").is_not_null())
    assert failed["outcome"].to_list() == ["knee_pain_nrs"]
    assert "follow-up" in failed["error"][0]
    for k in TABLES:
        assert serial[k].height > 0, k


def test_workers_give_identical_tables(outcomes, serial, monkeypatch):
    pools = []

    def counted_pool(n):
        pools.append(n)
        return outcome_pool(n)

    monkeypatch.setattr(workers_module, "outcome_pool", counted_pool)
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    parallel = analyse_outcomes(outcomes, FORMULA, levels=LEVELS, workers=2)
    assert pools == [2]  # fitted in worker processes, not here
    _assert_same(parallel, serial)
    # the workers' environment was this process's only while they started
    assert {k: os.environ.get(k) for k in WORKER_ENV} == saved


def test_shared_pool_gives_identical_tables(outcomes):
    """One pool for several calls (as the workflow's models job, one call per family)."""
    families = list(outcomes.partition_by("family", maintain_order=True))
    with threadpool_limits(1):
        want = [analyse_outcomes(part, FORMULA, levels=LEVELS) for part in families]
    with outcome_pool(2) as pool:
        got = [analyse_outcomes(part, FORMULA, levels=LEVELS, workers=pool) for part in families]
    for g, w in zip(got, want, strict=True):
        _assert_same(g, w)


def test_more_workers_than_outcomes(outcomes):
    """One outcome: fitted here, no pool."""
    one = outcomes.filter(pl.col("outcome") == "bbs", pl.col("cohort") == "demo")
    with threadpool_limits(1):
        want = analyse_outcomes(one, FORMULA, levels=LEVELS)
    _assert_same(analyse_outcomes(one, FORMULA, levels=LEVELS, workers=4), want)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_workers(outcomes, workers):
    with pytest.raises(ValueError, match="workers"):
        analyse_outcomes(outcomes, FORMULA, workers=workers)
