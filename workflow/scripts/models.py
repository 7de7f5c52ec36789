"""Snakemake glue: fit the mixed models of a cohort's (or the pooled) outcome table."""

import sys

import polars as pl
from threadpoolctl import threadpool_limits

from analysis.pooling import POOLED, pooled_formula
from analysis.stats import analyse_outcomes

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
# one BLAS thread: the same numbers to the last bit whatever the executor gives the job
threadpool_limits(1)

outcomes = pl.read_parquet(sm.input.outcomes)
cfg = sm.params.models
pooled = sm.wildcards.cohort == POOLED
results: dict[str, list[pl.DataFrame]] = {}
for (family,), part in outcomes.group_by("family", maintain_order=True):
    formula = cfg["formula"].get(family, cfg["formula"]["default"])
    if pooled:
        formula = pooled_formula(formula, sm.params.pooling["cohort_effect"])
    print(f"{family}: {part['outcome'].n_unique()} outcomes, {formula}", file=sys.stderr)
    res = analyse_outcomes(
        part,
        formula,
        family_col=[c for c in cfg.get("multiplicity_family", ["family"]) if c in part.columns],
        adjust=cfg.get("adjust", "holm"),
        ddf=cfg.get("ddf", "satterthwaite"),
        levels=sm.params.levels,
        primary=cfg.get("primary", {}).get(family),
    )
    for k, v in res.items():
        if pooled and "cohort" in v.columns:
            v = v.with_columns(pl.lit(POOLED).alias("cohort"))
        results.setdefault(k, []).append(v)
for k in sm.output.keys():
    parts = [p for p in results.get(k, []) if p.height]
    table = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    table.write_parquet(sm.output[k])
