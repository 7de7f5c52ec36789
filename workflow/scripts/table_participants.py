"""Snakemake glue: Table 1 (participants per group) in CSV, Markdown, LaTeX and HTML."""

import sys

import polars as pl

from analysis.report import tables

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
table = tables.table1(pl.read_parquet(sm.input.participants))
display = None
caption = f"Participants of cohort {cohort}"
tables.write_table(
    table,
    sm.output.csv.removesuffix(".csv"),
    ["csv", "md", "tex", "html"],
    display=display,
    caption=caption,
    label=f"tab:participants-{cohort}",
)
print(f"{table.height} rows", file=sys.stderr)
