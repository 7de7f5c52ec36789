"""EMG parameters: the defaults of ``config/config.yaml`` (``emg:``) and their validation."""

from __future__ import annotations

import copy
from typing import Any

# Mirrors the `emg:` block of config/config.yaml; a cohort's cohort.yaml may override any key.
DEFAULTS: dict[str, Any] = {
    "bandpass": {
        "low_hz": 20.0,
        "high_hz": 450.0,
        "order": 4,
        "correct_double_pass": False,
        "max_nyquist_fraction": 0.9,
    },
    "notch": {"enabled": False, "mains_hz": 50.0, "harmonics": 3, "quality": 30.0},
    "envelope": {
        "method": "lowpass",
        "lowpass_hz": 6.0,
        "order": 4,
        "correct_double_pass": False,
        "rms_window_s": 0.05,
    },
    "gaps": {"min_segment_s": 0.5},
    "unmapped_channels": "skip",
    "normalisation": {
        "method": "auto",
        "reference": "peak_mean_forward",
        "mvc_window_s": 0.5,
    },
    "cycles": {
        "points": 101,
        "side": "right",
        "min_stride_s": 0.6,
        "max_stride_s": 2.5,
        "min_stance_pct": 45.0,
        "max_stance_pct": 80.0,
    },
    "footswitch": {"threshold_fraction": 0.2, "min_contact_s": 0.2, "min_swing_s": 0.15},
    "onset": {"baseline_sd": 3.0, "min_duration_pct": 5.0, "baseline_window_pct": 10.0},
    "cocontraction_pairs": [["VL", "BF"], ["TA", "GM"]],
    "qc": {
        "exclude_flagged": True,
        "flat_sd_uv": 1.0,
        "clipping_fraction": 0.01,
        "mains_ratio": 0.3,
        "ecg_ratio": 0.5,
        "cycle_duration_mad": 3.5,
        "cycle_duration_min_dev_pct": 10.0,
        "spectral_max_s": 10.0,
    },
}


def merge_params(params: dict | None = None) -> dict:
    """Defaults overridden by ``params`` (nested dictionaries merged key by key), validated.

    Parameters
    ----------
    params : dict, optional
        The merged ``emg:`` block of the configuration (study config plus cohort overrides).

    Returns
    -------
    dict
        A complete parameter dictionary.

    Examples
    --------
    >>> p = merge_params({"bandpass": {"low_hz": 10}})
    >>> p["bandpass"]["low_hz"], p["bandpass"]["high_hz"]
    (10, 450.0)
    >>> merge_params({"mains_hz": 60})["notch"]["mains_hz"]
    60.0
    """
    out = copy.deepcopy(DEFAULTS)
    _deep_update(out, params or {})
    # the cohort's mains frequency (cohort.yaml emg.mains_hz, added by analysis.cohort.emg_params)
    if out.get("mains_hz") is not None:
        out["notch"]["mains_hz"] = float(out["mains_hz"])
    _validate(out)
    return out


def _deep_update(base: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _validate(p: dict) -> None:
    bp, env, cyc = p["bandpass"], p["envelope"], p["cycles"]
    if not 0 < float(bp["low_hz"]) < float(bp["high_hz"]):
        raise ValueError(
            f"emg.bandpass: need 0 < low_hz < high_hz, got {bp['low_hz']} and {bp['high_hz']}"
        )
    for name, block in (("bandpass", bp), ("envelope", env)):
        if int(block["order"]) < 1:
            raise ValueError(f"emg.{name}.order must be a positive integer")
    if env["method"] not in ("lowpass", "rms"):
        raise ValueError(f"emg.envelope.method must be 'lowpass' or 'rms', got {env['method']!r}")
    if p["normalisation"]["method"] not in ("auto", "mvc", "reference"):
        raise ValueError(
            "emg.normalisation.method must be 'auto', 'mvc' or 'reference', "
            f"got {p['normalisation']['method']!r}"
        )
    if p["normalisation"]["reference"] != "peak_mean_forward":
        raise ValueError("emg.normalisation.reference: only 'peak_mean_forward' is implemented")
    if p["unmapped_channels"] not in ("skip", "process"):
        raise ValueError("emg.unmapped_channels must be 'skip' or 'process'")
    if cyc["side"] not in ("left", "right"):
        raise ValueError(f"emg.cycles.side must be 'left' or 'right', got {cyc['side']!r}")
    if int(cyc["points"]) < 3:
        raise ValueError("emg.cycles.points must be at least 3")
    if not float(cyc["min_stride_s"]) < float(cyc["max_stride_s"]):
        raise ValueError("emg.cycles: min_stride_s must be below max_stride_s")
    if not float(cyc["min_stance_pct"]) < float(cyc["max_stance_pct"]):
        raise ValueError("emg.cycles: min_stance_pct must be below max_stance_pct")
    for pair in p["cocontraction_pairs"]:
        if len(pair) != 2:
            raise ValueError(f"emg.cocontraction_pairs: each pair needs two muscles, got {pair}")
