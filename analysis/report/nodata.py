"""Sentences for outcome families that ended up with no usable data.

A family with no data (e.g. every EMG channel flagged by quality control) is skipped by the
models, SPM, figures and tables; the methods and results text say so instead of staying silent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from analysis.report.labels import outcome_label

__all__ = ["empty_families", "no_data_methods", "no_data_results", "not_fitted_results"]

_NAMES = {"emg": "EMG", "spatiotemporal": "spatiotemporal"}
_TITLES = {"emg": "EMG", "spatiotemporal": "Spatiotemporal"}


def empty_families(expected: Sequence[str], contrasts: pl.DataFrame | None) -> list[str]:
    """The ``expected`` families without any contrast (in the order given).

    Examples
    --------
    >>> c = pl.DataFrame({"family": ["pain", "spatiotemporal"]})
    >>> empty_families(["emg", "spatiotemporal", "pain"], c)
    ['emg']
    """
    have = set()
    if contrasts is not None and contrasts.height and "family" in contrasts.columns:
        have = set(contrasts["family"].drop_nulls().to_list())
    return [f for f in expected if f not in have]


def no_data_methods(reasons: Mapping[str, str]) -> str:
    """One methods sentence per family without usable data (empty when none).

    Examples
    --------
    >>> no_data_methods({"emg": "quality control excluded every EMG cycle (flat: 4 rows)"})
    'The EMG outcomes had no usable data (quality control excluded every EMG cycle (flat: 4 rows)) and were not analysed.'
    """  # noqa: E501
    return " ".join(
        f"The {_NAMES.get(f, f)} outcomes had no usable data ({why}) and were not analysed."
        for f, why in reasons.items()
    )


def no_data_results(reasons: Mapping[str, str]) -> str:
    """One results paragraph per family without usable data (empty when none).

    Examples
    --------
    >>> no_data_results({"emg": "no EMG gait cycle was recorded or detected"})
    '**EMG.** No usable data: no EMG gait cycle was recorded or detected; no EMG outcome, waveform test or figure could be computed.'
    """  # noqa: E501
    return "\n\n".join(
        f"**{_TITLES.get(f, f.capitalize())}.** No usable data: {why}; no {_NAMES.get(f, f)} "
        f"outcome{', waveform test' if f == 'emg' else ''} or figure could be computed."
        for f, why in reasons.items()
    )


def not_fitted_results(fits: pl.DataFrame | None, labels: Mapping[str, str] | None = None) -> str:
    """One results paragraph naming every model that could not be fitted, and why.

    ``fits`` is the models stage's table of fits (one row per outcome and analysis, ``error``
    null for a fit that succeeded); empty text when every model was fitted.

    Examples
    --------
    >>> fits = pl.DataFrame({"outcome": ["pain", "balance"], "model": "cumulative link mixed model",
    ...     "analysis": "primary", "error": ["no finite estimates", None]})
    >>> not_fitted_results(fits)
    '**Models not fitted.** The cumulative link mixed model (primary analysis) of pain could not be fitted: no finite estimates. No estimate of it is reported.'
    """  # noqa: E501
    if fits is None or not fits.height or "error" not in fits.columns:
        return ""
    failed = fits.filter(pl.col("error").is_not_null())
    if not failed.height:
        return ""
    sentences = []
    for row in failed.iter_rows(named=True):
        model = row.get("model") or "model"
        analysis = f" ({row['analysis']} analysis)" if row.get("analysis") else ""
        name = outcome_label(str(row["outcome"]), labels)
        sentences.append(
            f"The {model}{analysis} of {name} could not be fitted: {row['error'].rstrip('.')}."
        )
    noun = "No estimate of it is" if failed.height == 1 else "No estimate of these is"
    return f"**Models not fitted.** {' '.join(sentences)} {noun} reported."
