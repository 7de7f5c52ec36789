"""Snakemake glue: the standardised backward-forward effect curve per muscle."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
clusters = pl.read_parquet(sm.input.clusters)
if clusters.height:
    clusters = clusters.filter(pl.col("test") == "paired t")
effect = pl.read_parquet(sm.input.effect)
if "effect" in effect.columns and effect.height:  # a declared factor: its first contrast
    first = effect["effect"][0]
    effect = effect.filter(pl.col("effect") == first)
    clusters = clusters.filter(pl.col("effect") == first) if clusters.height else clusters
fig = figures.plot_effect_size(effect, clusters, cohort=cohort)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
