"""Trial-level data whose random slope of direction is not estimable: the df must count subjects.

When trials repeat within each subject x condition cell and the requested random slope of a
within-subject factor is singular (variance 0) and dropped, a model with ``(1 | subject)`` tests
that factor against the trial-to-trial residual: lmerTest's Satterthwaite df then count trials
(df ~ 140 for 12 subjects x 4 cells x 3 trials). The toolkit refits such an outcome to subject
x condition means; the df, SE and CI must then equal lmerTest's on the same means.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import polars as pl
import pytest

from analysis.models import analyse_outcomes
from analysis.models.analyse import cell_means

FORMULA = "value ~ direction * session + (1 + direction | subject)"
LEVELS = {"session": ["baseline", "post"]}


def _trials(slope_sd: float, seed: int = 7, n: int = 12, trials: int = 3) -> pl.DataFrame:
    """Stride times: backward 0.08 s shorter, a subject offset, ``slope_sd`` of the direction
    effect between subjects, trial noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        u, b = rng.normal(0, 0.06), rng.normal(0, slope_sd)
        for ses in ("baseline", "post"):
            for d in ("forward", "backward"):
                for t in range(trials):
                    back = d == "backward"
                    value = 1.08 + u - back * (0.08 + b) + rng.normal(0, 0.013)
                    rows.append((f"S{s:02d}", ses, d, t + 1, "stride_time", "s", value))
    return pl.DataFrame(
        rows,
        schema=["subject", "session", "direction", "trial", "outcome", "unit", "value"],
        orient="row",
    )


def _main(res: dict) -> dict:
    c = res["contrasts"].filter(pl.col("contrast_type") == "main")
    return c.row(0, named=True)


def test_no_estimable_slope_fits_subject_condition_means():
    data = _trials(slope_sd=0.0)
    res = analyse_outcomes(data, FORMULA, levels=LEVELS)
    row = _main(res)
    assert row["observation"] == "subject × condition mean"
    assert row["n_obs"] == 12 * 4
    assert row["df"] < 12 * 4  # not the ~140 of the trials
    assert "subject × condition means" in res["models"]["notes"][0]


def test_an_estimable_slope_keeps_the_trials():
    res = analyse_outcomes(_trials(slope_sd=0.03), FORMULA, levels=LEVELS)
    row = _main(res)
    assert row["observation"] == "trial" and row["n_obs"] == 12 * 4 * 3
    assert "(1 + direction | subject)" in row["formula_used"]
    assert row["df"] == pytest.approx(11.0, abs=1.0)  # the subjects' slopes


def test_one_value_per_cell_is_left_alone():
    data = cell_means(_trials(slope_sd=0.0))
    row = _main(analyse_outcomes(data, FORMULA, levels=LEVELS))
    assert row["observation"] == "condition" and row["n_obs"] == 48


R_SCRIPT = r"""
suppressMessages({library(lmerTest); library(emmeans)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
d$direction <- factor(d$direction, levels = c("forward", "backward"))
d$session <- factor(d$session, levels = c("baseline", "post"))
options(contrasts = c("contr.sum", "contr.poly"))
trial <- lmer(value ~ direction * session + (1 | subject), d)
a <- aggregate(value ~ subject + direction + session, d, mean)
cells <- lmer(as.formula(args[2]), a)  # the model the toolkit fitted to the means
out <- function(m) {
  s <- summary(pairs(emmeans(m, ~direction, lmer.df = "satterthwaite"), reverse = TRUE),
               infer = TRUE)
  c(s$estimate, s$SE, s$df, s$lower.CL, s$upper.CL)
}
cat(out(trial), "\n", out(cells), "\n")
"""


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_cell_means_fit_agrees_with_lmertest(tmp_path):
    data = _trials(slope_sd=0.0)
    data.write_csv(tmp_path / "d.csv")
    (tmp_path / "m.R").write_text(R_SCRIPT)
    row = _main(analyse_outcomes(data, FORMULA, levels=LEVELS))
    proc = subprocess.run(
        ["Rscript", str(tmp_path / "m.R"), str(tmp_path / "d.csv"), row["formula_used"]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    trial, cells = (np.array(line.split(), float) for line in proc.stdout.strip().splitlines())
    got = np.array([row[k] for k in ("estimate", "se", "df", "ci_low", "ci_high")])
    np.testing.assert_allclose(got, cells, rtol=1e-4, atol=1e-6)
    # lmerTest's df on the trials count them: what the refit avoids
    assert trial[2] > 100 > cells[2]
