"""Snakemake glue: power simulations of one job (rule power_sims) or their report (power_report).

The scenario (pilot fit or scenario file, the effect of interest at the SESOI) is rebuilt in
every job from the same inputs and settings; each simulation's seed depends only on the study
seed, its design point and its number, so the results equal those of ``python -m analysis
power`` with the same settings, whatever the jobs.
"""

import os

os.environ["POLARS_MAX_THREADS"] = "1"

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from analysis.models.power import (  # noqa: E402
    DesignPoint,
    plan_from_sims,
    settings_analysis,
    settings_points,
    settings_scenario,
    simulate_chunk,
)
from analysis.report.power import write_plan  # noqa: E402


def main(sm) -> None:
    sys.stderr = open(sm.log[0], "w", buffering=1)
    threadpool_limits(1)
    settings = sm.params.settings
    power = settings.power
    outcomes = None
    if "outcomes" in sm.input.keys():
        outcomes = pl.read_parquet(sm.input.outcomes)
        if "cohort" in outcomes.columns:
            outcomes = outcomes.filter(pl.col("cohort") == power.pilot_cohort)
    scenario = settings_scenario(power, settings.models, outcomes=outcomes, levels=sm.params.levels)
    analysis = settings_analysis(power, settings.models, outcomes)
    if sm.rule == "power_sims":
        n, trials, sessions, first, stop = sm.params.job
        point = DesignPoint(n, trials, sessions)
        sims = simulate_chunk(scenario, point, range(first, stop), power.seed, analysis)
        sims.rechunk().write_parquet(sm.output[0])
        print(f"{point.label}: simulations {first}-{stop - 1} done", file=sys.stderr)
        return
    sims = pl.concat([pl.read_parquet(f) for f in sm.input.sims])
    plan = plan_from_sims(
        scenario,
        power.effect,
        scenario.effect(power.effect),
        settings_points(power),
        sims,
        seed=power.seed,
        analysis=analysis,
        target_power=power.target,
        test=power.test,
    )
    write_plan(
        plan,
        Path(sm.output.table).parent,
        formats=settings.figures.formats,
        dpi=settings.figures.dpi,
    )
    print(plan.smallest, file=sys.stderr)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
