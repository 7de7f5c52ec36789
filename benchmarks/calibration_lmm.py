"""Calibration of the mixed-model inference on simulated retro-walking studies (issue 5).

Each study: 12 subjects x 2 directions x 2 sessions x 3 trials, with a random subject intercept
(SD 1), random direction slope (SD 0.5), subject:session intercept (SD 0.5) and residual SD 1,
fitted as ``value ~ direction*session + (1 + direction | subject) + (1 | subject:session)`` with
the full fit_lmm pipeline (default engine: lme4's criterion by L-BFGS-B from lme4's start;
singular fits simplified). Reported for the backward - forward
contrast:

- type I error at alpha = 0.05 with no true effect (goal: 4 % to 6 % for Satterthwaite),
- coverage of the 95 % CI with a true effect (goal: 93 % to 97 %),

for Satterthwaite (default), Kenward-Roger and plain z tests, with binomial 95 % intervals.

Usage::

    .venv/bin/python benchmarks/calibration_lmm.py --studies 1000 --jobs 2 [--out report.md]

Exit status 1 when a Satterthwaite figure is outside its goal.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.models import contrast_backward_forward, fit_lmm  # noqa: E402

FORMULA = "value ~ direction*session + (1 + direction | subject) + (1 | subject:session)"
METHODS = ("satterthwaite", "kenward-roger", "z")
LEVELS = {"session": ["pre", "post"]}


def simulate_study(
    seed: int, effect: float, n_subjects: int = 12, n_trials: int = 3
) -> pl.DataFrame:
    """One study's long data; ``effect`` is the true backward - forward difference."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), 4 * n_trials)
    cell = np.tile(np.repeat(np.arange(4), n_trials), n_subjects)
    session = np.where(cell < 2, "pre", "post")
    backward = cell % 2 == 1
    u0 = rng.normal(0, 1.0, n_subjects)
    u1 = rng.normal(0, 0.5, n_subjects)
    us = rng.normal(0, 0.5, (n_subjects, 2))
    sign = np.where(backward, 0.5, -0.5)
    value = (
        effect * backward
        + u0[subject]
        + sign * u1[subject]
        + us[subject, (session == "post").astype(int)]
        + rng.normal(0, 1.0, subject.size)
    )
    return pl.DataFrame(
        {
            "subject": [f"s{i:02d}" for i in subject],
            "session": session,
            "direction": np.where(backward, "backward", "forward"),
            "value": value,
        }
    )


def one_study(args: tuple[int, float], methods: tuple[str, ...] = METHODS) -> dict:
    seed, effect = args
    data = simulate_study(seed, effect)
    fit = fit_lmm(data, FORMULA, levels=LEVELS)
    row = {
        "seed": seed,
        "effect": effect,
        "singular_requested": len(fit.simplification) > 0,
        "singular_final": fit.singular,
        "convergence_warning": any("converge" in m for m in fit.convergence),
        "formula": fit.formula,
    }
    for m in methods:
        c = contrast_backward_forward(fit, ddf=m).row(0, named=True)
        row[f"p_{m}"] = c["p"]
        row[f"covered_{m}"] = c["ci_low"] <= effect <= c["ci_high"]
        row[f"df_{m}"] = c["df"]
    return row


def binomial_ci(k: int, n: int) -> tuple[float, float]:
    """Wilson 95 % interval."""
    z = 1.959964
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def run(n_studies: int, jobs: int, seed: int = 2024, effect: float = 0.6) -> dict:
    null_args = [(seed + i, 0.0) for i in range(n_studies)]
    alt_args = [(seed + 10_000_000 + i, effect) for i in range(n_studies)]
    t0 = time.perf_counter()
    with Pool(jobs) as pool:
        null = pool.map(one_study, null_args, chunksize=8)
        alt = pool.map(one_study, alt_args, chunksize=8)
    elapsed = time.perf_counter() - t0
    out = {"n_studies": n_studies, "effect": effect, "seconds": elapsed, "methods": {}}
    for m in METHODS:
        k_rej = sum(r[f"p_{m}"] < 0.05 for r in null)
        k_cov = sum(r[f"covered_{m}"] for r in alt)
        out["methods"][m] = {
            "type1": k_rej / n_studies,
            "type1_ci": binomial_ci(k_rej, n_studies),
            "coverage": k_cov / n_studies,
            "coverage_ci": binomial_ci(k_cov, n_studies),
            "median_df": float(np.median([r[f"df_{m}"] for r in null])),
        }
    out["simplified_fraction"] = float(np.mean([r["singular_requested"] for r in null + alt]))
    out["singular_final_fraction"] = float(np.mean([r["singular_final"] for r in null + alt]))
    out["convergence_warning_fraction"] = float(
        np.mean([r["convergence_warning"] for r in null + alt])
    )
    return out


def report(res: dict) -> str:
    lines = [
        f"# Mixed-model calibration ({res['n_studies']} studies per condition, 12 subjects)",
        "",
        f"Model: `{FORMULA}`; true effect for coverage: {res['effect']}; "
        f"{res['simplified_fraction']:.1%} of fits were simplified after a singular fit "
        f"({res['singular_final_fraction']:.1%} still singular at the end); "
        f"{res['convergence_warning_fraction']:.1%} with a convergence warning; "
        f"{res['seconds']:.0f} s.",
        "",
        "| method | type I error (goal 4-6 %) | 95 % CI | coverage (goal 93-97 %) | 95 % CI "
        "| median df |",
        "|---|---|---|---|---|---|",
    ]
    for m, r in res["methods"].items():
        lo, hi = r["type1_ci"]
        clo, chi = r["coverage_ci"]
        lines.append(
            f"| {m} | {r['type1']:.1%} | {lo:.1%}-{hi:.1%} | {r['coverage']:.1%} | "
            f"{clo:.1%}-{chi:.1%} | {r['median_df']:.1f} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    res = run(args.studies, args.jobs, args.seed)
    text = report(res)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
        args.out.with_suffix(".json").write_text(json.dumps(res, indent=2))
    sat = res["methods"]["satterthwaite"]
    ok = 0.04 <= sat["type1"] <= 0.06 and 0.93 <= sat["coverage"] <= 0.97
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
