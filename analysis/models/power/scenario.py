"""What a simulated study looks like: cell means, random terms and residual SD.

A :class:`Scenario` holds the data-generating model of one outcome: the mean of every cell of
walking direction x session x group (a 3-D array, an axis of length 1 for a factor the outcome
does not have), the covariance matrix of each random term on lme4's scale (sum-to-zero coded
columns, as :func:`analysis.models.variance_components` reports them) and the residual SD, plus
the analysis the workflow runs on such an outcome (formula, primary factor).

It comes from a fitted pilot model (:func:`scenario_from_fit`) or from a mapping of effects and
SDs (:func:`scenario_from_mapping`, the YAML format of docs/power.md); :func:`with_effect`
replaces one effect by the smallest effect size of interest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from analysis.core.settings import POWER_EFFECTS
from analysis.models.design import DIRECTION_LEVELS
from analysis.models.emmeans import emm_matrix
from analysis.models.fit import LmmFit

AXES = ("direction", "session", "group")
EFFECTS = POWER_EFFECTS
"""Effects a scenario can be given or changed by (each a contrast of the cell means):
``direction`` backward - forward; ``session`` last - first session; ``group`` first - second
group; ``direction:session`` change of backward - forward from the first to the last session;
``session:group`` change from the first to the last session in the first group minus that in
the second; ``direction:group`` backward - forward in the first group minus in the second. Each
is averaged with equal weights over the factors it does not name."""


@dataclass(frozen=True)
class RandomPart:
    """One random term of the generating model.

    Attributes
    ----------
    term : str
        lme4 syntax, e.g. ``"(1 + direction | subject)"``.
    columns : tuple of str
        Its coefficients in the model's sum-to-zero coding, e.g. ``("(Intercept)",
        "direction1")`` (``direction1`` is +1 forward, -1 backward: half the forward - backward
        difference).
    cov : ndarray
        Covariance matrix of the coefficients, in the outcome's units squared.
    """

    term: str
    columns: tuple[str, ...]
    cov: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


@dataclass(frozen=True)
class Scenario:
    """The data-generating model of one outcome and how the workflow analyses it.

    Attributes
    ----------
    means : ndarray, shape (directions, sessions, groups)
        Mean of each cell; a factor the outcome does not have has one level (label ``None``).
    directions, sessions, groups : tuple of str
        Level labels of each axis of ``means`` (sessions in time order; the first group is the
        intervention group of the ``group`` effects).
    random : tuple of RandomPart
    sigma : float
        Residual SD.
    formula : str
        The analysis formula (the config's for the outcome's family).
    primary : str or None
        The factor whose contrasts the workflow reports (``models.primary``).
    outcome, unit, family : str
        Labels for the tables, the figure and the text.
    source : str
        Where the values come from (for the text).
    """

    means: np.ndarray
    directions: tuple[str | None, ...]
    sessions: tuple[str, ...]
    groups: tuple[str, ...]
    random: tuple[RandomPart, ...]
    sigma: float
    formula: str
    primary: str | None = None
    outcome: str = "outcome"
    unit: str = ""
    family: str = "default"
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def has_direction(self) -> bool:
        return self.means.shape[0] == 2

    def effect(self, name: str) -> float:
        """The value of one of :data:`EFFECTS` in this scenario's cell means.

        Examples
        --------
        >>> s = scenario_from_mapping({"effects": {"direction": 4.0, "intercept": 10},
        ...                            "residual_sd": 1, "sessions": ["pre", "post"],
        ...                            "formula": "value ~ direction * session + (1 | subject)",
        ...                            "random": [{"term": "(1 | subject)",
        ...                                        "sd": {"(Intercept)": 2}}]})
        >>> s.effect("direction"), s.effect("session")
        (4.0, 0.0)
        """
        w = effect_weights(self.means.shape, name)
        return float(np.sum(w * self.means))

    def effects(self) -> dict[str, float]:
        """Every effect of :data:`EFFECTS` this scenario's axes define."""
        out = {}
        for name in EFFECTS:
            try:
                out[name] = self.effect(name)
            except ValueError:
                continue
        return out


def effect_weights(shape: tuple[int, ...], name: str) -> np.ndarray:
    """Weights ``w`` over the cells such that ``sum(w * means)`` is effect ``name``.

    Examples
    --------
    >>> effect_weights((2, 2, 1), "direction:session")[:, :, 0].tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    if name not in EFFECTS:
        raise ValueError(f"effect must be one of {', '.join(EFFECTS)}, not {name!r}")
    parts = name.split(":")
    w = np.ones(shape)
    for axis, factor in enumerate(AXES):
        n = shape[axis]
        v = np.zeros(n)
        if factor in parts:
            if n < 2:
                raise ValueError(f"effect {name!r} needs two or more levels of {factor}")
            # direction: backward - forward; session: last - first; group: first - second
            if factor == "group":
                v[0], v[1] = 1.0, -1.0
            else:
                v[-1], v[0] = 1.0, -1.0
        else:
            v[:] = 1.0 / n
        w = w * v.reshape([-1 if i == axis else 1 for i in range(3)])
    return w


def with_effect(scenario: Scenario, name: str, value: float) -> Scenario:
    """The scenario with effect ``name`` set to ``value`` (e.g. the smallest effect of interest).

    The cell means move by the least amount (in the sum of squares) that gives the effect its
    new value; every other effect of :data:`EFFECTS` stays as it was.

    Examples
    --------
    >>> s = scenario_from_mapping({"effects": {"direction": 4.0, "session": 1.0},
    ...                            "sessions": ["pre", "post"], "residual_sd": 1,
    ...                            "formula": "value ~ direction * session + (1 | subject)",
    ...                            "random": [{"term": "(1 | subject)", "sd": 2}]})
    >>> t = with_effect(s, "direction", 1.5)
    >>> t.effect("direction"), t.effect("session")
    (1.5, 1.0)
    """
    w = effect_weights(scenario.means.shape, name)
    current = float(np.sum(w * scenario.means))
    means = scenario.means + w * (value - current) / float(np.sum(w * w))
    note = f"{name} set to {value:g} (was {current:.4g})"
    return replace(scenario, means=means, notes=(*scenario.notes, note))


# -- from a fitted pilot model ---------------------------------------------------------------------


def scenario_from_fit(
    fit: LmmFit,
    *,
    formula: str | None = None,
    primary: str | None = None,
    outcome: str = "outcome",
    unit: str = "",
    family: str = "default",
    source: str = "pilot",
) -> Scenario:
    """The generating model of a fitted pilot: its cell means (the model's predictions for
    every combination of direction, session and group), its random terms' covariance matrices
    (after any singular-fit simplification) and its residual SD.

    Parameters
    ----------
    fit : LmmFit
        The pilot outcome's model (as the workflow fits it).
    formula : str, optional
        The analysis formula of the planned study (default: the formula requested for the pilot).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 2)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 10,
    ...                    "value": 3.0 * np.tile([0, 1], 10) + rng.normal(size=20)
    ...                    + rng.normal(size=10)[s]})
    >>> sc = scenario_from_fit(fit_lmm(df, "value ~ direction + (1 | subject)"))
    >>> sc.means.shape, round(sc.effect("direction"), 2), sc.random[0].term
    ((2, 1, 1), 3.33, '(1 | subject)')
    """
    levels = fit.design.coding.levels
    in_model = [a for a in AXES if a in fit.spec.fixed_variables and a in levels]
    labels: dict[str, tuple] = {a: tuple(levels[a]) if a in in_model else (None,) for a in AXES}
    if "direction" in in_model and set(labels["direction"]) != set(DIRECTION_LEVELS):
        raise ValueError(f"direction levels must be {DIRECTION_LEVELS}, got {labels['direction']}")
    if "direction" in in_model:
        labels["direction"] = DIRECTION_LEVELS
    data = fit.design.data
    for a in ("session", "group"):
        if a not in in_model and a in data.columns and data[a].drop_nulls().n_unique() >= 1:
            labels[a] = tuple(str(v) for v in data[a].drop_nulls().unique(maintain_order=True))
            labels[a] = labels[a] if a == "group" else labels[a][:1]
    shape = tuple(len(labels[a]) for a in AXES)
    means = np.empty(shape)
    if in_model:
        combos, ell = emm_matrix(fit, in_model)
        pred = ell @ fit.beta
        for row, value in zip(combos.iter_rows(named=True), pred, strict=True):
            idx = [labels[a].index(row[a]) if a in in_model else slice(None) for a in AXES]
            means[tuple(idx)] = value
    else:
        means[...] = float(fit.beta[0])
    random = tuple(
        RandomPart(str(b.term), tuple(b.columns), np.asarray(cov, dtype=float))
        for b, cov in zip(fit.design.blocks, fit.covariances(), strict=True)
    )
    return Scenario(
        means=means,
        directions=labels["direction"],
        sessions=tuple(str(s) for s in labels["session"]) if labels["session"][0] else ("1",),
        groups=tuple(str(g) for g in labels["group"]) if labels["group"][0] else ("all",),
        random=random,
        sigma=float(fit.sigma),
        formula=formula or fit.formula_requested,
        primary=primary,
        outcome=outcome,
        unit=unit,
        family=family,
        source=source,
        notes=tuple(fit.simplification),
    )


# -- from values (YAML) ----------------------------------------------------------------------------


def _random_from_mapping(item: Mapping[str, Any]) -> RandomPart:
    from analysis.models.formula import parse_formula

    term = str(item["term"])
    spec = parse_formula(f"value ~ 1 + {term}")
    if len(spec.random) != 1:
        raise ValueError(f"random term {term!r}: give one term per entry")
    rt = spec.random[0]
    sd = item.get("sd")
    if isinstance(sd, Mapping):
        columns = tuple(str(k) for k in sd)
        sds = np.array([float(v) for v in sd.values()])
    elif sd is not None:
        if rt.slopes or not rt.intercept:
            raise ValueError(f"random term {term!r}: give sd as a mapping per coefficient")
        columns, sds = ("(Intercept)",), np.array([float(sd)])
    else:
        raise ValueError(f"random term {term!r}: needs sd")
    if np.any(sds < 0):
        raise ValueError(f"random term {term!r}: SDs must not be negative")
    corr = np.eye(len(sds))
    given = item.get("corr")
    if given is not None:
        c = np.asarray(given, dtype=float)
        corr = np.array([[1.0, float(c)], [float(c), 1.0]]) if c.ndim == 0 else c
        if corr.shape != (len(sds), len(sds)):
            raise ValueError(f"random term {term!r}: corr must be {len(sds)} x {len(sds)}")
        if np.linalg.eigvalsh(corr).min() < -1e-10:
            raise ValueError(f"random term {term!r}: corr is not a correlation matrix")
    return RandomPart(str(rt), columns, corr * np.outer(sds, sds))


def scenario_from_mapping(values: Mapping[str, Any], *, source: str = "values") -> Scenario:
    """A scenario from plain values (a YAML file; format in docs/power.md).

    Keys: ``formula`` (analysis formula), ``primary``, ``outcome``, ``unit``, ``family``,
    ``sessions`` (labels, first to last; default one session), ``groups`` (default
    ``[retro, control]``; the first is the intervention group), ``effects`` (``intercept`` and
    any of :data:`EFFECTS`, in the outcome's units; others are 0), and either ``random`` (a list
    of ``{term, sd, corr}``; ``sd`` a number for an intercept-only term or a mapping per
    sum-to-zero coefficient) with ``residual_sd``, or ``icc`` with ``total_sd`` (a random
    subject intercept with variance ``icc * total_sd**2``, the rest residual).

    Examples
    --------
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "effects": {"direction": 2.0}, "icc": 0.6, "total_sd": 5})
    >>> round(sc.sigma ** 2, 6), round(float(sc.random[0].cov[0, 0]), 6)
    (10.0, 15.0)
    """
    known = {
        "formula", "primary", "outcome", "unit", "family", "sessions", "groups", "effects",
        "random", "residual_sd", "icc", "total_sd", "direction",
    }  # fmt: skip
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown scenario key(s) {unknown}; known: {sorted(known)}")
    if "formula" not in values:
        raise ValueError("a scenario needs the analysis formula ('formula')")
    formula = str(values["formula"])
    from analysis.models.formula import parse_formula

    spec = parse_formula(formula)
    has_direction = bool(values.get("direction", "direction" in spec.variables))
    sessions = tuple(str(s) for s in values.get("sessions") or ("1",))
    groups = tuple(str(g) for g in values.get("groups") or ("retro", "control"))
    effects = dict(values.get("effects") or {})
    bad = sorted(set(effects) - set(EFFECTS) - {"intercept"})
    if bad:
        raise ValueError(f"unknown effect(s) {bad}; known: intercept, {', '.join(EFFECTS)}")
    # +-1/2 codes of the first and last levels: each coefficient is its effect as defined
    xd = np.array([-0.5, 0.5]) if has_direction else np.zeros(1)
    xs = np.zeros(len(sessions))
    if len(sessions) > 1:
        xs = np.linspace(-0.5, 0.5, len(sessions))
    xg = np.zeros(len(groups))
    if len(groups) > 1:
        xg[0], xg[1] = 0.5, -0.5
    d, s, g = np.meshgrid(xd, xs, xg, indexing="ij")
    e = {k: float(effects.get(k, 0.0)) for k in EFFECTS}
    means = (
        float(effects.get("intercept", 0.0))
        + e["direction"] * d
        + e["session"] * s
        + e["group"] * g
        + e["direction:session"] * d * s
        + e["session:group"] * s * g
        + e["direction:group"] * d * g
    )
    if "icc" in values:
        if "random" in values or "residual_sd" in values:
            raise ValueError("give either icc with total_sd, or random with residual_sd")
        icc, total = float(values["icc"]), float(values.get("total_sd", 1.0))
        if not 0 <= icc < 1:
            raise ValueError(f"icc must lie in [0, 1), got {icc}")
        random = (RandomPart("(1 | subject)", ("(Intercept)",), np.array([[icc * total**2]])),)
        sigma = float(np.sqrt((1 - icc) * total**2))
    else:
        if "residual_sd" not in values:
            raise ValueError("a scenario needs residual_sd (or icc with total_sd)")
        random = tuple(_random_from_mapping(item) for item in values.get("random") or [])
        sigma = float(values["residual_sd"])
    if sigma <= 0:
        raise ValueError("the residual SD must be positive")
    return Scenario(
        means=means,
        directions=DIRECTION_LEVELS if has_direction else (None,),
        sessions=sessions,
        groups=groups,
        random=random,
        sigma=sigma,
        formula=formula,
        primary=values.get("primary"),
        outcome=str(values.get("outcome", "outcome")),
        unit=str(values.get("unit", "")),
        family=str(values.get("family", "default")),
        source=source,
    )


def load_scenario(path) -> Scenario:
    """A scenario from a YAML file (format: :func:`scenario_from_mapping`, docs/power.md)."""
    from pathlib import Path

    import yaml

    path = Path(path)
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(values, Mapping):
        raise ValueError(f"{path}: a scenario file holds a mapping of keys")
    return scenario_from_mapping(values, source=f"values in {path.name}")
