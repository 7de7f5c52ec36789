"""Speed of the power simulation: a 10-point design grid x 1000 simulations of the demo-size
model on 2 worker processes (issue 20 goal: <= 10 minutes on 2 cores).

The pilot is the demo cohort's VL mean-amplitude outcome (``results/demo/outcomes.parquet``:
12 subjects x 2 directions x 2 sessions x 3 trials, the config's EMG formula ``value ~
direction * session + (1 + direction | subject)``), its backward - forward difference set to
3 % of the reference. The grid is 4, 6, 8, 10, 12 subjects per group x 1 or 3 trials per
condition, 2 sessions (the demo's size is 6 per group, 3 trials: 144 observations; the largest
design has 288). Each simulation is fitted and tested as the workflow would: singular-fit
simplification, the backward - forward contrasts (overall, by session, interaction) and the
Type III terms with Satterthwaite df.

Usage::

    .venv/bin/python benchmarks/power_speed.py [--sims 1000] [--workers 2]
        [--outcomes results/demo/outcomes.parquet] [--json benchmarks/power_speed.json]

Prints the wall time, the CPU time of the worker processes (what the run costs whatever else
runs on the machine), the load average before and after (``os.getloadavg``) and the power
curve; ``--json`` also writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.core.settings import resolve_settings  # noqa: E402
from analysis.models.power import (  # noqa: E402
    analysis_from_settings,
    design_grid,
    pilot_scenario,
    plan_study,
)

GOAL_S = 600.0


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outcomes", default=str(ROOT / "results" / "demo" / "outcomes.parquet"))
    ap.add_argument("--outcome", default="VL_mean_cycle")
    ap.add_argument("--sesoi", type=float, default=3.0)
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the result here")
    args = ap.parse_args(argv)

    settings = resolve_settings({})
    outcomes = pl.read_parquet(args.outcomes).filter(pl.col("cohort") == "demo")
    scenario = pilot_scenario(
        outcomes,
        args.outcome,
        settings.models,
        levels={"session": ["baseline", "post"], "group": ["retro", "control"]},
    )
    points = design_grid([4, 6, 8, 10, 12], [1, 3], [2])
    load_before = os.getloadavg()
    cpu0 = _cpu()
    t0 = time.perf_counter()
    plan = plan_study(
        scenario,
        "direction",
        args.sesoi,
        points,
        n_sims=args.sims,
        seed=20261130,
        analysis=analysis_from_settings(settings.models),
        workers=args.workers,
    )
    wall = time.perf_counter() - t0
    cpu_self, cpu_workers = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
    load_after = os.getloadavg()
    n_fits = len(points) * args.sims
    failed = plan.sims.filter(pl.col("error").is_not_null())["sim"].len()
    result = {
        "design_points": len(points),
        "sims_per_point": args.sims,
        "fits": n_fits,
        "workers": args.workers,
        "wall_s": round(wall, 1),
        "ms_per_fit_per_worker": round(1000 * wall * args.workers / n_fits, 1),
        # CPU time of the worker processes (start-up included) and of this process: what the
        # run costs whatever else the machine does; on 2 otherwise idle cores the wall time is
        # about (cpu_workers_s + cpu_main_s) / 2
        "cpu_workers_s": round(cpu_workers, 1),
        "cpu_main_s": round(cpu_self, 1),
        "cpu_ms_per_fit": round(1000 * cpu_workers / n_fits, 1),
        "wall_s_on_idle_cores_estimate": round((cpu_workers + cpu_self) / args.workers, 1),
        "goal_s": GOAL_S,
        "met": wall <= GOAL_S,
        "failed_fits": int(failed),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "cpu_count": os.cpu_count(),
        "power": plan.curve.select(
            "n_per_group", "n_trials", "power", "ci_low", "ci_high"
        ).to_dicts(),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
