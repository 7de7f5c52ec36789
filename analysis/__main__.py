"""Command line: ``python -m analysis {validate,simulate,power} ...``.

``validate`` exits with 0 when every cohort is valid, 1 when any problem is found (each problem
on standard error, naming cohort, file, row and column, with a suggested fix) and 2 on a usage
error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    from analysis.ingest.validate import validate_cohort_folder

    status = 0
    n_bad = 0
    for folder in args.cohort:
        problems = validate_cohort_folder(Path(folder), deep=not args.quick)
        name = Path(folder).name
        if problems:
            status, n_bad = 1, n_bad + 1
            n = len(problems)
            print(f"cohort '{name}': {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
            for p in problems:
                print(f"  - {p}", file=sys.stderr)
        else:
            print(f"cohort '{name}': OK" + (" (tables only: --quick)" if args.quick else ""))
    if len(args.cohort) > 1:
        summary = f"{len(args.cohort) - n_bad} of {len(args.cohort)} cohorts valid"
        print(summary, file=sys.stderr if n_bad else sys.stdout)
    return status


def _simulate(args: argparse.Namespace) -> int:
    from analysis.simulate import DemoDesign, simulate_cohort

    out = Path(args.out)
    design = DemoDesign(
        n_subjects=args.subjects,
        n_trials=args.trials,
        n_strides=args.strides,
        seed=args.seed,
        name=out.name,
    )
    simulate_cohort(out, design)
    print(f"wrote cohort '{out.name}' ({args.subjects} subjects) to {out}")
    return 0


def _power(args: argparse.Namespace) -> int:
    from analysis.report.power_cli import run_power

    return run_power(args)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser(
        "validate",
        help="check cohort folders against the data contract (data/raw/README.md)",
        description="Check cohort folders against the data contract and list every problem "
        "at once. Exit status: 0 valid, 1 problems found, 2 usage error.",
    )
    v.add_argument("cohort", nargs="+", help="cohort folder(s), e.g. data/raw/demo")
    v.add_argument(
        "--quick",
        action="store_true",
        help="check the tables only, without reading every EMG and events file",
    )
    v.set_defaults(func=_validate)

    s = sub.add_parser("simulate", help="write a synthetic retro-walking cohort")
    s.add_argument("out", help="cohort folder to write, e.g. data/raw/demo")
    s.add_argument("--subjects", type=int, default=12)
    s.add_argument("--trials", type=int, default=3)
    s.add_argument("--strides", type=int, default=5)
    s.add_argument("--seed", type=int, default=20261125)
    s.set_defaults(func=_simulate)

    from analysis.report.power_cli import add_power_parser

    add_power_parser(sub).set_defaults(func=_power)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
