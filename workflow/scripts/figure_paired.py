"""Snakemake glue: one outcome family's subject means, forward vs backward."""

import sys

import polars as pl

from analysis.models.waveform import paired_contrasts
from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
outcomes = pl.read_parquet(sm.input.outcomes)
family = sm.params.family
if outcomes.filter(pl.col("family") == family).height == 0:
    # a family that ended up with no usable data (e.g. every EMG channel flagged)
    fig = figures.no_data_figure(
        f"{family} outcomes", "nothing left after quality control (see the QC table)"
    )
else:
    # backward vs forward, else the first contrast of a declared trial factor (factors:)
    part = outcomes.filter(pl.col("family") == family)
    factors = {k: v for k, v in sm.params.levels.items() if k not in ("session", "group")}
    contrasts = paired_contrasts(part, factors)
    fig = figures.plot_paired(
        outcomes,
        cohort=cohort,
        family=family,
        labels=sm.params.labels,
        contrast=contrasts[0] if contrasts else None,
    )
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
