"""Snakemake glue: the contrast table as CSV and Markdown."""

import sys

import polars as pl

from analysis.report.tables.formats import write_table

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

contrasts = pl.read_parquet(sm.input.contrasts)
stem = sm.output.csv.removesuffix(".csv")
write_table(contrasts, stem, ["csv", "md"], caption=f"Contrasts, cohort {sm.wildcards.cohort}")
