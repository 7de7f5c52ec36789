"""Plan a study: a pilot's (or given) model, the smallest effect of interest, a grid of designs.

:func:`pilot_scenario` fits one outcome of a pilot cohort's outcome table exactly as the
workflow does and turns the fit into a :class:`~analysis.models.power.scenario.Scenario`;
:func:`plan_study` sets the effect of interest to the smallest effect size of interest,
simulates every design point and returns a :class:`PowerPlan` with the per-simulation results,
the power table and the smallest sample size reaching the target power.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TextIO

import polars as pl

from analysis.core.settings import ModelSettings, PowerSettings
from analysis.models.adapt import adapt_spec
from analysis.models.fit import fit_lmm
from analysis.models.formula import parse_formula
from analysis.models.power.engine import Analysis
from analysis.models.power.run import design_grid, simulate_power, smallest_n, summarise
from analysis.models.power.scenario import (
    EFFECTS,
    Scenario,
    scenario_from_fit,
    scenario_from_mapping,
    with_effect,
)
from analysis.models.power.simulate import DesignPoint


def analysis_from_settings(models: ModelSettings, family_size: int = 1) -> Analysis:
    """The :class:`Analysis` of the workflow's model settings.

    Examples
    --------
    >>> analysis_from_settings(ModelSettings(), 9)
    Analysis(ddf='satterthwaite', reml=True, alpha=0.05, adjust='holm', family_size=9)
    """
    return Analysis(models.ddf, models.reml, models.alpha, models.adjust, int(family_size))


def pilot_scenario(
    outcomes: pl.DataFrame,
    outcome: str,
    models: ModelSettings | None = None,
    *,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> Scenario:
    """The generating model of one outcome of a pilot cohort, fitted as the workflow fits it.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The pilot's long outcome table (``results/<cohort>/outcomes.parquet``), one cohort.
    outcome : str
        The outcome, e.g. ``"VL_mean_cycle"`` or ``"BBS"``.
    models : ModelSettings, optional
        Formula per family and primary factor (default: the defaults of the settings).
    levels : mapping, optional
        Session order and group order (``cohort.yaml``: ``sessions``, ``groups``).
    """
    models = models or ModelSettings()
    part = outcomes.filter(pl.col("outcome") == outcome)
    if not part.height:
        raise ValueError(f"no outcome {outcome!r} in the pilot table")
    if "cohort" in part.columns and part["cohort"].n_unique() > 1:
        raise ValueError("the pilot table holds several cohorts: filter one")
    family = str(part["family"][0]) if "family" in part.columns else "default"
    formula = models.formula_for(family)
    spec, notes = adapt_spec(parse_formula(formula), part)
    lv = {k: list(v) for k, v in (levels or {}).items()}
    fit = fit_lmm(part, spec, levels=lv or None, reml=models.reml)
    unit = str(part["unit"].drop_nulls()[0]) if "unit" in part.columns else ""
    sc = scenario_from_fit(
        fit,
        formula=formula,
        primary=models.primary_for(family),
        outcome=outcome,
        unit=unit,
        family=family,
        source=f"pilot ({part['subject'].n_unique()} subjects, {part.height} observations)",
    )
    groups = tuple(lv.get("group", ()))
    if set(groups) == set(sc.groups) and groups != sc.groups:
        # group not in the pilot's model: its cells are equal, only the labels' order changes
        order = [sc.groups.index(g) for g in groups]
        sc = replace(sc, groups=groups, means=sc.means[:, :, order])
    return sc


def pilot_family_size(outcomes: pl.DataFrame, outcome: str, models: ModelSettings) -> int:
    """Outcomes of the pilot in ``outcome``'s multiplicity family: those that agree with it on
    every column of ``models.multiplicity_family`` present (null equals null), as the workflow
    adjusts them.

    Examples
    --------
    >>> t = pl.DataFrame({"family": ["emg", "emg", "emg", "balance"],
    ...                   "feature": ["mean", "mean", "peak", None],
    ...                   "outcome": ["VL_mean", "TA_mean", "VL_peak", "BBS"]})
    >>> pilot_family_size(t, "VL_mean", ModelSettings()), pilot_family_size(t, "BBS",
    ...                                                                     ModelSettings())
    (2, 1)
    """
    cols = [c for c in models.multiplicity_family if c in outcomes.columns]
    row = outcomes.filter(pl.col("outcome") == outcome).select(cols).unique()
    if row.height != 1:
        raise ValueError(f"outcome {outcome!r}: not in the pilot table or in several families")
    same = outcomes.join(row, on=cols, nulls_equal=True)
    return int(same["outcome"].n_unique())


def settings_analysis(
    power: PowerSettings, models: ModelSettings, outcomes: pl.DataFrame | None = None
) -> Analysis:
    """The :class:`Analysis` of the settings; ``power.family_size`` None means the pilot's
    multiplicity family (:func:`pilot_family_size`), or 1 without a pilot."""
    size = power.family_size
    if size is None:
        use_pilot = outcomes is not None and power.outcome is not None and power.scenario is None
        size = pilot_family_size(outcomes, power.outcome, models) if use_pilot else 1
    return analysis_from_settings(models, size)


def target_test(scenario: Scenario, effect: str, names: Sequence[str]) -> str:
    """The test of ``effect`` among the workflow's tests ``names``: its main or interaction
    contrast when the primary factor's contrasts include it, else its Type III term.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "icc": 0.5})
    >>> target_test(sc, "direction", ["contrast[main]: backward - forward", "anova: direction"])
    'contrast[main]: backward - forward'
    """
    if effect not in EFFECTS:
        raise ValueError(f"effect must be one of {', '.join(EFFECTS)}, not {effect!r}")
    sessions, groups = scenario.sessions, scenario.groups
    # (the workflow's) a - b of each factor, and the (level, reference) of its interactions
    pairs = {
        "direction": ("backward", "forward"),
        "session": (sessions[-1], sessions[0]),
        "group": (groups[0], groups[-1]),
    }
    across = {**pairs, "group": (groups[-1], groups[0])}
    factors = effect.split(":")
    wanted = []
    if len(factors) == 1:
        wanted.append("contrast[main]: {} - {}".format(*pairs[effect]))
    else:
        for first, other in (factors, factors[::-1]):
            diff = "({} - {})".format(*pairs[first])
            level, ref = across[other]
            wanted.append(
                f"contrast[interaction]: {diff} | {other} = {level} - {diff} | {other} = {ref}"
            )
    for name in wanted:
        if name in names:
            return name
    for name in names:
        kind, _, term = name.partition(": ")
        if kind == "anova" and set(term.split(":")) == set(factors):
            return name
    raise ValueError(f"the workflow reports no test of {effect!r} for this model: {list(names)}")


@dataclass(frozen=True)
class PowerPlan:
    """Everything a power analysis produced (see :func:`plan_study`)."""

    scenario: Scenario
    effect: str
    sesoi: float
    analysis: Analysis
    points: tuple[DesignPoint, ...]
    n_sims: int
    seed: int
    target_power: float
    test: str
    sims: pl.DataFrame
    summary: pl.DataFrame
    smallest: pl.DataFrame

    @property
    def curve(self) -> pl.DataFrame:
        """The power table of the target test."""
        return self.summary.filter(pl.col("test") == self.test)


def plan_study(
    scenario: Scenario,
    effect: str,
    sesoi: float | None,
    points: Sequence[DesignPoint],
    *,
    n_sims: int = 1000,
    seed: int = 20261130,
    analysis: Analysis | None = None,
    target_power: float = 0.8,
    test: str | None = None,
    workers: int | Executor = 1,
    chunk_size: int = 50,
    log: TextIO | None = sys.stderr,
) -> PowerPlan:
    """Power of every design point for the smallest effect size of interest.

    Parameters
    ----------
    scenario : Scenario
        From :func:`pilot_scenario` or
        :func:`~analysis.models.power.scenario.scenario_from_mapping`.
    effect : str
        One of :data:`~analysis.models.power.scenario.EFFECTS`.
    sesoi : float or None
        The smallest effect size of interest in the outcome's units (None: keep the scenario's).
    points : sequence of DesignPoint
    test : str, optional
        The test whose power is the target (default: :func:`target_test`).

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> from analysis.models.power.run import design_grid
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "icc": 0.5, "groups": ["all"]})
    >>> res = plan_study(sc, "direction", 1.0, design_grid([8]), n_sims=5, log=None)
    >>> res.test, res.curve["n_sims"].to_list()
    ('contrast[main]: backward - forward', [5])
    """
    analysis = analysis or Analysis()
    if sesoi is not None:
        scenario = with_effect(scenario, effect, float(sesoi))
    value = scenario.effect(effect)
    points = tuple(points)
    if test is None:
        # the tests of the first design point (the same model for all but one-session designs)
        from analysis.models.power.engine import simulate_chunk

        probe = simulate_chunk(scenario, points[-1], range(1), seed, analysis)
        test = target_test(scenario, effect, probe["test"].drop_nulls().to_list())
    sims = simulate_power(
        scenario,
        points,
        n_sims=n_sims,
        seed=seed,
        analysis=analysis,
        workers=workers,
        chunk_size=chunk_size,
        log=log,
        progress_test=test,
    )
    return plan_from_sims(
        scenario, effect, value, points, sims, seed=seed, analysis=analysis,
        target_power=target_power, test=test,
    )  # fmt: skip


def plan_from_sims(
    scenario: Scenario,
    effect: str,
    sesoi: float,
    points: Sequence[DesignPoint],
    sims: pl.DataFrame,
    *,
    seed: int,
    analysis: Analysis,
    target_power: float = 0.8,
    test: str | None = None,
) -> PowerPlan:
    """The :class:`PowerPlan` of simulations run elsewhere (e.g. one workflow job per design
    point); ``scenario`` already carries the effect of interest at ``sesoi``."""
    sims = sims.sort(["n_per_group", "n_trials", "n_sessions", "sim"], maintain_order=True)
    if test is None:
        names = sims["test"].drop_nulls().unique(maintain_order=True).to_list()
        test = target_test(scenario, effect, names)
    summary = summarise(sims, n_groups=len(scenario.groups))
    n_sims = int(sims.group_by(["n_per_group", "n_trials", "n_sessions"]).agg(
        pl.col("sim").n_unique())["sim"].min())  # fmt: skip
    return PowerPlan(
        scenario=scenario,
        effect=effect,
        sesoi=float(sesoi),
        analysis=analysis,
        points=tuple(points),
        n_sims=n_sims,
        seed=seed,
        target_power=target_power,
        test=test,
        sims=sims,
        summary=summary,
        smallest=smallest_n(summary, test, target_power),
    )


def settings_scenario(
    power: PowerSettings,
    models: ModelSettings,
    *,
    outcomes: pl.DataFrame | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> Scenario:
    """The scenario of the ``power:`` settings, the effect of interest at the SESOI: a pilot
    outcome of ``outcomes`` fitted with ``models``, or the values of ``power.scenario``.

    The analysis formula and primary factor are the configured ones of the outcome's family
    (a scenario file may name its own ``formula``; its ``family`` picks the configured one
    when it has none).
    """
    if power.scenario is not None:
        from pathlib import Path

        import yaml

        values = yaml.safe_load(Path(power.scenario).read_text(encoding="utf-8")) or {}
        values = dict(values)
        family = str(values.get("family", "default"))
        values.setdefault("formula", models.formula_for(family))
        values.setdefault("primary", models.primary_for(family))
        sc = scenario_from_mapping(values, source=f"values in {Path(power.scenario).name}")
    else:
        if outcomes is None or power.outcome is None:
            raise ValueError("power: a pilot needs its outcome table and power.outcome")
        sc = pilot_scenario(outcomes, power.outcome, models, levels=levels)
    value = sc.effect(power.effect) if power.sesoi is None else power.sesoi
    return with_effect(sc, power.effect, value)


def settings_points(power: PowerSettings) -> list[DesignPoint]:
    """The design grid of the ``power:`` settings.

    Examples
    --------
    >>> [p.key for p in settings_points(PowerSettings(subjects_per_group=(8, 4)))]
    [(4, 3, 2), (8, 3, 2)]
    """
    return design_grid(power.subjects_per_group, power.trials, power.sessions)


__all__ = [
    "PowerPlan",
    "analysis_from_settings",
    "pilot_scenario",
    "plan_from_sims",
    "plan_study",
    "pilot_family_size",
    "settings_analysis",
    "settings_points",
    "settings_scenario",
    "target_test",
]
