"""Snakemake glue: concatenate the per-subject EMG tables of a cohort."""

import sys

import polars as pl

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

for kind in ("curves", "features", "qc", "spatiotemporal", "normalisation"):
    files = list(sm.input[kind])
    if not files:
        pl.DataFrame().write_parquet(sm.output[kind])
        continue
    # streamed: the cohort's curves need not fit in memory at once
    table = pl.concat([pl.scan_parquet(f) for f in files], how="diagonal_relaxed")
    table.sink_parquet(sm.output[kind])
    print(f"{kind}: {len(files)} subjects", file=sys.stderr)
