"""Calibration of the ordinal (CLMM) and binomial (GLMM) models on simulated studies (issue 17).

Each study: ``n`` subjects x 2 directions x 2 sessions x 3 trials, a random subject intercept
(SD 1 on the latent logit scale) and a backward - forward effect ``delta``:

- ordinal: latent = delta * backward + u + logistic noise, cut into a 0-10 rating at
  -4.5, -3.5, ..., 4.5 (plus an offset of 1.5, so low ratings are the most frequent); fitted as
  ``pain ~ direction * session + (1 | subject)`` with :func:`fit_clmm` (logit, Laplace);
- binomial: P(y = 1) = logistic(-0.3 + delta * backward + u); fitted as
  ``y ~ direction * session + (1 | subject)`` with :func:`fit_glmm` (logit, Laplace).

Reported for the direction effect (backward - forward = -2 x coefficient ``direction1``, Wald z):
type I error at alpha = 0.05 with ``delta = 0`` and coverage of the 95 % CI with
``delta = 0.8``, each with a Wilson 95 % interval, at 12 and 30 subjects.

Usage::

    .venv/bin/python benchmarks/calibration_glmm.py --studies 200 --jobs 2 [--out report.md]

Studies are seeded by (model, subjects, effect, index), so a run is reproducible and a larger
run extends a smaller one.
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.models import glmm, ordinal  # noqa: E402

MODELS = ("ordinal", "binomial")
SUBJECTS = (12, 30)
EFFECT = 0.8
LEVELS = {"direction": ["forward", "backward"], "session": ["pre", "post"]}


def simulate_study(
    model: str, seed: int, effect: float, n_subjects: int = 12, n_trials: int = 3
) -> pl.DataFrame:
    """One study's long data; ``effect`` is the true backward - forward difference (logit)."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), 4 * n_trials)
    cell = np.tile(np.repeat(np.arange(4), n_trials), n_subjects)
    backward = cell % 2 == 1
    u = rng.normal(0.0, 1.0, n_subjects)[subject]
    if model == "ordinal":
        latent = effect * backward + u + rng.logistic(size=subject.size) - 1.5
        y = np.digitize(latent, np.arange(-4.5, 5.0, 1.0))
    else:
        eta = -0.3 + effect * backward + u
        y = (rng.random(subject.size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pl.DataFrame(
        {
            "subject": [f"S{s:02d}" for s in subject],
            "direction": np.where(backward, "backward", "forward"),
            "session": np.where(cell < 2, "pre", "post"),
            "y": y,
        }
    )


def one_study(args: tuple[str, int, float, int]) -> dict:
    """Fit one simulated study; p-value and CI of the backward - forward effect."""
    model, n_subjects, effect, index = args
    seed = 1_000_003 * MODELS.index(model) + 10_007 * n_subjects + 100_000 * int(effect * 10)
    seed += index
    d = simulate_study(model, seed, effect, n_subjects)
    formula = "y ~ direction * session + (1 | subject)"
    if model == "ordinal":
        fit = ordinal.fit_clmm(d, formula, levels=LEVELS)
        nt = fit.thresholds.size
        beta, var = fit.beta, np.diag(fit.vcov)[nt:]
        names = fit.x_names
    else:
        fit = glmm.fit_glmm(d, formula, "binomial", levels=LEVELS)
        beta, var, names = fit.beta, np.diag(fit.vcov), fit.x_names
    j = list(names).index("direction1")
    est, se = -2 * beta[j], 2 * np.sqrt(var[j])
    z = est / se
    return {
        "model": model,
        "subjects": n_subjects,
        "effect": effect,
        "index": index,
        "estimate": est,
        "se": se,
        "p": float(2 * sps.norm.sf(abs(z))),
        "covered": bool(abs(est - effect) <= 1.959963984540054 * se),
        "converged": fit.converged,
    }


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    z = sps.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def summarise(rows: list[dict]) -> pl.DataFrame:
    d = pl.DataFrame(rows)
    out = []
    for (model, n), g in d.group_by(["model", "subjects"], maintain_order=True):
        null = g.filter(pl.col("effect") == 0.0)
        alt = g.filter(pl.col("effect") != 0.0)
        k1, n1 = int((null["p"] < 0.05).sum()), null.height
        k2, n2 = int(alt["covered"].sum()), alt.height
        lo1, hi1 = wilson(k1, n1)
        lo2, hi2 = wilson(k2, n2)
        out.append(
            {
                "model": model,
                "subjects": n,
                "studies": n1,
                "type_I_error": k1 / n1,
                "type_I_wilson": f"{lo1:.3f}-{hi1:.3f}",
                "coverage": k2 / n2,
                "coverage_wilson": f"{lo2:.3f}-{hi2:.3f}",
                "mean_estimate": float(alt["estimate"].mean()),
                "not_converged": int((~g["converged"]).sum()),
            }
        )
    return pl.DataFrame(out).sort(["model", "subjects"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--studies", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    tasks = [
        (m, n, e, i)
        for m in MODELS
        for n in SUBJECTS
        for e in (0.0, EFFECT)
        for i in range(args.studies)
    ]
    t0 = time.time()
    with Pool(args.jobs) as pool:
        rows = pool.map(one_study, tasks, chunksize=8)
    table = summarise(rows)
    elapsed = time.time() - t0
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(table)
    print(f"{len(tasks)} fits in {elapsed:.0f} s ({args.jobs} jobs)")
    if args.out:
        lines = [
            "| model | subjects | studies | type I error (Wilson 95 %) | 95 % CI coverage "
            "(Wilson 95 %) | mean estimate (true 0.8) |",
            "|---|---|---|---|---|---|",
        ]
        for r in table.iter_rows(named=True):
            lines.append(
                f"| {r['model']} | {r['subjects']} | {r['studies']} | {r['type_I_error']:.3f} "
                f"({r['type_I_wilson']}) | {r['coverage']:.3f} ({r['coverage_wilson']}) | "
                f"{r['mean_estimate']:.3f} |"
            )
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
