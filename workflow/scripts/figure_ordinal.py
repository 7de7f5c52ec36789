"""Snakemake glue: category probabilities of an ordinal outcome family, from its model."""

import sys

import polars as pl

from analysis.models.study import not_fitted
from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
family = sm.params.family
emmeans = pl.read_parquet(sm.input.emmeans).filter(pl.col("family") == family)
if "quantity" in emmeans.columns and emmeans.filter(pl.col("quantity") == "prob").height:
    fig = figures.plot_category_probabilities(
        emmeans, cohort=sm.wildcards.cohort, labels=sm.params.labels
    )
else:
    # the ordinal model of every outcome failed: say so, with the engine's reasons
    fits = pl.read_parquet(sm.input.fits)
    if fits.height:
        fits = fits.filter(pl.col("family") == family)
    reasons = "; ".join(f"{o}: {why}" for o, why in not_fitted(fits))
    fig = figures.no_data_figure(
        f"{family} category probabilities", reasons or "the ordinal model was not fitted"
    )
    print(f"no ordinal model of {family} was fitted: {reasons}", file=sys.stderr)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
