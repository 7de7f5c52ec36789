"""Is an EMG recording's amplitude plausible for the units it was read in?"""

from __future__ import annotations

import numpy as np

from analysis.core.errors import Problem
from analysis.ingest.readers.channels import is_muscle

MAX_RMS_UV = 50_000.0  # 50 mV: no surface EMG is this large over a whole recording
MIN_RMS_UV = 0.1  # 0.1 uV: below any amplifier's noise floor
_FACTORS = (("mV", 1e3), ("V", 1e6), ("uV", 1.0))


def amplitude_problems(
    emg, *, units: str = "uV", gain: float = 1.0, cohort: str = "", file: str = ""
) -> list[Problem]:
    """One problem per muscle channel whose RMS over the whole recording is implausible.

    ``emg`` is in microvolts (as :func:`analysis.ingest.readers.read_emg` returns it); the RMS is
    taken
    about the channel's mean, ignoring gaps. Above 50 mV or below 0.1 uV the declared units
    (``emg.units``, or the file's own for C3D/EDF), or an amplifier gain left in the values,
    are wrong: the problem names the file, the channel and ``emg.units`` with the likely fix.

    Examples
    --------
    >>> from analysis.core.signal import EMG
    >>> x = np.random.default_rng(0).normal(0, 0.05, (1, 2000))  # mV data declared as uV
    >>> [p.message[:40] for p in amplitude_problems(EMG(x, 1000.0, ("VL",)), file="t.csv")]
    ['RMS 0.05 uV over the whole recording is ']
    """
    declared = ", ".join(sorted(set(emg.meta.get("file_units", [])))) or units
    out = []
    for k, ch in enumerate(emg.channels):
        if not is_muscle(ch):
            continue
        x = emg.data[k]
        x = x[np.isfinite(x)]
        if x.size < 2:
            continue
        rms = float(np.sqrt(np.mean((x - x.mean()) ** 2)))
        if MIN_RMS_UV <= rms <= MAX_RMS_UV:
            continue
        what = "more than 50 mV" if rms > MAX_RMS_UV else "less than 0.1 uV"
        out.append(
            Problem(
                cohort,
                file,
                None,
                ch,
                f"RMS {_fmt(rms)} over the whole recording is {what}: implausible for "
                f"surface EMG read as {declared} (emg.units: {units}"
                + (f", emg.gain: {gain:g}" if gain != 1 else "")
                + ")",
                _fix(rms, units, declared != units),
            )
        )
    return out


def _fmt(uv: float) -> str:
    if uv >= 1e6:
        return f"{uv / 1e6:.3g} V"
    if uv >= 1e3:
        return f"{uv / 1e3:.3g} mV"
    return f"{uv:.3g} uV"


_SCALE = {"uV": 1.0, "mV": 1e3, "V": 1e6}


def _fix(rms: float, units: str, file_declares: bool) -> str:
    """The change to cohort.yaml that brings the RMS into 5 uV - 5 mV."""
    for factor in (1e-6, 1e-3, 1e3, 1e6):
        if not 5.0 <= rms * factor <= 5000.0:
            continue
        if not file_declares:
            target = _SCALE.get(units, 1.0) * factor
            better = next((u for u, v in _SCALE.items() if v == target), None)
            if better:
                return f"the values look like {better}: set emg.units: {better} in cohort.yaml"
        size = f"{1 / factor:g} times too large" if factor < 1 else f"{factor:g} times too small"
        return (
            f"the values look {size}: correct the units in the file, or set emg.gain: "
            f"{1 / factor:g} in cohort.yaml (e.g. an amplifier gain still in the values)"
        )
    return "check the electrode and the units (emg.units in cohort.yaml)"
