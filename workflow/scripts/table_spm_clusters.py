"""Snakemake glue: the SPM cluster table in CSV, Markdown, LaTeX and HTML."""

import sys

import polars as pl

from analysis.report import tables

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
table = tables.cluster_table(pl.read_parquet(sm.input.clusters))
display = tables.format_clusters(table)
caption = f"SPM clusters, cohort {cohort}"
tables.write_table(
    table,
    sm.output.csv.removesuffix(".csv"),
    ["csv", "md", "tex", "html"],
    display=display,
    caption=caption,
    label=f"tab:spm_clusters-{cohort}",
)
print(f"{table.height} rows", file=sys.stderr)
