"""Sample size and power of a planned retro-walking study by simulation (docs/power.md).

Build a :class:`Scenario` from a pilot cohort (:func:`pilot_scenario`) or from values
(:func:`scenario_from_mapping`, :func:`load_scenario`), choose the design points
(:func:`design_grid`) and run :func:`plan_study`: every simulated study is fitted and tested as
the workflow's models rule does, and the result holds the power table with Monte Carlo
intervals, the smallest sample size reaching the target and, through :func:`power_paragraph`,
a paragraph for a grant or ethics application.
"""

from analysis.models.power.engine import Analysis, simulate_chunk
from analysis.models.power.plan import (
    PowerPlan,
    analysis_from_settings,
    pilot_family_size,
    pilot_scenario,
    plan_from_sims,
    plan_study,
    settings_analysis,
    settings_points,
    settings_scenario,
    target_test,
)
from analysis.models.power.run import (
    design_grid,
    simulate_power,
    smallest_n,
    summarise,
    wilson_interval,
)
from analysis.models.power.scenario import (
    EFFECTS,
    RandomPart,
    Scenario,
    load_scenario,
    scenario_from_fit,
    scenario_from_mapping,
    with_effect,
)
from analysis.models.power.simulate import DesignPoint, generator, layout, simulation_rng
from analysis.models.power.text import power_paragraph

__all__ = [
    "EFFECTS",
    "Analysis",
    "DesignPoint",
    "PowerPlan",
    "RandomPart",
    "Scenario",
    "analysis_from_settings",
    "design_grid",
    "generator",
    "layout",
    "load_scenario",
    "pilot_family_size",
    "pilot_scenario",
    "plan_from_sims",
    "plan_study",
    "power_paragraph",
    "scenario_from_fit",
    "scenario_from_mapping",
    "simulate_chunk",
    "simulate_power",
    "simulation_rng",
    "settings_analysis",
    "settings_points",
    "settings_scenario",
    "smallest_n",
    "summarise",
    "target_test",
    "wilson_interval",
    "with_effect",
]
