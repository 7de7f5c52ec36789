"""Snakemake glue: concatenate the per-subject EMG tables of a cohort."""

import sys

import polars as pl

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

for kind in ("curves", "features", "qc", "spatiotemporal", "normalisation"):
    parts = [pl.read_parquet(p) for p in sm.input[kind]]
    table = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    table.write_parquet(sm.output[kind])
    print(f"{kind}: {table.height} rows from {len(parts)} subjects", file=sys.stderr)
