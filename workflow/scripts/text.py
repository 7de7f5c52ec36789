"""Snakemake glue: the methods paragraph and the results summary of a cohort."""

import sys

import polars as pl

from analysis.emg import methods_text as emg_methods_text
from analysis.report.findings import results_text
from analysis.report.methods import methods_text

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821


def read(name):
    return pl.read_parquet(sm.input[name]) if name in sm.input.keys() else None


contrasts, spm, norm = read("contrasts"), read("clusters"), read("normalisation")
method = norm["method"][0] if norm is not None and norm.height else None
settings = sm.params.settings  # analysis.core.settings.Settings of this cohort
emg_paragraph = emg_methods_text(settings.emg) if norm is not None else None
methods = methods_text(
    settings,
    contrasts=contrasts,
    spm=spm,
    normalisation=method,
    emg_paragraph=emg_paragraph,
)
results = results_text(
    contrasts,
    spm=spm,
    alpha=settings.models.alpha,
    labels=sm.params.labels,
    normalisation=norm,
)
with open(sm.output.methods, "w") as fh:
    fh.write(f"# Methods ({sm.wildcards.cohort})\n\n{methods}\n")
with open(sm.output.results, "w") as fh:
    fh.write(f"# Results ({sm.wildcards.cohort})\n\n{results}\n")
