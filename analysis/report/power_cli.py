"""``python -m analysis power``: plan a study by simulation from a pilot or from values.

Examples::

    python -m analysis power --pilot results/demo/outcomes.parquet --outcome VL_mean_cycle \\
        --effect direction --sesoi 5 --subjects 4 6 8 10 12 --trials 1 3 --sims 1000 \\
        --workers 2 --out results/power/vl
    python -m analysis power --scenario docs/examples/power_bbs.yaml --effect session:group \\
        --sesoi 3 --subjects 10 15 20 30 --trials 1 --sims 500 --out results/power/bbs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_power_parser", "run_power"]


def add_power_parser(sub) -> argparse.ArgumentParser:
    """Add the ``power`` sub-command to the sub-parsers ``sub``."""
    from analysis.core.settings import POWER_EFFECTS, PowerSettings

    d = PowerSettings()
    p = sub.add_parser(
        "power",
        help="sample size and power of a planned study by simulation (docs/power.md)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pilot", help="a pilot cohort's outcome table (outcomes.parquet)")
    src.add_argument("--scenario", help="a YAML file of effects and SDs (docs/power.md)")
    p.add_argument("--outcome", help="the pilot's outcome, e.g. VL_mean_cycle or BBS")
    p.add_argument("--effect", choices=POWER_EFFECTS, default=d.effect)
    p.add_argument(
        "--sesoi", type=float, help="smallest effect size of interest in the outcome's units "
        "(default: the pilot's estimate or the scenario's value)",
    )  # fmt: skip
    p.add_argument("--subjects", type=int, nargs="+", default=list(d.subjects_per_group),
                   help="subjects per group")  # fmt: skip
    p.add_argument("--trials", type=int, nargs="+", default=list(d.trials),
                   help="trials per condition")  # fmt: skip
    p.add_argument("--sessions", type=int, nargs="+", default=list(d.sessions))
    p.add_argument("--sims", type=int, default=d.n_sims, help="simulations per design point")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--target", type=float, default=d.target, help="target power")
    p.add_argument("--family-size", type=int, default=d.family_size,
                   help="outcomes in the multiplicity family (default: the pilot's, per the "
                   "config's models.multiplicity_family; 1 with --scenario)")  # fmt: skip
    p.add_argument("--test", help="the test whose power is the target (default: the effect's)")
    p.add_argument("--workers", type=int, default=1, help="processes")
    p.add_argument("--config", default="config/config.yaml",
                   help="study configuration: formulas, df method, alpha, adjustment")  # fmt: skip
    p.add_argument("--session-order", nargs="+", help="pilot sessions, first to last")
    p.add_argument("--group-order", nargs="+", help="pilot groups, intervention group first")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-simulations", action="store_true",
                   help="do not write simulations.parquet")  # fmt: skip
    return p


def run_power(args: argparse.Namespace) -> int:
    """Run the ``power`` sub-command; returns the exit status."""
    import polars as pl
    import yaml

    from analysis.core.settings import SettingsError, resolve_settings
    from analysis.models.power import design_grid, plan_study
    from analysis.models.power.plan import settings_analysis, settings_scenario
    from analysis.report.power import write_plan

    config = {}
    if args.config and Path(args.config).is_file():
        config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
    block = {
        "effect": args.effect,
        "sesoi": args.sesoi,
        "subjects_per_group": args.subjects,
        "trials": args.trials,
        "sessions": args.sessions,
        "n_sims": args.sims,
        "seed": args.seed,
        "target": args.target,
        "family_size": args.family_size,
        "test": args.test,
        "scenario": args.scenario,
        "outcome": args.outcome,
        "pilot_cohort": Path(args.pilot).parent.name if args.pilot else None,
    }
    try:
        settings = resolve_settings({**config, "power": block})
    except SettingsError as err:
        print(f"power: {err}", file=sys.stderr)
        return 2
    levels = {}
    if args.session_order:
        levels["session"] = args.session_order
    if args.group_order:
        levels["group"] = args.group_order
    outcomes = pl.read_parquet(args.pilot) if args.pilot else None
    try:
        scenario = settings_scenario(
            settings.power, settings.models, outcomes=outcomes, levels=levels or None
        )
    except (ValueError, OSError) as err:
        print(f"power: {err}", file=sys.stderr)
        return 2
    pw = settings.power
    value = scenario.effect(pw.effect)
    print(
        f"power: {scenario.outcome} ({scenario.source}), {pw.effect} = {value:g} "
        f"{scenario.unit}; model {scenario.formula}",
        file=sys.stderr,
    )
    plan = plan_study(
        scenario,
        pw.effect,
        None,
        design_grid(pw.subjects_per_group, pw.trials, pw.sessions),
        n_sims=pw.n_sims,
        seed=pw.seed,
        analysis=settings_analysis(pw, settings.models, outcomes),
        target_power=pw.target,
        test=pw.test,
        workers=args.workers,
        log=sys.stderr,
    )
    files = write_plan(
        plan,
        args.out,
        formats=settings.figures.formats,
        dpi=settings.figures.dpi,
        simulations=not args.no_simulations,
    )
    print(plan.smallest)
    print(f"wrote {len(files)} files to {args.out}")
    return 0
