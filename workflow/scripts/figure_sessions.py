"""Snakemake glue: a per-session family's first and last session, per subject."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
fig = figures.plot_paired_sessions(
    pl.read_parquet(sm.input.outcomes),
    cohort=cohort,
    family=sm.params.family,
    session_order=sm.params.levels["session"],
    labels=sm.params.labels,
)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
