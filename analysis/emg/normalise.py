"""CEDE amplitude normalisation: the reference of each muscle (MVC where recorded, else the
peak of the subject's mean forward envelope), shared by both walking directions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from analysis.core.signal import EMG
from analysis.emg.filters import (
    bandpass,
    moving_average,
    notch,
    rectify,
)
from analysis.emg.trials import _Trial
from analysis.ingest.readers.channels import CANONICAL_MUSCLES

METHOD_MVC = "mvc"


METHOD_REFERENCE = "reference: peak of mean forward envelope"


METHOD_REFERENCE_ALL = "reference: peak of mean envelope, all directions (no forward cycles)"


METHOD_NONE = "none: no usable cycles"


UNIT_MVC = "%MVC"


UNIT_REF = "% reference"


def mvc_reference(mvc: EMG | list[EMG], muscle: str, params: Mapping) -> float:
    """Peak of the moving-average envelope of a muscle's MVC trial(s), in microvolts.

    ``params`` are complete EMG parameters (:func:`analysis.core.settings.merge_params`).

    The MVC recording is band-passed (and notched) like the walking trials, rectified and
    smoothed with a centred moving average of ``normalisation.mvc_window_s`` seconds; the
    reference is the highest value over all MVC trials given.

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(5000) / 1000.0
    >>> x = rng.standard_normal(5000) * np.where((t > 2) & (t < 4), 100.0, 5.0)
    >>> ref = mvc_reference(EMG(x, 1000.0, ("VL",)), "VL", merge_params())
    >>> bool(70 < ref < 85)  # mean rectified value of Gaussian noise of SD 100: 79.8
    True
    """
    bp, nt = params["bandpass"], params["notch"]
    best = np.nan
    for emg in mvc if isinstance(mvc, list | tuple) else [mvc]:
        x = emg.select([muscle]) if muscle in emg.channels else emg
        if len(x.channels) != 1:
            raise ValueError(f"MVC recording has no channel {muscle} (channels {emg.channels})")
        y = bandpass(x, bp["low_hz"], bp["high_hz"], int(bp["order"]),
                     correct_double_pass=bool(bp["correct_double_pass"]),
                     max_nyquist_fraction=float(bp["max_nyquist_fraction"]))  # fmt: skip
        if nt["enabled"]:
            y = notch(y, float(nt["mains_hz"]), int(nt["harmonics"]), float(nt["quality"]))
        env = moving_average(rectify(y), float(params["normalisation"]["mvc_window_s"]))
        best = np.nanmax([best, np.nanmax(env.data)])
    return float(best)


def _references(
    trials: list[_Trial], p: dict, mvc: dict | None
) -> dict[str, tuple[float, str, int]]:
    method = p["normalisation"]["method"]
    order = {m: i for i, m in enumerate(CANONICAL_MUSCLES)}
    muscles = sorted({m for t in trials for m in t.muscles}, key=lambda m: (order.get(m, 99), m))
    refs: dict[str, tuple[float, str, int]] = {}
    for m in muscles:
        if method in ("auto", "mvc") and mvc and m in mvc:
            refs[m] = (mvc_reference(mvc[m], m, p), METHOD_MVC, 0)
            continue
        if method == "mvc":
            raise ValueError(
                f"emg.normalisation.method is 'mvc' but no MVC recording was given for {m}"
            )
        stacks = {"forward": [], "all": []}
        for t in trials:
            if m not in t.muscles or not t.used.size:
                continue
            k = t.muscles.index(m)
            keep = ~t.excluded[:, k]
            c = t.curves[keep, k, :]
            stacks["all"].append(c)
            if t.rec.direction == "forward":
                stacks["forward"].append(c)
        for key, label in (("forward", METHOD_REFERENCE), ("all", METHOD_REFERENCE_ALL)):
            c = np.concatenate(stacks[key]) if stacks[key] else np.empty((0, 1))
            if c.shape[0]:
                refs[m] = (float(np.nanmax(np.nanmean(c, axis=0))), label, int(c.shape[0]))
                break
        else:
            refs[m] = (np.nan, METHOD_NONE, 0)
    return refs


def _normalisation_frame(refs: dict, cohort: str, subject: str) -> pl.DataFrame:
    rows = [
        (cohort, subject, m, method, ref, "uV", UNIT_MVC if method == METHOD_MVC else UNIT_REF, n)
        for m, (ref, method, n) in refs.items()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "cohort": pl.String,
            "subject": pl.String,
            "muscle": pl.String,
            "method": pl.String,
            "reference_value": pl.Float64,
            "units": pl.String,
            "norm_unit": pl.String,
            "n_cycles": pl.Int64,
        },  # fmt: skip
        orient="row",
    )
