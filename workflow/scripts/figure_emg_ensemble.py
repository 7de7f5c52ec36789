"""Snakemake glue: EMG ensemble curves per muscle, SPM clusters shaded."""

import sys

import polars as pl

from analysis.models.waveform import trial_means
from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
clusters = pl.read_parquet(sm.input.clusters)
if clusters.height:
    clusters = clusters.filter(pl.col("test") == "paired t")
fig = figures.plot_ensemble(
    trial_means(pl.scan_parquet(sm.input.curves)),
    clusters,
    figures.mean_toe_off(pl.read_parquet(sm.input.spatiotemporal)),
    cohort=cohort,
    normalisation=pl.read_parquet(sm.input.normalisation),
    groups=sm.params.levels.get("group") or None,
)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
