"""Snakemake glue: category probabilities of an ordinal outcome family, from its model."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
emmeans = pl.read_parquet(sm.input.emmeans).filter(pl.col("family") == sm.params.family)
fig = figures.plot_category_probabilities(
    emmeans, cohort=sm.wildcards.cohort, labels=sm.params.labels
)
written = figures.save_figure(
    fig,
    sm.output[0].rsplit(".", 1)[0],
    formats=sm.params.settings.figures.formats,
    dpi=sm.params.settings.figures.dpi,
)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
