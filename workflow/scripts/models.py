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

from analysis.models import analyse_outcomes  # noqa: E402
from analysis.models.analyse import outcome_pool  # noqa: E402
from analysis.models.pooling import POOLED, pooled_spec  # noqa: E402


def main(sm) -> None:
    sys.stderr = open(sm.log[0], "w")
    threadpool_limits(1)
    outcomes = pl.read_parquet(sm.input.outcomes)
    cfg = sm.params.models
    pooled = sm.wildcards.cohort == POOLED
    results: dict[str, list[pl.DataFrame]] = {}
    # one pool of sm.threads workers for all families: each worker starts (imports) once
    pool = outcome_pool(sm.threads) if sm.threads > 1 else contextlib.nullcontext(1)
    with pool as workers:
        for (family,), part in outcomes.group_by("family", maintain_order=True):
            formula = cfg["formula"].get(family, cfg["formula"]["default"])
            if pooled:
                formula = pooled_spec(formula, sm.params.pooling["cohort_effect"])
            print(f"{family}: {part['outcome'].n_unique()} outcomes, {formula}", file=sys.stderr)
            res = analyse_outcomes(
                part,
                formula,
                family_col=[
                    c for c in cfg.get("multiplicity_family", ["family"]) if c in part.columns
                ],
                adjust=cfg.get("adjust", "holm"),
                ddf=cfg.get("ddf", "satterthwaite"),
                levels=sm.params.levels,
                primary=cfg.get("primary", {}).get(family),
                workers=workers,
            )
            for k, v in res.items():
                if pooled and "cohort" in v.columns:
                    v = v.with_columns(pl.lit(POOLED).alias("cohort"))
                results.setdefault(k, []).append(v)
    for k in sm.output.keys():
        parts = [p for p in results.get(k, []) if p.height]
        table = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        # one chunk: the file's row groups (and so its bytes and checksum) are the same whether
        # the frames were built here or sent back by worker processes
        table.rechunk().write_parquet(sm.output[k])


# the pool's spawned workers import this file as __mp_main__: only the job itself runs main()
if __name__ == "__main__":
    main(snakemake)  # noqa: F821
