"""Snakemake glue: the main results table in CSV, Markdown, LaTeX and HTML."""

import sys

import polars as pl

from analysis.report import tables

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
table = tables.results_table(pl.read_parquet(sm.input.contrasts), pl.read_parquet(sm.input.emmeans))
display = tables.format_results(table)
caption = f"{tables.comparison_title(pl.read_parquet(sm.input.contrasts))}, cohort {cohort}"
tables.write_table(
    table,
    sm.output.csv.removesuffix(".csv"),
    ["csv", "md", "tex", "html"],
    display=display,
    caption=caption,
    label=f"tab:results-{cohort}",
)
print(f"{table.height} rows", file=sys.stderr)
