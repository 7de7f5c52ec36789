"""Snakemake glue: between-cohort heterogeneity table."""

import sys

import polars as pl

from analysis.models.pooling import heterogeneity
from analysis.report.tables import write_table

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

contrasts = pl.concat([pl.read_parquet(p) for p in sm.input.contrasts], how="diagonal_relaxed")
table = heterogeneity(contrasts)
write_table(
    table,
    sm.output.csv.removesuffix(".csv"),
    ["csv", "md", "tex", "html"],
    caption="Between-cohort heterogeneity of backward - forward contrasts",
    decimals=3,
)
