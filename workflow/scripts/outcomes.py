"""Snakemake glue: build a cohort's long outcome table."""

import sys

import polars as pl

from analysis.outcomes import outcome_table

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
settings = sm.params.settings  # analysis.core.settings.Settings of this cohort


def read(name):
    return pl.read_parquet(sm.input[name]) if name in sm.input.keys() else None


def read_features():
    """Only the features and phases that become outcomes: a fraction of a large cohort's table."""
    if "features" not in sm.input.keys():
        return None
    wanted = settings.outcomes
    return (
        pl.scan_parquet(sm.input.features)
        .filter(
            pl.col("feature").is_in(wanted.emg_features),
            pl.col("phase").is_in(wanted.emg_phases),
        )
        .collect()
    )


norm = read("normalisation")
unit = norm["norm_unit"][0] if norm is not None and norm.height else "% reference"
table = outcome_table(
    read("participants"),
    read("measures"),
    read_features(),
    read("spatiotemporal"),
    read("qc"),
    emg_features=list(settings.outcomes.emg_features),
    emg_phases=list(settings.outcomes.emg_phases),
    emg_unit=unit,
    exclude_flagged=settings.emg.qc.exclude_flagged,
    trials=read("trials"),
    factors=list(sm.params.factors),  # declared trial factors (factors: in cohort.yaml)
    kinematics=read("angle_features"),
)
table.write_parquet(sm.output.parquet)
table.write_csv(sm.output.csv, float_precision=6)
print(f"{table.height} outcome rows, {table['outcome'].n_unique()} outcomes", file=sys.stderr)
