"""Snakemake glue: model diagnostics (residuals and random effects)."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
fig = figures.plot_diagnostics(
    pl.read_parquet(sm.input.residuals),
    pl.read_parquet(sm.input.random_effects),
    labels=sm.params.labels,
    family=sm.params.family,
)
written = figures.save_figure(
    fig,
    sm.output[0].rsplit(".", 1)[0],
    formats=sm.params.settings.figures.formats,
    dpi=sm.params.settings.figures.dpi,
)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
