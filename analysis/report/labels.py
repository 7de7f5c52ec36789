"""Readable names and number formats: muscles, outcomes, families, p values, estimates.

The one place where codes become words (``VL_mean_cycle`` -> "VL mean amplitude (gait cycle)")
and numbers become text, shared by the figures, the tables and the methods and results text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = [
    "FAMILY_NAMES",
    "MUSCLE_NAMES",
    "MUSCLE_ORDER",
    "format_estimate",
    "format_number",
    "format_p",
    "muscle_sort_key",
    "muscle_title",
    "norm_label",
    "outcome_label",
    "outcome_sort_key",
    "p_phrase",
]

MUSCLE_NAMES: dict[str, str] = {
    "VL": "vastus lateralis",
    "VM": "vastus medialis",
    "RF": "rectus femoris",
    "BF": "biceps femoris (long head)",
    "ST": "semitendinosus",
    "TA": "tibialis anterior",
    "PL": "peroneus longus",
    "GMAX": "gluteus maximus",
    "GMED": "gluteus medius",
    "TFL": "tensor fasciae latae",
    "GM": "gastrocnemius medialis",
    "GL": "gastrocnemius lateralis",
    "SO": "soleus",
    "HAM": "hamstrings (group)",
    "GAS": "gastrocnemius (head not specified)",
    "TP": "tibialis posterior",
}
MUSCLE_ORDER: tuple[str, ...] = (
    "GMAX",
    "GMED",
    "TFL",
    "RF",
    "VL",
    "VM",
    "HAM",
    "BF",
    "ST",
    "TA",
    "TP",
    "PL",
    "GAS",
    "GM",
    "GL",
    "SO",
)
FAMILY_NAMES: dict[str, str] = {
    "emg": "EMG",
    "spatiotemporal": "Spatiotemporal",
    "kinematics": "Joint angles",
    "balance": "Balance",
    "pain": "Pain",
}
_FEATURES = {
    "mean": "mean amplitude",
    "peak": "peak amplitude",
    "iemg": "integrated EMG",
    "peak_time": "time of peak",
    "onset": "onset",
    "offset": "offset",
    "cci": "co-contraction index",
}
_JOINT_FEATURES = {"peak": "peak", "range": "range of motion"}
_PHASES = {"cycle": "gait cycle", "stance": "stance", "swing": "swing"}
JOINT_NAMES = {"hip": "hip flexion", "knee": "knee flexion", "ankle": "ankle dorsiflexion"}
"""Sagittal-plane joint angles (analysis.kinematics), positive as Plug-in Gait writes them."""


def muscle_sort_key(code: str) -> tuple[int, str]:
    """Sort muscles proximal to distal (hip, thigh, shank); unknown codes last, alphabetically.

    Examples
    --------
    >>> sorted(["TA", "XYZ", "VL", "GMAX"], key=muscle_sort_key)
    ['GMAX', 'VL', 'TA', 'XYZ']
    """
    return (MUSCLE_ORDER.index(code), code) if code in MUSCLE_ORDER else (len(MUSCLE_ORDER), code)


def muscle_title(code: str) -> str:
    """Full muscle name with its code, for panel titles (unknown codes as they are).

    Examples
    --------
    >>> muscle_title("VL"), muscle_title("XYZ")
    ('Vastus lateralis (VL)', 'XYZ')
    """
    name = MUSCLE_NAMES.get(code)
    return f"{name[0].upper()}{name[1:]} ({code})" if name else code


NORM_LABELS: dict[str, str] = {
    "%MVC": "% MVC (maximal voluntary contraction)",
    "% reference": "% of reference (peak of the subject's mean forward envelope)",
}


def norm_label(units: list[str] | None, methods: list[str] | None = None) -> str:
    """EMG amplitude axis label naming the normalisation actually used.

    ``methods`` are the per-subject x muscle methods of the normalisation table; a reference
    taken from all directions (no forward cycles) is named when any subject needed it.

    Examples
    --------
    >>> norm_label(["% reference"])
    "EMG amplitude, % of reference (peak of the subject's mean forward envelope)"
    >>> norm_label(["%MVC"])
    'EMG amplitude, % MVC (maximal voluntary contraction)'
    >>> norm_label(None)
    'EMG amplitude (normalised)'
    """
    if not units:
        return "EMG amplitude (normalised)"
    text = "; ".join(NORM_LABELS.get(u, u) for u in sorted(units))
    if methods and any("all directions" in m for m in methods):
        text += "; some subjects: all directions"
    return f"EMG amplitude, {text}"


def outcome_sort_key(outcome: str) -> tuple:
    """Sort EMG outcomes by muscle (hip to ankle), then feature; other outcomes by name.

    Examples
    --------
    >>> sorted(["TA_mean_cycle", "BBS", "VL_peak_cycle", "VL_mean_cycle"], key=outcome_sort_key)
    ['VL_mean_cycle', 'VL_peak_cycle', 'TA_mean_cycle', 'BBS']
    """
    head, _, rest = outcome.partition("_")
    if head in MUSCLE_NAMES and rest:
        return (0, *muscle_sort_key(head), rest)
    return (1, len(MUSCLE_ORDER), outcome, "")


def outcome_label(
    outcome: str, labels: Mapping[str, str] | None = None, *, full: bool = False
) -> str:
    """Readable name of an outcome code.

    EMG outcomes ``<muscle>_<feature>_<phase>`` (muscle codes of docs/architecture.md) read as
    ``"VL mean amplitude (gait cycle)"``; ``labels`` (e.g. the ``label`` of each measure in
    cohort.yaml) takes precedence; other codes have underscores replaced by spaces.

    Examples
    --------
    >>> outcome_label("VL_mean_cycle")
    'VL mean amplitude (gait cycle)'
    >>> outcome_label("BBS", {"BBS": "Berg Balance Scale"})
    'Berg Balance Scale'
    >>> outcome_label("VL_mean_cycle", full=True)  # figure panels: the full muscle name
    'Vastus lateralis (VL) mean amplitude (gait cycle)'
    >>> outcome_label("L_knee_range_stance"), outcome_label("R_ankle_contact_cycle")
    ('Left knee flexion range of motion (stance)', 'Right ankle dorsiflexion at contact')
    >>> outcome_label("knee_pain_walking"), outcome_label("stance_pct")
    ('knee pain walking', 'stance (% of cycle)')
    """
    if labels and outcome in labels:
        return str(labels[outcome])
    parts = outcome.split("_")
    if len(parts) >= 3 and parts[0] in MUSCLE_NAMES:
        phase = parts[-1]
        feature = "_".join(parts[1:-1])
        muscle = muscle_title(parts[0]) if full else parts[0]
        return (
            f"{muscle} {_FEATURES.get(feature, feature.replace('_', ' '))} "
            f"({_PHASES.get(phase, phase)})"
        )
    if len(parts) == 4 and parts[0] in ("L", "R") and parts[1] in JOINT_NAMES:
        side = "left" if parts[0] == "L" else "right"
        joint = f"{side.capitalize()} {JOINT_NAMES[parts[1]]}"
        if parts[2] == "contact":
            return f"{joint} at contact"
        what = _JOINT_FEATURES.get(parts[2], parts[2])
        return f"{joint} {what} ({_PHASES.get(parts[3], parts[3])})"
    if outcome.endswith("_pct"):
        return outcome[:-4].replace("_", " ") + " (% of cycle)"
    return outcome.replace("_", " ")


def format_p(p: float | None, decimals: int = 3) -> str:
    """APA-style p value: no leading zero, ``< .001`` below the display precision.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0456), format_p(1.0), format_p(None)
    ('< .001', '.046', '1.000', '')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    floor = 10.0**-decimals
    if p < floor:
        return f"< {floor:.{decimals}f}".replace("0.", ".", 1)
    text = f"{p:.{decimals}f}"
    return text[1:] if text.startswith("0.") else text


def p_phrase(p: float | None, name: str = "p", decimals: int = 3) -> str:
    """``p = .046`` or, below the display precision, ``p < .001`` (see :func:`format_p`).

    Examples
    --------
    >>> p_phrase(0.0456), p_phrase(0.0004, "adjusted p")
    ('p = .046', 'adjusted p < .001')
    """
    below = p is not None and not math.isnan(p) and p < 10.0**-decimals
    return f"{name} {format_p(p, decimals)}" if below else f"{name} = {format_p(p, decimals)}"


def format_number(x: float, decimals: int = 1) -> str:
    """A setting as prose: whole numbers without decimals, no trailing zeros.

    Examples
    --------
    >>> format_number(20.0), format_number(0.05, 3), format_number(2.50)
    ('20', '0.05', '2.5')
    """
    x = float(x)
    return f"{x:.0f}" if x == int(x) else f"{x:.{decimals}f}".rstrip("0").rstrip(".")


def format_estimate(x: float | None, decimals: int) -> str:
    """An estimate in a sentence: fixed decimals, a true minus sign, ``NA`` when missing.

    Examples
    --------
    >>> format_estimate(-0.031, 2), format_estimate(None, 2), format_estimate(float("nan"), 1)
    ('−0.03', 'NA', 'NA')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{decimals}f}".replace("-", "−")
