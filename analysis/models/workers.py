"""Worker processes fitting outcomes in parallel, with the same bits as one process."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

import polars as pl
from threadpoolctl import threadpool_limits

WORKER_ENV = {
    "POLARS_MAX_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""Environment of the worker processes of ``analyse_outcomes(..., workers=n)``: one polars and
one BLAS thread each (polars reads its thread count once, when it is imported)."""


def _init_worker() -> None:
    """Initializer of the worker processes: one thread per BLAS/OpenMP library loaded."""
    global _WORKER_LIMITS
    _WORKER_LIMITS = threadpool_limits(1)


_WORKER_LIMITS = None


def outcome_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for ``analyse_outcomes(..., workers=pool)``.

    Spawned (not forked: polars is multithreaded) with one polars and one BLAS thread per
    worker, so that their numbers do not depend on the machine's cores. Each worker imports the
    package once (2-3 s of CPU: statsmodels, scipy, pingouin), so a pool shared by several calls
    (one per outcome family, as the workflow's models rule) pays that once. Use it as a context
    manager.

    Examples
    --------
    >>> with outcome_pool(2) as pool:  # doctest: +SKIP
    ...     res = analyse_outcomes(outcomes, formula, workers=pool)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
    )


@contextlib.contextmanager
def _worker_env() -> Iterator[None]:
    """:data:`WORKER_ENV` in this process's environment, inherited by the processes started
    meanwhile (polars reads its thread count when it is imported); restored afterwards."""
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


def _map_outcomes(
    fit_one: Callable[[tuple[tuple, pl.DataFrame]], dict[str, pl.DataFrame]],
    parts: Iterable[tuple[tuple, pl.DataFrame]],
    workers: int | Executor,
) -> Iterator[dict[str, pl.DataFrame]]:
    """``map(fit_one, parts)``: here when ``workers`` is 1 (or there is one part), else in the
    pool ``workers`` or in a new :func:`outcome_pool` of ``workers`` processes (at most one per
    part). Results come in the order of ``parts`` whatever the number of workers."""
    items = list(parts)
    if isinstance(workers, Executor):
        yield from _map_in_pool(workers, getattr(workers, "_max_workers", 1), fit_one, items)
        return
    n = min(workers, len(items))
    if n <= 1:
        yield from map(fit_one, items)
        return
    with outcome_pool(n) as pool:
        yield from _map_in_pool(pool, n, fit_one, items)


def _map_in_pool(pool: Executor, n: int, fit_one: Callable, items: list) -> Iterator:
    # a few chunks per worker: less pickling than one part at a time, yet balanced loads
    chunksize = max(1, math.ceil(len(items) / (4 * n)))
    # map submits every chunk, and so starts every worker it needs, before it returns
    with _worker_env():
        results = pool.map(fit_one, items, chunksize=chunksize)
    yield from results
