"""Time to fit and report every model of a cohort, in Python (analysis.models) and in R.

Python: ``analyse_outcomes`` per family with the config's formulas, primary factors and
multiplicity families, as the workflow's models rule runs it (fit with four optimisers +
polishing, singular-fit simplification, Satterthwaite coefficients/contrasts/EMMs, Type III
tests, variance components, ICC, R2, residuals and BLUPs), with and without the pingouin
cross-check. R, in the same run: ``lmerTest::lmer`` per outcome with ``summary``
(Satterthwaite), ``anova(type = 3)``, emmeans contrasts (``lmer.df = "satterthwaite"``) overall,
by session/group and their interaction, and ``VarCorr``; package loading is timed separately.

Usage::

    .venv/bin/python benchmarks/speed_models.py [--outcomes results/demo/outcomes.parquet]

Without the demo results (``snakemake --cores 2 results/demo/outcomes.parquet``) a synthetic
outcome table of the same shape is used.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.models import analyse_outcomes  # noqa: E402

R_SCRIPT = r"""
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
cat(toJSON(list(load = t_load, models = t_models, n_ok = n_ok, n_fail = n_fail), auto_unbox = TRUE))
"""


def load_outcomes(path: Path | None) -> tuple[pl.DataFrame, str]:
    if path is not None and path.exists():
        return pl.read_parquet(path), str(path)
    sys.path.insert(0, str(ROOT / "tests" / "stats"))
    from synthetic import outcome_table

    return outcome_table(n_subjects=12), "synthetic outcome table (tests/stats/synthetic.py)"


def time_python(outcomes: pl.DataFrame, models: dict, crosscheck: bool) -> tuple[float, int]:
    formulas = models["formula"]
    t0 = time.perf_counter()
    n = 0
    for (family,), part in outcomes.group_by("family", maintain_order=True):
        formula = formulas.get(family, formulas["default"])
        res = analyse_outcomes(
            part,
            formula,
            family_col=models.get("multiplicity_family", ["family"]),
            primary=(models.get("primary") or {}).get(family),
            crosscheck=crosscheck,
        )
        n += res["models"].height
    return time.perf_counter() - t0, n


def time_r(outcomes: pl.DataFrame, models: dict) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "outcomes.csv"
        outcomes.write_csv(csv)
        spec = Path(tmp) / "formulas.json"
        spec.write_text(json.dumps(models["formula"]))
        primaries = Path(tmp) / "primary.json"
        primaries.write_text(json.dumps(models.get("primary") or {}))
        script = Path(tmp) / "speed.R"
        script.write_text(R_SCRIPT)
        t0 = time.perf_counter()
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(spec), str(primaries)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - t0
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall"] = wall
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outcomes", type=Path, default=ROOT / "results" / "demo" / "outcomes.parquet")
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    args = ap.parse_args()
    outcomes, source = load_outcomes(args.outcomes)
    models = dict(yaml.safe_load(args.config.read_text())["models"])
    if isinstance(models["formula"], str):
        models["formula"] = {"default": models["formula"]}
    t_py, n_py = time_python(outcomes, models, crosscheck=False)
    t_py_cc, _ = time_python(outcomes, models, crosscheck=True)
    r = time_r(outcomes, models)
    print(f"# Model fitting speed: {source}")
    print()
    print(f"{n_py} outcomes, {outcomes.height} rows")
    print()
    print("| what | seconds |")
    print("|---|---|")
    print(f"| Python analysis.models, all models, no cross-check | {t_py:.2f} |")
    print(f"| Python analysis.models, all models, with pingouin cross-check | {t_py_cc:.2f} |")
    if r is None:
        print("| R | Rscript not installed |")
        return 0
    print(
        f"| R lme4 + lmerTest + emmeans, models ({r['n_ok']} fitted, {r['n_fail']} failed) "
        f"| {r['models']:.2f} |"
    )
    print(f"| R package loading | {r['load']:.2f} |")
    print(f"| R process wall time | {r['wall']:.2f} |")
    print()
    print(
        f"Ratio Python / R (models only): {t_py / r['models']:.1f}x; with cross-check "
        f"{t_py_cc / r['models']:.1f}x; against R's wall time: {t_py / r['wall']:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
