"""Snakemake glue: the forest plot of the main contrasts."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
fig = figures.plot_forest(
    pl.read_parquet(sm.input.contrasts),
    cohort=cohort,
    alpha=sm.params.settings.models.alpha,
    labels=sm.params.labels,
)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
