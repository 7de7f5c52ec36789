"""Snakemake glue: variance components, ICC and R-squared in CSV, Markdown, LaTeX and HTML."""

import sys

import polars as pl

from analysis.report import tables

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
table = tables.variance_table(pl.read_parquet(sm.input.variance))
display = tables.format_variance(table)
caption = f"Variance components, cohort {cohort}"
tables.write_table(
    table,
    sm.output.csv.removesuffix(".csv"),
    ["csv", "md", "tex", "html"],
    display=display,
    caption=caption,
    label=f"tab:variance-{cohort}",
)
print(f"{table.height} rows", file=sys.stderr)
