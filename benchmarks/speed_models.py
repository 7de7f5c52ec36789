"""Time to fit and report mixed models in Python (analysis.models) and in R, in one run.

Four workloads, each run in a fresh Python process and a fresh R process (``--repeats`` times),
timed inside the process after imports / package loading, with the peak resident memory of the
whole process (``wait4``'s ``ru_maxrss``):

- ``demo``: every model of a cohort's outcome table as the workflow's models rule runs it
  (``analyse_outcomes`` per family with the config's formulas, primary factors and multiplicity
  families: singular-fit simplification, Satterthwaite coefficients/contrasts/EMMs, Type III
  tests, variance components, ICC, R2, residuals and BLUPs; no pingouin cross-check). R:
  ``lmerTest::lmer`` per outcome with ``summary``, ``anova(type = 3)``, emmeans contrasts
  (``lmer.df = "satterthwaite"``) overall, by session/group and their interaction, ``VarCorr``.
- ``subjects100``, ``subjects400``: one synthetic study of 100 / 400 subjects x 2 directions x
  2 sessions x 3 trials, ``value ~ direction * session + (1 + direction | subject) +
  (1 | subject:session)``. Python: ``fit_lmm``, ``coefficients``, ``anova_type3``,
  ``model_contrasts`` and ``model_emmeans``; R: ``lmer``, ``summary``, ``anova(type = 3)``,
  emmeans of direction overall and by session, their pairs and the interaction contrast.
- ``crossed200x9``: 200 subjects x 9 muscles (crossed) x 2 directions x 2 sessions,
  ``value ~ direction * session + (1 | subject) + (1 | muscle) + (1 | subject:muscle)``, the
  same reports.

Usage::

    .venv/bin/python benchmarks/speed_models.py [--outcomes results/demo/outcomes.parquet]
        [--tasks demo subjects100 subjects400 crossed200x9] [--repeats 3]

Without the demo results (``snakemake --cores 2 results/demo/outcomes.parquet``) a synthetic
outcome table of the same shape is used for ``demo``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NESTED = "value ~ direction * session + (1 + direction | subject) + (1 | subject:session)"
CROSSED = "value ~ direction * session + (1 | subject) + (1 | muscle) + (1 | subject:muscle)"
TASKS = ("demo", "subjects100", "subjects400", "crossed200x9")

R_DEMO = r"""
t_load <- system.time(suppressPackageStartupMessages({
  library(lme4); library(lmerTest); library(emmeans); library(jsonlite)
}))[["elapsed"]]
options(contrasts = c("contr.sum", "contr.poly"))
emm_options(msg.interaction = FALSE)
args <- commandArgs(trailingOnly = TRUE)
d_all <- read.csv(args[1], stringsAsFactors = FALSE)
formulas <- fromJSON(args[2])
primaries <- if (length(args) >= 3) fromJSON(args[3]) else list()
t0 <- Sys.time()
n_ok <- 0; n_fail <- 0
for (fam in unique(d_all$family)) {
  f <- if (!is.null(formulas[[fam]])) formulas[[fam]] else formulas[["default"]]
  for (o in unique(d_all$outcome[d_all$family == fam])) {
    d <- d_all[d_all$outcome == o, ]
    vars <- all.vars(as.formula(f))
    for (v in intersect(c("direction", "session", "group"), vars)) {
      if (all(is.na(d[[v]])) || length(unique(na.omit(d[[v]]))) < 2) {
        f <- gsub(paste0("\\*\\s*", v, "|", v, "\\s*\\*"), "", f)
      }
      if (v %in% names(d)) d[[v]] <- factor(d[[v]])
    }
    ok <- tryCatch({
      suppressWarnings(suppressMessages({
        m <- lmer(as.formula(f), data = d)
        s <- coef(summary(m))
        a <- anova(m, type = 3)
        v <- as.data.frame(VarCorr(m))
        fx <- intersect(c(primaries[[fam]], "direction", "group", "session"), all.vars(formula(m)))
        if (length(fx)) {
          by <- setdiff(intersect(c("session", "group"), fx), fx[1])
          e <- emmeans(m, specs = fx[1], lmer.df = "satterthwaite")
          p1 <- summary(pairs(e), infer = TRUE)
          for (b in by) {
            eb <- emmeans(m, specs = c(fx[1], b), lmer.df = "satterthwaite")
            eby <- emmeans(m, specs = fx[1], by = b, lmer.df = "satterthwaite")
            p2 <- summary(pairs(eby), infer = TRUE)
            p3 <- summary(contrast(eb, interaction = "pairwise"), infer = TRUE)
          }
        }
      }))
      TRUE
    }, error = function(e) FALSE)
    if (ok) n_ok <- n_ok + 1 else n_fail <- n_fail + 1
  }
}
t_models <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
cat(toJSON(list(load = t_load, seconds = t_models, n = n_ok, n_fail = n_fail), auto_unbox = TRUE))
"""

R_ONE = r"""
t_load <- system.time(suppressPackageStartupMessages({
  library(lme4); library(lmerTest); library(emmeans); library(jsonlite)
}))[["elapsed"]]
options(contrasts = c("contr.sum", "contr.poly"))
emm_options(msg.interaction = FALSE)
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
t0 <- Sys.time()
suppressWarnings(suppressMessages({
  m <- lmer(as.formula(args[2]), data = d)
  s <- coef(summary(m))
  a <- anova(m, type = 3)
  v <- as.data.frame(VarCorr(m))
  e <- emmeans(m, specs = "direction", lmer.df = "satterthwaite")
  p1 <- summary(pairs(e), infer = TRUE)
  eb <- emmeans(m, specs = c("direction", "session"), lmer.df = "satterthwaite")
  eby <- emmeans(m, specs = "direction", by = "session", lmer.df = "satterthwaite")
  p2 <- summary(pairs(eby), infer = TRUE)
  p3 <- summary(contrast(eb, interaction = "pairwise"), infer = TRUE)
}))
t_models <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
cat(toJSON(list(load = t_load, seconds = t_models, n = 1), auto_unbox = TRUE))
"""


def nested_study(n_subjects: int, seed: int = 1) -> pl.DataFrame:
    """2 directions x 2 sessions x 3 trials per subject; intercept, direction slope and session
    effects per subject."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), 12)
    cell = np.tile(np.repeat(np.arange(4), 3), n_subjects)
    session = np.where(cell < 2, "pre", "post")
    bw = cell % 2 == 1
    u0, u1 = rng.normal(0, 1, n_subjects), rng.normal(0, 0.5, n_subjects)
    us = rng.normal(0, 0.5, (n_subjects, 2))
    value = (
        0.3 * bw
        + u0[subject]
        + np.where(bw, 0.5, -0.5) * u1[subject]
        + us[subject, (session == "post").astype(int)]
        + rng.normal(0, 1, subject.size)
    )
    return pl.DataFrame(
        {
            "subject": [f"s{i:03d}" for i in subject],
            "session": session,
            "direction": np.where(bw, "backward", "forward"),
            "value": value,
        }
    )


def crossed_study(n_subjects: int = 200, n_muscles: int = 9, seed: int = 2) -> pl.DataFrame:
    """Subjects x muscles (crossed) x 2 directions x 2 sessions, one value per cell."""
    rng = np.random.default_rng(seed)
    s, m, c = np.meshgrid(np.arange(n_subjects), np.arange(n_muscles), np.arange(4), indexing="ij")
    s, m, c = s.ravel(), m.ravel(), c.ravel()
    bw = c % 2 == 1
    session = np.where(c < 2, "pre", "post")
    value = (
        0.3 * bw
        + rng.normal(0, 1, n_subjects)[s]
        + rng.normal(0, 2, n_muscles)[m]
        + rng.normal(0, 0.5, (n_subjects, n_muscles))[s, m]
        + rng.normal(0, 1, s.size)
    )
    return pl.DataFrame(
        {
            "subject": [f"s{i:03d}" for i in s],
            "muscle": [f"m{i}" for i in m],
            "session": session,
            "direction": np.where(bw, "backward", "forward"),
            "value": value,
        }
    )


def load_outcomes(path: Path | None) -> tuple[pl.DataFrame, str]:
    if path is not None and path.exists():
        return pl.read_parquet(path), str(path)
    sys.path.insert(0, str(ROOT / "tests" / "stats"))
    from synthetic import outcome_table

    return outcome_table(n_subjects=12), "synthetic outcome table (tests/stats/synthetic.py)"


def load_models(config: Path) -> dict:
    import yaml

    models = dict(yaml.safe_load(config.read_text())["models"])
    if isinstance(models["formula"], str):
        models["formula"] = {"default": models["formula"]}
    return models


def task_data(task: str, outcomes: Path | None) -> tuple[pl.DataFrame, str]:
    if task == "demo":
        return load_outcomes(outcomes)
    if task.startswith("subjects"):
        n = int(task.removeprefix("subjects"))
        return nested_study(n), f"{n} subjects x 2 directions x 2 sessions x 3 trials"
    return crossed_study(), "200 subjects x 9 muscles x 2 directions x 2 sessions"


# -- the Python side (run in a child process: python speed_models.py --worker TASK) ---------------


def worker(task: str, outcomes: Path | None, config: Path) -> dict:
    from analysis.models import (
        analyse_outcomes,
        anova_type3,
        coefficients,
        fit_lmm,
        model_contrasts,
        model_emmeans,
        variance_components,
    )

    data, _ = task_data(task, outcomes)
    t0 = time.perf_counter()
    if task == "demo":
        models = load_models(config)
        n = 0
        for (family,), part in data.group_by("family", maintain_order=True):
            res = analyse_outcomes(
                part,
                models["formula"].get(family, models["formula"]["default"]),
                family_col=models.get("multiplicity_family", ["family"]),
                primary=(models.get("primary") or {}).get(family),
                crosscheck=False,
            )
            n += res["models"].height
    else:
        fit = fit_lmm(data, CROSSED if task.startswith("crossed") else NESTED)
        coefficients(fit)
        anova_type3(fit)
        variance_components(fit)
        model_contrasts(fit)
        model_emmeans(fit)
        n = 1
    return {"seconds": time.perf_counter() - t0, "n": n}


def _run(cmd: list[str]) -> tuple[dict, float, float]:
    """Run ``cmd``; its last stdout line as JSON, wall seconds and peak RSS in MiB."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[:3]} failed: {err.read().decode()[-2000:]}")
    return json.loads(text.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024


def time_python(task: str, args) -> tuple[dict, float, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", task]
    cmd += ["--config", str(args.config)]
    if args.outcomes is not None:
        cmd += ["--outcomes", str(args.outcomes)]
    return _run(cmd)


def time_r(task: str, args, tmp: Path) -> tuple[dict, float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    data, _ = task_data(task, args.outcomes)
    csv = tmp / f"{task}.csv"
    data.write_csv(csv)
    if task == "demo":
        models = load_models(args.config)
        (tmp / "formulas.json").write_text(json.dumps(models["formula"]))
        (tmp / "primary.json").write_text(json.dumps(models.get("primary") or {}))
        (tmp / "demo.R").write_text(R_DEMO)
        cmd = ["Rscript", str(tmp / "demo.R"), str(csv), str(tmp / "formulas.json")]
        cmd.append(str(tmp / "primary.json"))
    else:
        (tmp / "one.R").write_text(R_ONE)
        formula = CROSSED if task.startswith("crossed") else NESTED
        cmd = ["Rscript", str(tmp / "one.R"), str(csv), formula]
    return _run(cmd)


def _range(values: list[float], fmt: str = ".2f") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outcomes", type=Path, default=ROOT / "results" / "demo" / "outcomes.parquet")
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--worker", choices=TASKS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.outcomes, args.config)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            py, r = [], []
            for _ in range(args.repeats):
                py.append(time_python(task, args))
                res = time_r(task, args, Path(tmp))
                if res is not None:
                    r.append(res)
            rows.append((task, task_data(task, args.outcomes)[1], py, r))
    load = os.getloadavg()
    print(f"# Model fitting speed, Python vs R ({args.repeats} runs each, ranges)")
    print()
    print(f"Load average after the runs: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    print()
    print(
        "| workload | models | Python (s) | R (s) | Python / R | Python peak RSS (MiB) "
        "| R peak RSS (MiB) | R package loading (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for task, what, py, r in rows:
        tp = [p[0]["seconds"] for p in py]
        mem_p = [p[2] for p in py]
        if r:
            tr = [x[0]["seconds"] for x in r]
            ratio = [a / b for a, b in zip(sorted(tp), sorted(tr), strict=True)]
            r_cols = (
                f"{_range(tr)} | {_range(ratio)} | {_range(mem_p, '.0f')} | "
                f"{_range([x[2] for x in r], '.0f')} | {_range([x[0]['load'] for x in r])}"
            )
        else:
            r_cols = f"Rscript not installed | | {_range(mem_p, '.0f')} | | "
        print(f"| {task}: {what} | {py[0][0]['n']} | {_range(tp)} | {r_cols} |")
    print()
    print(
        "Times are inside each process after imports / package loading; the ratio pairs the "
        "sorted Python and R times (fastest with fastest). Goals: demo <= 1.0x R, "
        "subjects400 <= 0.5x R, crossed200x9 <= 1.0x R."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
