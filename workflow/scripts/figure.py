"""Snakemake glue: draw one figure (chosen by the rule's name) and save it in every format."""

import sys

import polars as pl

from analysis import figures
from analysis.spm import trial_means

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort


def read(name):
    return pl.read_parquet(sm.input[name])


def paired_clusters():
    clusters = read("clusters")
    return clusters.filter(pl.col("test") == "paired t") if clusters.height else clusters


DRAW = {
    "figure_emg_ensemble": lambda: figures.plot_ensemble(
        trial_means(pl.scan_parquet(sm.input.curves)),
        paired_clusters(),
        figures.mean_toe_off(read("spatiotemporal")),
        cohort=cohort,
    ),
    "figure_emg_effect_size": lambda: figures.plot_effect_size(
        read("effect"), paired_clusters(), cohort=cohort
    ),
    "figure_paired": lambda: figures.plot_paired(
        read("outcomes"), cohort=cohort, family=sm.params.family, labels=sm.params.labels
    ),
    "figure_sessions": lambda: figures.plot_paired_sessions(
        read("outcomes"),
        cohort=cohort,
        family=sm.params.family,
        session_order=sm.params.levels["session"],
        labels=sm.params.labels,
    ),
    "figure_forest": lambda: figures.plot_forest(
        read("contrasts"),
        cohort=cohort,
        alpha=sm.params.get("alpha", 0.05),
        labels=sm.params.labels,
    ),
    "figure_trajectories": lambda: figures.plot_trajectories(
        read("outcomes"),
        cohort=cohort,
        session_order=sm.params.levels["session"],
        labels=sm.params.labels,
    ),
    "figure_qc": lambda: figures.plot_qc(read("qc"), cohort=cohort),
    "figure_diagnostics": lambda: figures.plot_diagnostics(
        read("residuals"), read("random_effects"), labels=sm.params.labels
    ),
}

kind = sm.rule
for prefix in ("figure_paired", "figure_sessions"):
    if sm.rule.startswith(prefix + "_"):
        kind = prefix
fig = DRAW[kind]()
stem = sm.output[0].rsplit(".", 1)[0]
written = figures.save_figure(
    fig, stem, formats=sm.params.figures["formats"], dpi=sm.params.figures["dpi"]
)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
