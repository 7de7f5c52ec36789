"""Snakemake glue: concatenate the per-subject EMG tables of a cohort."""

import sys

import polars as pl

from analysis.emg.summary import emg_summary

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

for kind in (
    "curves",
    "features",
    "qc",
    "spatiotemporal",
    "normalisation",
    "angle_curves",
    "angle_features",
):
    files = list(sm.input[kind])
    if not files:
        pl.DataFrame().write_parquet(sm.output[kind])
        continue
    # streamed: the cohort's curves need not fit in memory at once
    table = pl.concat([pl.scan_parquet(f) for f in files], how="diagonal_relaxed")
    table.sink_parquet(sm.output[kind])
    print(f"{kind}: {len(files)} subjects", file=sys.stderr)

# what is left usable; a family with no data is said here and skipped downstream
summary = emg_summary(
    sm.wildcards.cohort, pl.scan_parquet(sm.output.features), pl.read_parquet(sm.output.qc)
)
with open(sm.output.summary, "w") as fh:
    fh.write(summary.text + "\n")
print(summary.text, file=sys.stderr)
