"""ISEK-style methods paragraph generated from the EMG parameters actually used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.core.settings import EmgSettings, merge_params


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _hz(x: float) -> str:
    return f"{float(x):g} Hz"


def methods_text(params: EmgSettings | Mapping | None = None) -> str:
    """Methods paragraph (filtering, envelope, cycles, normalisation, features, QC).

    Written from ``params`` (the cohort's resolved :class:`~analysis.core.settings.EmgSettings`,
    or a partial ``emg:`` mapping), following the ISEK reporting standard
    for EMG (filter type, order, cut-offs, zero-lag application, envelope, normalisation,
    cycle definition).

    Examples
    --------
    >>> text = methods_text({"bandpass": {"low_hz": 10}})
    >>> "10-450 Hz" in text and "4th-order Butterworth" in text
    True
    """
    p = merge_params(params)
    bp, env, nt, norm = p["bandpass"], p["envelope"], p["notch"], p["normalisation"]
    cyc, on, qc = p["cycles"], p["onset"], p["qc"]
    n = int(bp["order"])
    s = []
    s += hardware_sentences(p.get("electrodes"), p.get("amplifier"))
    rate = p["sampling_rate_hz"]
    if rate:
        s.append(f"Surface EMG was sampled at {float(rate):g} Hz.")
    s.append(
        f"Raw surface EMG signals (in microvolts) were band-pass filtered ({bp['low_hz']:g}-"
        f"{bp['high_hz']:g} Hz) with a {_ordinal(n)}-order Butterworth filter applied forward "
        f"and backward for zero phase lag (effective order {2 * n} per cut-off; "
        + (
            "design cut-offs adjusted so that the -3 dB points of the double pass fall at the "
            "stated frequencies"
            if bp["correct_double_pass"]
            else "the stated frequencies are the design cut-offs, where the double-pass gain "
            "is -6 dB"
        )
        + f"; the upper cut-off was lowered to {float(bp['max_nyquist_fraction']):.0%} of the "
        "Nyquist frequency where the sampling rate required it)."
    )
    if nt["enabled"]:
        freqs = ", ".join(
            _hz(k * float(nt["mains_hz"])) for k in range(1, int(nt["harmonics"]) + 1)
        )
        s.append(
            f"Mains interference was removed with zero-lag IIR notch filters at {freqs} "
            f"(quality factor {float(nt['quality']):g})."
        )
    if env["method"] == "rms":
        s.append(
            f"Amplitude envelopes were computed as a centred moving root mean square over "
            f"{float(env['rms_window_s']) * 1000:g} ms."
        )
    else:
        s.append(
            "Signals were full-wave rectified and low-pass filtered to linear envelopes "
            f"({_ordinal(int(env['order']))}-order zero-lag Butterworth, {_hz(env['lowpass_hz'])}"
            + (", corrected for the double pass" if env["correct_double_pass"] else "")
            + ")."
        )
    s.append(
        "Missing samples were left as gaps: each continuous stretch was filtered separately and "
        "cycles containing missing data were excluded."
    )
    s.append(
        f"A gait cycle was defined from one {_contact(cyc['side'])} to the next, foot contact "
        "being the first contact of any part of the foot (backward walking lands toe first), "
        "and stance from foot contact to foot off; where both feet's events were available, "
        "stance was split into first double support, single support and second double support. "
        f"Each cycle was time-normalised to {int(cyc['points'])} points (0-100 %). Cycles with "
        f"events out of order, stride times outside {cyc['min_stride_s']:g}-"
        f"{cyc['max_stride_s']:g} s, stance outside {cyc['min_stance_pct']:g}-"
        f"{cyc['max_stance_pct']:g} % of the cycle or stride times more than "
        f"{float(qc['cycle_duration_mad']):g} scaled median absolute deviations (and "
        f"{float(qc.get('cycle_duration_min_dev_pct', 10.0)):g} %) from the trial median were "
        "flagged."
    )
    ref_text = (
        "the peak of the subject's mean forward-walking envelope of that muscle (all sessions), "
        "a reference shared by both walking directions and all sessions"
    )
    mvc_text = (
        "the peak of the "
        f"{float(norm['mvc_window_s']) * 1000:g} ms moving-average envelope of maximal voluntary "
        "contractions processed with the same filters"
    )
    if norm["method"] == "mvc":
        how = mvc_text
    elif norm["method"] == "reference":
        how = ref_text
    else:
        how = f"{mvc_text} where recorded, and otherwise to {ref_text}"
    s.append(
        f"Following the CEDE consensus (Besomi et al. 2020), envelope amplitudes of each muscle "
        f"were normalised to {how}; the method used for each muscle is reported with the "
        "results."
    )
    s.append(
        "For each cycle and phase we computed the mean, peak and integrated (time integral) "
        "envelope and the time of the peak (% of cycle). Onset and offset were taken as the "
        "longest period of the time-normalised envelope above a threshold of the baseline mean "
        f"plus {float(on['baseline_sd']):g} SD, the baseline being the quietest "
        f"{float(on['baseline_window_pct']):g} % window of the trial's mean cycle, lasting at "
        f"least {float(on['min_duration_pct']):g} % of the cycle."
    )
    pairs = ", ".join(f"{a}/{b}" for a, b in p["cocontraction_pairs"])
    if pairs:
        s.append(
            f"Co-contraction of {pairs} was quantified with the Falconer and Winter (1985) index "
            "(2 x common area / summed area, %) and the Rudolph et al. (2000) index (mean of "
            "lower/higher x (lower + higher) activity)."
        )
    s.append(
        "Quality control flagged flat or disconnected channels (band-passed SD below "
        f"{float(qc['flat_sd_uv']):g} uV), clipping (over {float(qc['clipping_fraction']):.0%} of "
        f"samples at the extremes), mains interference (over {float(qc['mains_ratio']):.0%} of "
        "in-band power at the mains frequency and harmonics), ECG contamination and outlying "
        "cycle durations; "
        + (
            "flagged data were excluded from the statistics."
            if qc["exclude_flagged"]
            else "flagged data were reported but kept in the statistics."
        )
    )
    return " ".join(s)


def hardware_sentences(
    electrodes: Mapping[str, Any] | None, amplifier: Mapping[str, Any] | None
) -> list[str]:
    """The electrodes and amplifier as the cohort declares them (ISEK, CEDE); nothing invented.

    Parameters
    ----------
    electrodes : mapping, optional
        ``type``, ``inter_electrode_distance_mm``, ``placement`` (cohort.yaml
        ``emg.electrodes``); missing or ``None`` values are left unsaid.
    amplifier : mapping, optional
        ``model``, ``cmrr_db``, ``input_impedance_mohm``, ``gain`` (cohort.yaml
        ``emg.amplifier``).

    Returns
    -------
    list of str
        Zero, one or two sentences.

    Examples
    --------
    >>> hardware_sentences({"type": "bipolar Ag/AgCl", "inter_electrode_distance_mm": 20,
    ...     "placement": "SENIAM"}, {"cmrr_db": 80})
    ['Surface EMG was recorded with bipolar Ag/AgCl electrodes (inter-electrode distance 20 mm) placed following the SENIAM recommendations (Hermens et al. 2000).', 'The amplifier had a common-mode rejection ratio of 80 dB.']
    >>> hardware_sentences(None, {})
    []
    """  # noqa: E501
    el = {k: v for k, v in (electrodes or {}).items() if v is not None}
    amp = {k: v for k, v in (amplifier or {}).items() if v is not None}
    out = []
    if el:
        text = "Surface EMG was recorded with " + (
            f"{el['type']} electrodes" if "type" in el else "surface electrodes"
        )
        if "inter_electrode_distance_mm" in el:
            text += f" (inter-electrode distance {float(el['inter_electrode_distance_mm']):g} mm)"
        place = el.get("placement")
        if place and str(place).strip().upper() == "SENIAM":
            text += " placed following the SENIAM recommendations (Hermens et al. 2000)"
        elif place:
            text += f" placed following {place}"
        out.append(text + ".")
    specs = []
    if "gain" in amp:
        specs.append(f"a gain of {float(amp['gain']):g}")
    if "cmrr_db" in amp:
        specs.append(f"a common-mode rejection ratio of {float(amp['cmrr_db']):g} dB")
    if "input_impedance_mohm" in amp:
        specs.append(f"an input impedance of {float(amp['input_impedance_mohm']):g} MΩ")
    listed = (
        ", ".join(specs[:-1]) + (" and " if len(specs) > 1 else "") + specs[-1] if specs else ""
    )
    if "model" in amp:
        out.append(
            f"Signals were amplified with a {amp['model']}" + (f" ({listed})." if listed else ".")
        )
    elif listed:
        out.append(f"The amplifier had {listed}.")
    return out


def _contact(side: str) -> str:
    """``"right foot contact"``; with EMG of both legs, the contact of each muscle's own leg."""
    return "foot contact of the muscle's own leg" if side == "both" else f"{side} foot contact"
