"""Every processing and model setting, resolved once into one typed object per cohort.

The study configuration (``config/config.yaml``), a cohort's overrides (``cohort.yaml``:
``emg.processing`` and the recording facts under ``emg:``) and the defaults below are merged
and checked by :func:`resolve_settings`, once. Every stage then reads the same
:class:`Settings`: the EMG stage, the models, the figures and the methods text, so that what is
computed and what the text says cannot disagree. Each default is stated once, here, as the
default of a dataclass field; ``config/config.yaml`` records the study's choices and the JSON
schema (``schemas/config.schema.yaml``) their types and ranges.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, get_type_hints


class SettingsError(ValueError):
    """A setting that is missing, unknown or out of range, named by its dotted key."""


@dataclass(frozen=True)
class Bandpass:
    low_hz: float = 20.0
    high_hz: float = 450.0
    order: int = 4  # Butterworth order of the design; applied forward and backward (zero lag)
    correct_double_pass: bool = False
    max_nyquist_fraction: float = 0.9


@dataclass(frozen=True)
class Notch:
    enabled: bool = False
    mains_hz: float = 50.0  # the cohort's own mains frequency (cohort.yaml emg.mains_hz) wins
    harmonics: int = 3
    quality: float = 30.0


@dataclass(frozen=True)
class Envelope:
    method: str = "lowpass"  # lowpass (linear envelope) or rms
    lowpass_hz: float = 6.0
    order: int = 4
    correct_double_pass: bool = False
    rms_window_s: float = 0.05


@dataclass(frozen=True)
class Gaps:
    min_segment_s: float = 0.5


@dataclass(frozen=True)
class Footswitch:
    threshold_fraction: float = 0.2
    min_contact_s: float = 0.2
    min_swing_s: float = 0.15


@dataclass(frozen=True)
class Normalisation:
    method: str = "auto"  # auto: MVC when the cohort provides it, else reference; mvc; reference
    reference: str = "peak_mean_forward"
    mvc_window_s: float = 0.5


@dataclass(frozen=True)
class Cycles:
    points: int = 101
    side: str = "right"
    min_stride_s: float = 0.6
    max_stride_s: float = 2.5
    min_stance_pct: float = 45.0
    max_stance_pct: float = 80.0


@dataclass(frozen=True)
class Onset:
    baseline_sd: float = 3.0
    min_duration_pct: float = 5.0
    baseline_window_pct: float = 10.0


@dataclass(frozen=True)
class QC:
    exclude_flagged: bool = True
    flat_sd_uv: float = 1.0
    clipping_fraction: float = 0.01
    mains_ratio: float = 0.3
    ecg_ratio: float = 0.5
    cycle_duration_mad: float = 3.5
    cycle_duration_min_dev_pct: float = 10.0
    spectral_max_s: float = 10.0  # mains/ECG checks read at most this much of each channel


@dataclass(frozen=True)
class Electrodes:
    """The surface electrodes a cohort declares (cohort.yaml ``emg.electrodes``), reported in the
    methods as ISEK and CEDE ask; nothing is written for what is not declared."""

    type: str | None = None  # e.g. "bipolar Ag/AgCl"
    inter_electrode_distance_mm: float | None = None
    placement: str | None = None  # e.g. "SENIAM"


@dataclass(frozen=True)
class Amplifier:
    """The EMG amplifier a cohort declares (cohort.yaml ``emg.amplifier``), for the methods."""

    model: str | None = None
    cmrr_db: float | None = None  # common-mode rejection ratio
    input_impedance_mohm: float | None = None
    gain: float | None = None  # hardware gain as reported (emg.gain: gain left in the values)


@dataclass(frozen=True)
class Speed:
    """How walking speed was set (cohort.yaml ``protocol.speed``), for the methods."""

    mode: str | None = None  # self-selected or fixed
    value_m_s: float | None = None  # the fixed speed (or the speed of every condition)
    surface: str | None = None  # treadmill or overground


@dataclass(frozen=True)
class ProtocolSettings:
    """What the cohort declares about its walking protocol (cohort.yaml ``protocol``)."""

    speed: Speed = field(default_factory=Speed)


@dataclass(frozen=True)
class EmgSettings:
    """The EMG stage's parameters and what the cohort declares about its recordings."""

    bandpass: Bandpass = field(default_factory=Bandpass)
    notch: Notch = field(default_factory=Notch)
    envelope: Envelope = field(default_factory=Envelope)
    gaps: Gaps = field(default_factory=Gaps)
    unmapped_channels: str = "skip"
    footswitch: Footswitch = field(default_factory=Footswitch)
    normalisation: Normalisation = field(default_factory=Normalisation)
    cycles: Cycles = field(default_factory=Cycles)
    onset: Onset = field(default_factory=Onset)
    cocontraction_pairs: tuple[tuple[str, str], ...] = (("VL", "BF"), ("TA", "GM"))
    qc: QC = field(default_factory=QC)
    # declared by the cohort (cohort.yaml emg:), not by the study configuration
    sampling_rate_hz: float | None = None
    units: str = "uV"
    gain: float = 1.0  # amplifier gain still in the values of voltage channels
    muscles: tuple[str, ...] = ()
    channel_map: Mapping[str, str | None] = field(default_factory=dict)
    # where the gait events come from (analysis.ingest.events.events_config fills the rest)
    events: Mapping[str, Any] = field(default_factory=dict)
    # the hardware, for the methods only (processing does not read them)
    electrodes: Electrodes = field(default_factory=Electrodes)
    amplifier: Amplifier = field(default_factory=Amplifier)

    def to_params(self) -> dict[str, Any]:
        """The same settings as the nested plain dictionary the EMG signal functions take."""
        return _plain(self)


@dataclass(frozen=True)
class OutcomeSettings:
    emg_features: tuple[str, ...] = ("mean", "peak")
    emg_phases: tuple[str, ...] = ("cycle",)


DEFAULT_FORMULAS = {
    "emg": "value ~ direction * session + (1 + direction | subject)",
    "spatiotemporal": "value ~ direction * session + (1 + direction | subject)",
    "kinematics": "value ~ direction * session + (1 + direction | subject)",
    "pain": "value ~ direction * session * group + (1 | subject)",
    "balance": "value ~ session * group + (1 | subject)",
    "default": "value ~ direction * session + (1 | subject)",
}


MODEL_FAMILIES = ("gaussian", "ordinal", "binomial", "poisson")
"""Model families of ``models.family``: linear mixed model, cumulative-link mixed model,
binomial and Poisson generalised linear mixed models."""

MAX_ORDINAL_LEVELS = 11
"""A bounded integer scale with at most this many levels (a 0-10 NRS) is ordinal by default."""


@dataclass(frozen=True)
class ModelSettings:
    """How every outcome family is modelled and how its contrasts are reported."""

    formula: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FORMULAS))
    # model family per outcome family; a family not listed takes the one its measures' declared
    # type implies (cohort.yaml measures, see model_family_defaults), else gaussian
    family: Mapping[str, str] = field(default_factory=dict)
    # ordinal/binomial/poisson families: also fit the linear mixed model, reported as sensitivity
    gaussian_sensitivity: bool = True
    # quadrature nodes for a single scalar random effect (1: Laplace, as clmm/glmer's nAGQ)
    nagq: int = 1
    primary: Mapping[str, str] = field(default_factory=lambda: {"balance": "session"})
    reml: bool = True
    ddf: str = "satterthwaite"  # satterthwaite, kenward-roger or z
    alpha: float = 0.05
    adjust: str = "holm"  # holm, fdr_bh or none, within each multiplicity family
    multiplicity_family: tuple[str, ...] = ("family", "feature", "phase")

    @property
    def ci_level(self) -> float:
        """Confidence level of every interval: 1 - alpha."""
        return 1.0 - self.alpha

    def formula_for(self, family: str) -> str:
        """The configured formula of an outcome family (``default`` when it has none)."""
        return self.formula.get(family, self.formula["default"])

    def primary_for(self, family: str) -> str | None:
        return self.primary.get(family)

    def family_for(self, family: str) -> str:
        """The model family of an outcome family (``gaussian`` when none is declared)."""
        return self.family.get(family, "gaussian")


@dataclass(frozen=True)
class FigureSettings:
    dpi: int = 300
    formats: tuple[str, ...] = ("png", "svg", "pdf")


@dataclass(frozen=True)
class SpmSettings:
    anova: bool = True
    effect_ci: str = "noncentral_t"  # noncentral_t or normal


@dataclass(frozen=True)
class PoolingSettings:
    enabled: bool = True
    cohort_effect: str = "fixed"  # fixed or random


POWER_EFFECTS = (
    "direction",
    "session",
    "group",
    "direction:session",
    "session:group",
    "direction:group",
)


@dataclass(frozen=True)
class PowerSettings:
    """Planning the next study: power by simulation (``python -m analysis power``, the
    workflow's ``power`` target; docs/power.md). Used only when asked for."""

    name: str = "plan"  # results/power/<name>/
    pilot_cohort: str | None = None  # a cohort of the study whose fitted model is the pilot ...
    outcome: str | None = None  # ... and its outcome, e.g. VL_mean_cycle or BBS
    scenario: str | None = None  # or a YAML file of values (effects, SDs or ICC)
    effect: str = "direction"
    sesoi: float | None = None  # smallest effect size of interest, outcome units (None: pilot's)
    subjects_per_group: tuple[int, ...] = (6, 8, 10, 12, 16, 20)
    trials: tuple[int, ...] = (3,)
    sessions: tuple[int, ...] = (2,)
    n_sims: int = 1000
    seed: int = 20261130
    target: float = 0.8
    # outcomes in the multiplicity family of the outcome's contrast (None: the pilot's family,
    # as models.multiplicity_family defines it; 1 for a scenario file)
    family_size: int | None = None
    test: str | None = None  # default: the workflow's contrast (or Type III term) of the effect
    sims_per_job: int = 1000  # workflow: simulations per job (one job per design point or chunk)


@dataclass(frozen=True)
class Settings:
    """Everything a cohort's analysis is run with (see :func:`resolve_settings`)."""

    emg: EmgSettings = field(default_factory=EmgSettings)
    outcomes: OutcomeSettings = field(default_factory=OutcomeSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    figures: FigureSettings = field(default_factory=FigureSettings)
    spm: SpmSettings = field(default_factory=SpmSettings)
    pooling: PoolingSettings = field(default_factory=PoolingSettings)
    power: PowerSettings = field(default_factory=PowerSettings)
    # declared by the cohort (cohort.yaml protocol:), not by the study configuration
    protocol: ProtocolSettings = field(default_factory=ProtocolSettings)


# blocks of config/config.yaml that are settings (the rest says where data and results are)
_BLOCKS = ("emg", "outcomes", "models", "figures", "spm", "pooling", "power")
# what cohort.yaml's emg: block declares about the recordings, and where it goes
_COHORT_EMG_FACTS = {
    "sampling_rate_hz": ("sampling_rate_hz",),
    "units": ("units",),
    "muscles": ("muscles",),
    "channel_map": ("channel_map",),
    "gain": ("gain",),
    "events": ("events",),
    "electrodes": ("electrodes",),
    "amplifier": ("amplifier",),
    "mains_hz": ("notch", "mains_hz"),
    "side": ("cycles", "side"),
}


def resolve_settings(
    config: Mapping[str, Any] | None = None, cohort: Mapping[str, Any] | None = None
) -> Settings:
    """The settings of one cohort: defaults <- study configuration <- the cohort's overrides.

    Parameters
    ----------
    config : mapping, optional
        The study configuration (``config/config.yaml``). Blocks other than ``emg``,
        ``outcomes``, ``models``, ``figures``, ``spm``, ``pooling`` and ``power`` are ignored
        here.
    cohort : mapping, optional
        The cohort's ``cohort.yaml``: its ``emg.processing`` overrides keys of the ``emg``
        block, and ``emg.sampling_rate_hz``, ``units``, ``muscles``, ``channel_map``,
        ``mains_hz``, ``side``, ``electrodes`` and ``amplifier`` describe its recordings, and
        ``protocol`` its walking protocol.

    Returns
    -------
    Settings

    Raises
    ------
    SettingsError
        Naming every unknown key, wrong type and inconsistent value (dotted keys).

    Examples
    --------
    >>> s = resolve_settings({"models": {"alpha": 0.01}}, {"emg": {"mains_hz": 60}})
    >>> s.models.ci_level, s.emg.notch.mains_hz, s.emg.bandpass.low_hz
    (0.99, 60.0, 20.0)
    >>> resolve_settings({"emg": {"bandpass": {"low_hz": 500}}})
    Traceback (most recent call last):
    ...
    analysis.core.settings.SettingsError: emg.bandpass: need 0 < low_hz < high_hz, got 500 and 450.0
    """
    tree: dict[str, Any] = {k: copy.deepcopy(dict((config or {}).get(k) or {})) for k in _BLOCKS}
    emg = (cohort or {}).get("emg") or {}
    _deep_update(tree["emg"], emg.get("processing") or {})
    for key, dest in _COHORT_EMG_FACTS.items():
        if emg.get(key) is not None:
            node = tree["emg"]
            for part in dest[:-1]:
                node = node.setdefault(part, {})
            node[dest[-1]] = copy.deepcopy(emg[key])
    tree["protocol"] = copy.deepcopy(dict((cohort or {}).get("protocol") or {}))
    # the cohort's measure types give each family's default model; the configuration wins
    declared = tree["models"].get("family") or {}
    defaults = model_family_defaults(cohort)
    if defaults and isinstance(declared, Mapping):
        tree["models"]["family"] = {**defaults, **declared}
    problems: list[str] = []
    settings = _build(Settings, tree, "", problems)
    if not problems:
        problems += _consistency(settings)
    if problems:
        raise SettingsError("; ".join(problems))
    return settings


def measure_type(measure: Mapping[str, Any], pain_scale: Mapping[str, Any] | None = None) -> str:
    """The declared or implied type of one cohort.yaml measure.

    ``type`` when the measure declares it; else ``ordinal`` for a bounded integer scale with at
    most :data:`MAX_ORDINAL_LEVELS` levels that is a pain rating (family ``pain``, or its unit is
    the cohort's ``pain_scale`` name); else ``continuous``.

    Examples
    --------
    >>> measure_type({"family": "pain", "unit": "NRS", "min": 0, "max": 10})
    'ordinal'
    >>> measure_type({"family": "pain", "unit": "mm", "min": 0, "max": 100})
    'continuous'
    >>> measure_type({"family": "falls", "unit": "fell", "type": "binary"})
    'binary'
    """
    if measure.get("type"):
        return str(measure["type"])
    lo, hi = measure.get("min"), measure.get("max")
    scale = (pain_scale or {}).get("name")
    is_pain = measure.get("family") == "pain" or (
        scale is not None and measure.get("unit") == scale
    )
    bounded = isinstance(lo, int | float) and isinstance(hi, int | float)
    if is_pain and bounded and float(lo).is_integer() and float(hi).is_integer():
        if 3 <= hi - lo + 1 <= MAX_ORDINAL_LEVELS:
            return "ordinal"
    return "continuous"


_TYPE_FAMILY = {"ordinal": "ordinal", "binary": "binomial", "count": "poisson"}


def model_family_defaults(cohort: Mapping[str, Any] | None) -> dict[str, str]:
    """Model family per outcome family implied by the cohort's measures (cohort.yaml).

    An outcome family is ordinal, binomial or Poisson when all its measures are ordinal, binary
    or counts (:func:`measure_type`); families not returned are Gaussian.

    Examples
    --------
    >>> model_family_defaults({"measures": {
    ...     "knee_pain": {"family": "pain", "unit": "NRS", "min": 0, "max": 10},
    ...     "BBS": {"family": "balance", "unit": "points", "min": 0, "max": 56}}})
    {'pain': 'ordinal'}
    """
    measures = (cohort or {}).get("measures") or {}
    types: dict[str, set[str]] = {}
    for m in measures.values():
        if isinstance(m, Mapping) and m.get("family"):
            t = measure_type(m, (cohort or {}).get("pain_scale"))
            types.setdefault(str(m["family"]), set()).add(t)
    return {
        fam: _TYPE_FAMILY[next(iter(ts))]
        for fam, ts in types.items()
        if len(ts) == 1 and next(iter(ts)) in _TYPE_FAMILY
    }


def emg_settings(params: Mapping[str, Any] | EmgSettings | None = None) -> EmgSettings:
    """EMG settings from a (possibly partial) ``emg:`` mapping, for use outside the workflow.

    Examples
    --------
    >>> emg_settings({"bandpass": {"low_hz": 10}}).bandpass.low_hz
    10.0
    """
    if isinstance(params, EmgSettings):
        return params
    return resolve_settings({"emg": dict(params or {})}).emg


def merge_params(params: Mapping[str, Any] | EmgSettings | None = None) -> dict[str, Any]:
    """The complete EMG parameter dictionary for a (possibly partial) ``emg:`` mapping.

    Examples
    --------
    >>> p = merge_params({"bandpass": {"low_hz": 10}})
    >>> p["bandpass"]["low_hz"], p["bandpass"]["high_hz"]
    (10.0, 450.0)
    """
    return emg_settings(params).to_params()


def _deep_update(base: dict, override: Mapping) -> None:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            base[key] = dict(base[key])
            _deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _build(cls: type, values: Mapping[str, Any], prefix: str, problems: list[str]) -> Any:
    """An instance of dataclass ``cls`` from ``values`` (missing keys take the defaults)."""
    if not isinstance(values, Mapping):
        problems.append(f"{prefix.rstrip('.') or 'config'}: must be a mapping")
        return cls()
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in sorted(set(values) - known):
        problems.append(f"{prefix}{key}: unknown setting (known: {', '.join(sorted(known))})")
    kwargs = {}
    for f in fields(cls):
        if f.name not in values:
            continue
        hint, key = hints[f.name], f"{prefix}{f.name}"
        if isinstance(hint, type) and is_dataclass(hint):
            kwargs[f.name] = _build(hint, values[f.name], key + ".", problems)
        else:
            kwargs[f.name] = _coerce(values[f.name], hint, key, problems)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str, problems: list[str]) -> Any:
    text = str(hint)
    if value is None and "None" in text:
        return None
    if text.startswith("tuple[tuple[str, str]"):
        if not isinstance(value, list | tuple) or any(
            not isinstance(p, list | tuple) or len(p) != 2 for p in value
        ):
            problems.append(f"{key}: must be a list of [muscle, muscle] pairs")
            return ()
        return tuple((str(a), str(b)) for a, b in value)
    if text.startswith("tuple[int"):
        if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
            problems.append(f"{key}: must be a non-empty list of whole numbers, got {value!r}")
            return ()
        if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            problems.append(f"{key}: must be a list of whole numbers, got {value!r}")
            return ()
        return tuple(value)
    if text.startswith("tuple[str"):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            problems.append(f"{key}: must be a list, got {value!r}")
            return ()
        return tuple(str(v) for v in value)
    if "Mapping[" in text:
        if not isinstance(value, Mapping):
            problems.append(f"{key}: must be a mapping, got {value!r}")
            return {}
        return dict(value)
    if hint is bool or text == "bool":
        if not isinstance(value, bool):
            problems.append(f"{key}: must be true or false, got {value!r}")
        return bool(value)
    if text == "int | None" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is int or text in ("int", "int | None"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{key}: must be a whole number, got {value!r}")
            return 0
        return value
    if "float" in text:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key}: must be a number, got {value!r}")
            return 0.0
        return float(value)
    if not isinstance(value, str):
        problems.append(f"{key}: must be text, got {value!r}")
    return str(value)


_CHOICES = {
    "emg.envelope.method": ("lowpass", "rms"),
    "emg.normalisation.method": ("auto", "mvc", "reference"),
    "emg.normalisation.reference": ("peak_mean_forward",),
    "emg.unmapped_channels": ("skip", "process"),
    "emg.cycles.side": ("left", "right", "both"),
    "models.ddf": ("satterthwaite", "kenward-roger", "z"),
    "models.adjust": ("holm", "fdr_bh", "none"),
    "spm.effect_ci": ("noncentral_t", "normal"),
    "pooling.cohort_effect": ("fixed", "random"),
    "power.effect": POWER_EFFECTS,
    "protocol.speed.mode": (None, "self-selected", "fixed"),
    "protocol.speed.surface": (None, "treadmill", "overground"),
}


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split(".")[0:]:
        obj = getattr(obj, part)
    return obj


def _consistency(s: Settings) -> list[str]:
    out = [
        f"{key}: must be one of {', '.join(c for c in choices if c)}, got {_get(s, key)!r}"
        for key, choices in _CHOICES.items()
        if _get(s, key) not in choices
    ]
    bp, env, cyc = s.emg.bandpass, s.emg.envelope, s.emg.cycles
    if not 0 < bp.low_hz < bp.high_hz:
        out.append(f"emg.bandpass: need 0 < low_hz < high_hz, got {bp.low_hz:g} and {bp.high_hz}")
    for name, order in (("bandpass", bp.order), ("envelope", env.order)):
        if not 1 <= order <= 8:
            out.append(f"emg.{name}.order: must be 1 to 8, got {order}")
    if not 0 < bp.max_nyquist_fraction < 1:
        out.append("emg.bandpass.max_nyquist_fraction: must lie between 0 and 1")
    if env.lowpass_hz <= 0 or env.rms_window_s <= 0:
        out.append("emg.envelope: lowpass_hz and rms_window_s must be positive")
    if cyc.points < 11:
        out.append(f"emg.cycles.points: at least 11 points per cycle, got {cyc.points}")
    if not cyc.min_stride_s < cyc.max_stride_s:
        out.append("emg.cycles: min_stride_s must be below max_stride_s")
    if not cyc.min_stance_pct < cyc.max_stance_pct:
        out.append("emg.cycles: min_stance_pct must be below max_stance_pct")
    if s.emg.gain <= 0:
        out.append("emg.gain: must be positive")
    if s.emg.sampling_rate_hz is not None and s.emg.sampling_rate_hz <= 0:
        out.append("emg.sampling_rate_hz: must be positive")
    for key in (
        "emg.electrodes.inter_electrode_distance_mm",
        "emg.amplifier.cmrr_db",
        "emg.amplifier.input_impedance_mohm",
        "emg.amplifier.gain",
        "protocol.speed.value_m_s",
    ):
        if _get(s, key) is not None and _get(s, key) <= 0:
            out.append(f"{key}: must be positive")
    if s.protocol.speed.mode == "fixed" and s.protocol.speed.value_m_s is None:
        out.append("protocol.speed.value_m_s: needed with mode: fixed (the speed in m/s)")
    m = s.models
    if not 0 < m.alpha < 1:
        out.append(f"models.alpha: must lie between 0 and 1, got {m.alpha}")
    if "default" not in m.formula:
        out.append("models.formula: needs a 'default' formula for families without their own")
    if not m.reml and m.ddf == "kenward-roger":
        out.append(
            "models: Kenward-Roger degrees of freedom are defined for REML fits; "
            "set reml: true or ddf: satterthwaite"
        )
    for family, model in m.family.items():
        if model not in MODEL_FAMILIES:
            out.append(f"models.family.{family}: must be one of {', '.join(MODEL_FAMILIES)}")
    if not 1 <= m.nagq <= 25:
        out.append(f"models.nagq: must be 1 (Laplace) to 25 quadrature nodes, got {m.nagq}")
    for family, factor in m.primary.items():
        name = str(factor)
        declared = name[:1].isalpha() and name.islower() and name.replace("_", "").isalnum()
        if factor not in ("direction", "session", "group") and not declared:
            out.append(
                f"models.primary.{family}: must be direction, session, group or a declared "
                "trial factor (factors: in cohort.yaml)"
            )
    out += _power_consistency(s.power)
    if s.figures.dpi < 72:
        out.append("figures.dpi: at least 72")
    for fmt in s.figures.formats:
        if fmt not in ("png", "svg", "pdf"):
            out.append(f"figures.formats: '{fmt}' is not one of png, svg, pdf")
    return out


def _power_consistency(p: PowerSettings) -> list[str]:
    out = []
    for key in ("subjects_per_group", "trials", "sessions"):
        if any(v < 1 for v in getattr(p, key)):
            out.append(f"power.{key}: every value must be at least 1")
    for key in ("n_sims", "family_size", "sims_per_job"):
        if getattr(p, key) is not None and getattr(p, key) < 1:
            out.append(f"power.{key}: must be at least 1")
    if not 0 < p.target < 1:
        out.append(f"power.target: must lie between 0 and 1, got {p.target}")
    if p.pilot_cohort is not None and p.scenario is not None:
        out.append("power: give either pilot_cohort (with outcome) or scenario, not both")
    if p.pilot_cohort is not None and p.outcome is None:
        out.append("power.outcome: needed with pilot_cohort (e.g. VL_mean_cycle)")
    if not p.name or "/" in p.name:
        out.append(f"power.name: must be a plain folder name, got {p.name!r}")
    return out


def _plain(obj: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists (the form YAML and the EMG functions use)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    return obj


def settings_dict(settings: Settings) -> dict[str, Any]:
    """The resolved settings as plain data (for logs, the manifest and parameters files)."""
    return _plain(settings)
