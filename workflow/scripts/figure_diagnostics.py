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
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
