"""Snakemake glue: one outcome table across cohorts."""

import sys

import polars as pl

from analysis.models.pooling import pool_outcomes

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

tables = {c: pl.read_parquet(p) for c, p in zip(sm.params.cohorts, sm.input.outcomes, strict=True)}
pooled = pool_outcomes(tables, sm.params.pain_scales)
pooled.write_parquet(sm.output.parquet)
pooled.write_csv(sm.output.csv, float_precision=6)
print(f"{pooled.height} rows from {len(tables)} cohorts", file=sys.stderr)
