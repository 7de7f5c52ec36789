"""Snakemake glue: hip, knee and ankle angles per condition, SPM clusters shaded."""

import sys

import polars as pl

from analysis.models.waveform import paired_contrasts, trial_means
from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
factors = {k: v for k, v in sm.params.levels.items() if k not in ("session", "group")}
keys = ["cohort", "subject", "session", "direction", "trial"]
curves = trial_means(pl.scan_parquet(sm.input.curves).drop("unit"), muscle="joint")
curves = curves.rename({"muscle": "joint"})
if factors and curves.height:
    trials = pl.read_parquet(sm.input.trials).select(*keys, *factors)
    curves = curves.join(trials.with_columns(pl.col("trial").cast(curves["trial"].dtype)), on=keys)
contrasts = paired_contrasts(curves, factors) if curves.height else []
clusters = pl.read_parquet(sm.input.clusters)
if contrasts:
    contrast = contrasts[0]  # backward - forward, else a declared factor's first contrast
    if clusters.height:
        effect = f"{contrast[1]} - {contrast[2]}"
        clusters = clusters.filter((pl.col("test") == "paired t") & (pl.col("effect") == effect))
    fig = figures.plot_angles(
        curves, contrast, clusters, cohort=cohort, ci=sm.params.settings.models.ci_level
    )
else:
    fig = figures.no_data_figure("joint angles", "no two conditions to compare")
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
