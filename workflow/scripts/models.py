"""Snakemake glue: fit the mixed models of a cohort's (or the pooled) outcome table."""

import os

# one polars thread (read when polars loads) and one BLAS thread: the same numbers to the last
# bit whatever the executor gives the job, and whether the models are fitted here or in the
# job's worker processes (analyse_outcomes(..., workers=pool), same settings)
os.environ["POLARS_MAX_THREADS"] = "1"

import contextlib  # noqa: E402
import sys  # noqa: E402

import polars as pl  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from analysis.models.pooling import POOLED  # noqa: E402
from analysis.models.study import fit_study  # noqa: E402
from analysis.models.workers import outcome_pool  # noqa: E402


def main(sm) -> None:
    sys.stderr = open(sm.log[0], "w")
    threadpool_limits(1)
    outcomes = pl.read_parquet(sm.input.outcomes)
    settings = sm.params.settings  # analysis.core.settings.Settings
    pooled = sm.wildcards.cohort == POOLED
    # one pool of sm.threads workers for all families: each worker starts (imports) once
    pool = outcome_pool(sm.threads) if sm.threads > 1 else contextlib.nullcontext(1)
    with pool as workers:
        results = fit_study(
            outcomes,
            settings.models,
            levels=sm.params.levels,
            cohort_effect=settings.pooling.cohort_effect if pooled else None,
            workers=workers,
            log=sys.stderr,
        )
    for k in sm.output.keys():
        # the engine's "models" table (one row per fit) is the rule's "fits" output
        table = results.get("models" if k == "fits" else k, pl.DataFrame())
        # one chunk: the file's row groups (and so its bytes and checksum) are the same whether
        # the frames were built here or sent back by worker processes
        table.rechunk().write_parquet(sm.output[k])


# the pool's spawned workers import this file as __mp_main__: only the job itself runs main()
if __name__ == "__main__":
    main(snakemake)  # noqa: F821
