"""Snakemake glue: the report's landing section (main results table and key figures)."""

import sys
from pathlib import Path

import polars as pl

from analysis.report.landing import LandingFigure, landing_html
from analysis.report.tables import format_results, results_table
from analysis.report.tables.formats import html_fragment

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort
figures = []
if "ensemble" in sm.input.keys():
    figures.append(
        LandingFigure(
            "ensemble",
            Path(sm.input.ensemble),
            "EMG ensemble curves",
            "Mean envelope per muscle walking forward and backward with 95% CI bands; grey "
            "spans are SPM clusters. Full caption in the EMG category.",
        )
    )
figures.append(
    LandingFigure(
        "forest",
        Path(sm.input.forest),
        "Forest plot of the contrasts",
        "Backward minus forward contrasts per outcome with unadjusted 95% CIs; filled "
        "markers: multiplicity-adjusted p below alpha. Full caption in the Models category.",
    )
)
out = landing_html(
    cohort,
    html_fragment(
        format_results(
            results_table(pl.read_parquet(sm.input.contrasts), pl.read_parquet(sm.input.emmeans))
        )
    ),
    figures,
    summary=(
        "The main results table and the key figures of this cohort; the categories below "
        "hold every figure, table and the methods and results text."
    ),
)
Path(sm.output.html).write_text(out, encoding="utf-8")
print(f"wrote {sm.output.html} ({len(out)} characters)", file=sys.stderr)
