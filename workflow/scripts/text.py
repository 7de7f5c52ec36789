"""Snakemake glue: the methods paragraph and the results summary of a cohort."""

import sys

import polars as pl

from analysis.emg import methods_text as emg_methods_text
from analysis.emg.summary import no_data_reason
from analysis.report.findings import results_text
from analysis.report.methods import methods_text
from analysis.report.nodata import (
    empty_families,
    no_data_methods,
    no_data_results,
    not_fitted_results,
)

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821


def read(name):
    return pl.read_parquet(sm.input[name]) if name in sm.input.keys() else None


contrasts, spm, norm = read("contrasts"), read("clusters"), read("normalisation")
angle_spm = read("angle_clusters")  # joint angles, where the recordings hold them
method = norm["method"][0] if norm is not None and norm.height else None
settings = sm.params.settings  # analysis.core.settings.Settings of this cohort
emg_paragraph = emg_methods_text(settings.emg) if norm is not None else None
methods = methods_text(
    settings,
    contrasts=contrasts,
    spm=spm,
    normalisation=method,
    emg_paragraph=emg_paragraph,
    data=read("data"),
    variance=read("variance"),
    angle_spm=angle_spm,
)
results = results_text(
    contrasts,
    spm=spm,
    alpha=settings.models.alpha,
    labels=sm.params.labels,
    normalisation=norm,
    angle_spm=angle_spm,
)
# families of an EMG cohort that ended up with no usable data: said, not left out silently
if norm is not None:
    qc = read("qc")
    reasons = {
        f: no_data_reason(qc) if f == "emg" else "no gait cycle was usable"
        for f in empty_families(["emg", "spatiotemporal"], contrasts)
    }
    if reasons:
        methods = f"{methods}\n\n{no_data_methods(reasons)}"
        results = f"{results}\n\n{no_data_results(reasons)}"
unfitted = not_fitted_results(read("fits"), sm.params.labels)
if unfitted:
    results = f"{results}\n\n{unfitted}"
with open(sm.output.methods, "w") as fh:
    fh.write(f"# Methods ({sm.wildcards.cohort})\n\n{methods}\n")
with open(sm.output.results, "w") as fh:
    fh.write(f"# Results ({sm.wildcards.cohort})\n\n{results}\n")
