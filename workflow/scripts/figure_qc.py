"""Snakemake glue: the EMG quality-control overview."""

import sys

import polars as pl

from analysis.report import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
qc = pl.read_parquet(sm.input.qc)
if "flag" in qc.columns:  # where the events came from is a record, not a flag
    qc = qc.filter(pl.col("flag") != "events_source")
fig = figures.plot_qc(qc, cohort=cohort)
written = figures.save_output(fig, sm.output[0], sm.params.settings.figures)
print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
