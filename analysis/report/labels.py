"""Readable names and number formats: muscles, outcomes, families, p values, estimates.

The one place where codes become words (``VL_mean_cycle`` -> "VL mean amplitude (gait cycle)")
and numbers become text, shared by the figures, the tables and the methods and results text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from analysis.ingest.readers.channels import split_side

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
    >>> sorted(["R_TA", "R_VL", "L_TA", "L_VL"], key=muscle_sort_key)
    ['L_VL', 'R_VL', 'L_TA', 'R_TA']
    """
    muscle = split_side(code)[1]  # a muscle of one leg (L_VL) sorts with its muscle
    if muscle in MUSCLE_ORDER:
        return (MUSCLE_ORDER.index(muscle), code)
    return (len(MUSCLE_ORDER), code)


def muscle_title(code: str) -> str:
    """Full muscle name with its code, for panel titles (unknown codes as they are); a muscle
    of one leg (``L_VL``, EMG of both legs) names its leg.

    Examples
    --------
    >>> muscle_title("VL"), muscle_title("XYZ")
    ('Vastus lateralis (VL)', 'XYZ')
    >>> muscle_title("L_VL")
    'Vastus lateralis (VL), left'
    """
    side, muscle = split_side(code)
    name = MUSCLE_NAMES.get(muscle)
    if not name:
        return code
    title = f"{name[0].upper()}{name[1:]} ({muscle})"
    return f"{title}, {side}" if side else title


def _muscle_short(code: str) -> str | None:
    """``VL`` or, for a muscle of one leg, ``VL (left)``; None when not a muscle code."""
    side, muscle = split_side(code)
    if muscle not in MUSCLE_NAMES:
        return None
    return f"{muscle} ({side})" if side else muscle


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
    >>> sorted(["R_VL_mean_cycle", "TA_mean_cycle", "L_VL_mean_cycle"], key=outcome_sort_key)
    ['L_VL_mean_cycle', 'R_VL_mean_cycle', 'TA_mean_cycle']
    """
    muscle, rest = _split_outcome(outcome)
    if muscle is not None and rest:
        index, _ = muscle_sort_key(muscle)
        return (0, index, split_side(muscle)[1], rest, muscle)
    return (1, len(MUSCLE_ORDER), outcome, "", "")


def _split_outcome(outcome: str) -> tuple[str | None, str]:
    """``(muscle code, rest)`` of an EMG outcome code (``L_VL_mean_cycle`` -> ``("L_VL",
    "mean_cycle")``); ``(None, outcome)`` for any other outcome."""
    parts = outcome.split("_")
    for k in (2, 1):  # a sided muscle first: L_VL
        code = "_".join(parts[:k])
        if len(parts) > k and _muscle_short(code) is not None and (k == 2 or code in MUSCLE_NAMES):
            return code, "_".join(parts[k:])
    return None, outcome


def outcome_label(
    outcome: str, labels: Mapping[str, str] | None = None, *, full: bool = False
) -> str:
    """Readable name of an outcome code.

    EMG outcomes ``<muscle>_<feature>_<phase>`` (muscle codes of docs/architecture.md, with a
    leg prefix ``L_``/``R_`` for EMG of both legs) read as ``"VL mean amplitude (gait cycle)"``
    or ``"VL (left) mean amplitude (gait cycle)"``; ``labels`` (e.g. the ``label`` of each
    measure in cohort.yaml) takes precedence; other codes have underscores replaced by spaces.

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

    A muscle of one leg (EMG of both legs) names the leg:

    >>> outcome_label("L_VL_mean_cycle")
    'VL (left) mean amplitude (gait cycle)'
    >>> outcome_label("R_TA_peak_stance", full=True)
    'Tibialis anterior (TA), right, peak amplitude (stance)'
    """
    if labels and outcome in labels:
        return str(labels[outcome])
    code, rest = _split_outcome(outcome)
    parts = rest.split("_")
    if code is not None and len(parts) >= 2:
        phase = parts[-1]
        feature = "_".join(parts[:-1])
        if full:
            muscle = muscle_title(code) + ("," if split_side(code)[0] else "")
        else:
            muscle = str(_muscle_short(code))
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
