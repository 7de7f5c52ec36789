"""Power over a grid of designs: chunks of simulations in parallel, progress, summaries.

Simulations are cut into chunks (design point x a range of simulation numbers) and run here or
in a pool of spawned processes; since every simulation has its own seed
(:func:`analysis.models.power.simulate.simulation_rng`) and the chunks are put back in order,
the tables are the same, byte for byte, whatever the number of workers or the chunk size.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, as_completed
from typing import TextIO

import numpy as np
import polars as pl
from scipy import stats

from analysis.models.power.engine import SIM_COLUMNS, Analysis, simulate_chunk
from analysis.models.power.scenario import Scenario
from analysis.models.power.simulate import DesignPoint
from analysis.models.workers import WORKER_ENV, outcome_pool

POINT_KEYS = ["n_per_group", "n_trials", "n_sessions"]


def design_grid(
    subjects: Sequence[int], trials: Sequence[int] = (1,), sessions: Sequence[int] = (2,)
) -> list[DesignPoint]:
    """Every combination of subjects per group, trials per condition and sessions, sorted.

    Examples
    --------
    >>> [p.key for p in design_grid([8, 4], [1, 3], [2])]
    [(4, 1, 2), (4, 3, 2), (8, 1, 2), (8, 3, 2)]
    """
    return sorted({DesignPoint(int(n), int(t), int(s)) for n in subjects for t in trials
                   for s in sessions})  # fmt: skip


def wilson_interval(k: np.ndarray, n: np.ndarray, level: float = 0.95):
    """Wilson score interval of a binomial proportion ``k / n``.

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([80]), np.array([100]))
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.7112, 0.8666)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    hi = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return np.minimum(lo, p), np.maximum(hi, p)


def _chunks(points: list[DesignPoint], n_sims: int, chunk_size: int):
    return [
        (i, range(a, min(a + chunk_size, n_sims)))
        for i in range(len(points))
        for a in range(0, n_sims, chunk_size)
    ]


@contextlib.contextmanager
def _worker_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class _Progress:
    """One line per finished design point on ``log``: its power, elapsed time and ETA."""

    def __init__(self, points, n_sims, chunks_per_point, log: TextIO | None, test: str | None):
        self.points, self.n_sims, self.log, self.test = points, n_sims, log, test
        self.left = [chunks_per_point] * len(points)
        self.parts: dict[int, list[pl.DataFrame]] = {i: [] for i in range(len(points))}
        self.done_sims, self.total = 0, n_sims * len(points)
        self.start, self.finished = time.perf_counter(), 0

    def add(self, i: int, frame: pl.DataFrame, sims: int) -> None:
        self.parts[i].append(frame)
        self.left[i] -= 1
        self.done_sims += sims
        if self.left[i] or self.log is None:
            return
        self.finished += 1
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done_sims * (self.total - self.done_sims)
        sims_df = pl.concat(self.parts[i])
        msg = f"[{self.finished}/{len(self.points)}] {self.points[i].label}"
        if self.test is not None:
            hit = sims_df.filter(pl.col("test") == self.test)["reject"].sum()
            msg += f": power {hit / self.n_sims:.3f}"
        failed = sims_df.filter(pl.col("error").is_not_null()).height
        msg += f" ({self.n_sims} sims, {failed} failed fits)"
        msg += f"; elapsed {_clock(elapsed)}, ETA {_clock(eta)}"
        print(msg, file=self.log, flush=True)


def simulate_power(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    *,
    n_sims: int = 1000,
    seed: int = 20261130,
    analysis: Analysis | None = None,
    workers: int | Executor = 1,
    chunk_size: int = 50,
    log: TextIO | None = sys.stderr,
    progress_test: str | None = None,
) -> pl.DataFrame:
    """Simulate ``n_sims`` studies per design point, fit and test each as the workflow would.

    Parameters
    ----------
    scenario : Scenario
        The data-generating model (:mod:`analysis.models.power.scenario`).
    points : sequence of DesignPoint
        The designs (:func:`design_grid`).
    n_sims : int
        Simulations per design point.
    seed : int
        Study seed; simulation ``j`` of a point always uses the same random numbers.
    analysis : Analysis, optional
        df method, REML, alpha, multiplicity adjustment and family size (default: the
        workflow's defaults, one outcome).
    workers : int or Executor
        Processes (or a pool from :func:`analysis.models.analyse.outcome_pool`).
    chunk_size : int
        Simulations per task.
    log : file-like or None
        Receives one progress line per finished design point (power of ``progress_test``).

    Returns
    -------
    polars.DataFrame
        One row per design point, simulation and test (:data:`SIM_COLUMNS`), sorted.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "effects": {"direction": 1.0}, "icc": 0.5,
    ...                             "groups": ["all"]})
    >>> sims = simulate_power(sc, design_grid([6]), n_sims=4, log=None)
    >>> sims.select("sim", "test").rows()[:2]
    [(0, 'contrast[main]: backward - forward'), (0, 'anova: direction')]
    """
    analysis = analysis or Analysis()
    points = list(points)
    if n_sims < 1 or chunk_size < 1:
        raise ValueError("n_sims and chunk_size must be positive")
    tasks = _chunks(points, n_sims, chunk_size)
    progress = _Progress(points, n_sims, math.ceil(n_sims / chunk_size), log, progress_test)
    results: dict[int, pl.DataFrame] = {}

    def run(k: int) -> pl.DataFrame:
        i, sims = tasks[k]
        return simulate_chunk(scenario, points[i], sims, seed, analysis)

    if isinstance(workers, int) and (workers <= 1 or len(tasks) == 1):
        for k, (i, sims) in enumerate(tasks):
            results[k] = run(k)
            progress.add(i, results[k], len(sims))
    else:
        own = not isinstance(workers, Executor)
        pool = outcome_pool(min(workers, len(tasks))) if own else workers
        try:
            with _worker_env():
                futures: dict[Future, int] = {
                    pool.submit(simulate_chunk, scenario, points[i], sims, seed, analysis): k
                    for k, (i, sims) in enumerate(tasks)
                }
            for fut in as_completed(futures):
                k = futures[fut]
                results[k] = fut.result()
                progress.add(tasks[k][0], results[k], len(tasks[k][1]))
        finally:
            if own:
                pool.shutdown()
    frames = [results[k] for k in range(len(tasks))]
    return pl.concat(frames) if frames else pl.DataFrame(schema=SIM_COLUMNS)


def summarise(sims: pl.DataFrame, n_groups: int = 2, level: float = 0.95) -> pl.DataFrame:
    """Power of every test at every design point, with its Wilson interval.

    A simulation whose fit failed counts as not rejecting (``n_failed``).

    Returns
    -------
    polars.DataFrame
        n_per_group, n_trials, n_sessions, n_subjects, test, n_sims, n_rejected, power,
        ci_low, ci_high, ci_level, mc_se, n_failed, n_singular, mean_estimate.

    Examples
    --------
    >>> sims = pl.DataFrame({"n_per_group": 5, "n_trials": 1, "n_sessions": 1,
    ...                      "sim": [0, 1, 2, 3], "test": ["t", "t", "t", None],
    ...                      "estimate": 1.0, "reject": [True, True, False, False],
    ...                      "singular": False, "error": [None, None, None, "failed"]})
    >>> summarise(sims).select("test", "n_sims", "n_rejected", "power", "n_failed").row(0)
    ('t', 4, 2, 0.5, 1)
    """
    per_point = sims.group_by(POINT_KEYS, maintain_order=True).agg(
        n_sims=pl.col("sim").n_unique(),
        n_failed=pl.col("sim").filter(pl.col("error").is_not_null()).n_unique(),
    )
    ok = sims.filter(pl.col("test").is_not_null())
    tests = ok.select("test").unique(maintain_order=True)
    # every point x every test, so that a point whose fits all failed has power 0
    table = (
        per_point.join(tests, how="cross")
        .join(
            ok.group_by([*POINT_KEYS, "test"]).agg(
                n_rejected=pl.col("reject").sum().cast(pl.Int64),
                n_singular=pl.col("singular").sum().cast(pl.Int64),
                mean_estimate=pl.col("estimate").mean(),
            ),
            on=[*POINT_KEYS, "test"],
            how="left",
        )
        .with_columns(pl.col("n_rejected", "n_singular").fill_null(0))
        .sort(POINT_KEYS, maintain_order=True)
    )
    k, n = table["n_rejected"].to_numpy(), table["n_sims"].to_numpy()
    lo, hi = wilson_interval(k, n, level)
    power = k / n
    return table.select(
        *POINT_KEYS,
        n_subjects=pl.col("n_per_group") * n_groups,
        test=pl.col("test"),
        n_sims=pl.col("n_sims").cast(pl.Int64),
        n_rejected=pl.col("n_rejected"),
        power=pl.Series(power),
        ci_low=pl.Series(lo),
        ci_high=pl.Series(hi),
        ci_level=pl.lit(level),
        mc_se=pl.Series(np.sqrt(power * (1 - power) / n)),
        n_failed=pl.col("n_failed").cast(pl.Int64),
        n_singular=pl.col("n_singular"),
        mean_estimate=pl.col("mean_estimate"),
    )


def smallest_n(summary: pl.DataFrame, test: str, target: float = 0.8) -> pl.DataFrame:
    """Per trials x sessions: the fewest subjects per group whose power reaches ``target``
    (``n_per_group``; null when no design of the grid does) and whose whole Monte Carlo interval
    lies above it (``n_per_group_ci``).

    Examples
    --------
    >>> s = pl.DataFrame({"n_per_group": [4, 8, 12], "n_trials": 1, "n_sessions": 2,
    ...                   "test": "t", "power": [0.5, 0.82, 0.95], "ci_low": [0.4, 0.78, 0.9]})
    >>> smallest_n(s, "t").row(0)
    (1, 2, 't', 0.8, 8, 0.82, 12)
    """
    rows = []
    part = summary.filter(pl.col("test") == test)
    if not part.height:
        raise ValueError(f"no test {test!r} in the summary: {summary['test'].unique().to_list()}")
    for (trials, sessions), grp in part.group_by(["n_trials", "n_sessions"], maintain_order=True):
        grp = grp.sort("n_per_group")
        hit = grp.filter(pl.col("power") >= target)
        sure = grp.filter(pl.col("ci_low") >= target)
        rows.append(
            (
                trials,
                sessions,
                test,
                target,
                hit["n_per_group"][0] if hit.height else None,
                hit["power"][0] if hit.height else None,
                sure["n_per_group"][0] if sure.height else None,
            )
        )
    schema = {
        "n_trials": pl.Int64,
        "n_sessions": pl.Int64,
        "test": pl.String,
        "target_power": pl.Float64,
        "n_per_group": pl.Int64,
        "power": pl.Float64,
        "n_per_group_ci": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["n_trials", "n_sessions"])
