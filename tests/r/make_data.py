"""Write the fixture input data sets (CSV) that both Python and R read.

Run from the repository root: ``.venv/bin/python tests/r/make_data.py``. The simulated sets use
fixed seeds; pingouin's bundled data sets are exported as they are. ``sleepstudy.csv`` is written
by ``tests/r/make_fixtures.R`` from lme4 (its subjects prefixed with ``s``).

``--demo results/demo/outcomes.parquet`` also exports two outcomes of the demo cohort's outcome
table (``demo_outcomes.csv``); then ``Rscript tests/r/make_fixtures.R tests/r/cases.json
tests/stats/fixtures demo_emg_VL demo_pain`` refreshes their fixtures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pingouin as pg
import polars as pl

OUT = Path(__file__).resolve().parents[1] / "stats" / "fixtures" / "data"


def retro_trials(
    seed: int = 20240501,
    n_subjects: int = 16,
    n_trials: int = 4,
    slope_sd: float = 2.0,
    session_sd: float = 2.0,
    cell_sd: float = 1.5,
) -> pl.DataFrame:
    """Group x session x direction with trials, subject-level age and trial-level speed."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        group = "bw_training" if s % 2 == 0 else "fw_training"
        age = float(np.round(rng.uniform(22, 70), 1))
        u0 = rng.normal(0, 6.0)
        u1 = 0.3 * u0 / 6.0 * slope_sd + rng.normal(0, slope_sd * np.sqrt(1 - 0.09))
        for session in ("pre", "post"):
            us = rng.normal(0, session_sd)
            for direction in ("forward", "backward"):
                uc = rng.normal(0, cell_sd)
                bw = direction == "backward"
                for trial in range(1, n_trials + 1):
                    speed = float(np.round(rng.normal(1.1 if not bw else 0.7, 0.08), 3))
                    mean = (
                        50
                        + 5 * bw
                        + 2 * (session == "post")
                        + 3 * bw * (session == "post") * (group == "bw_training")
                        + 0.2 * (age - 45)
                        + 4 * (speed - 0.9)
                    )
                    value = mean + u0 + (u1 if bw else -u1) / 2 + us + uc + rng.normal(0, 3.0)
                    rows.append(
                        (
                            f"S{s + 1:02d}",
                            group,
                            age,
                            session,
                            direction,
                            trial,
                            speed,
                            float(np.round(value, 4)),
                        )
                    )
    return pl.DataFrame(
        rows,
        schema=["subject", "group", "age", "session", "direction", "trial", "speed", "value"],
        orient="row",
    )


def unbalanced(df: pl.DataFrame, seed: int = 7) -> pl.DataFrame:
    """Drop 15 % of trials, one subject's post session, and blank five values."""
    rng = np.random.default_rng(seed)
    keep = rng.uniform(size=df.height) > 0.15
    df = df.filter(pl.Series(keep))
    df = df.filter(~((pl.col("subject") == "S03") & (pl.col("session") == "post")))
    blank = rng.choice(df.height, 5, replace=False)
    values = df["value"].to_numpy().copy()
    values[blank] = np.nan
    return df.with_columns(value=pl.Series(values)).with_columns(
        pl.when(pl.col("value").is_nan()).then(None).otherwise(pl.col("value")).alias("value")
    )


DEMO_OUTCOMES = ("VL_mean_cycle", "knee_pain_walking")


MUSCLES = ("VL", "VM", "RF", "BF", "ST", "TA", "GM", "GL", "SOL")


def emg_crossed(seed: int = 16, n_subjects: int = 12) -> pl.DataFrame:
    """EMG-like table: subjects x 9 muscles (muscles shared by subjects: crossed random
    effects) x direction x session, one value per cell; 6 subject-muscle pairs missing
    (partially crossed)."""
    rng = np.random.default_rng(seed)
    m_int = rng.normal(0, 8.0, len(MUSCLES))
    m_dir = rng.normal(0, 3.0, len(MUSCLES))
    rows = []
    for s in range(n_subjects):
        u0, u1 = rng.normal(0, 5.0), rng.normal(0, 2.0)
        for m, muscle in enumerate(MUSCLES):
            um = rng.normal(0, 3.0)
            for session in ("pre", "post"):
                for direction in ("forward", "backward"):
                    bw = direction == "backward"
                    sign = 0.5 if bw else -0.5
                    value = (
                        40
                        + 6 * bw
                        + 1.5 * (session == "post")
                        + m_int[m]
                        + sign * m_dir[m]
                        + u0
                        + sign * u1
                        + um
                        + rng.normal(0, 2.5)
                    )
                    rows.append((f"S{s + 1:02d}", muscle, session, direction, round(value, 4)))
    df = pl.DataFrame(
        rows, schema=["subject", "muscle", "session", "direction", "value"], orient="row"
    )
    drop = {
        ("S02", "TA"),
        ("S03", "SOL"),
        ("S05", "BF"),
        ("S07", "GL"),
        ("S11", "VM"),
        ("S12", "RF"),
    }
    keep = [(a, b) not in drop for a, b in zip(df["subject"], df["muscle"], strict=True)]
    return df.filter(pl.Series(keep))


def export_demo(parquet: Path) -> None:
    """Two outcomes of the demo cohort's outcome table, as CSV."""
    table = pl.read_parquet(parquet).filter(pl.col("outcome").is_in(DEMO_OUTCOMES))
    table.write_csv(OUT / "demo_outcomes.csv")


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", type=Path, help="results/demo/outcomes.parquet to export from")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.demo:
        export_demo(args.demo)
    trials = retro_trials()
    trials.write_csv(OUT / "retro_trials.csv")
    emg_crossed().write_csv(OUT / "emg_crossed.csv")
    unbalanced(trials).write_csv(OUT / "retro_unbalanced.csv")
    singular = retro_trials(seed=106, n_subjects=12, slope_sd=0.0, session_sd=0.0, cell_sd=0.0)
    singular.write_csv(OUT / "retro_singular.csv")
    singular.with_columns(pl.col("value") * 1000).write_csv(OUT / "retro_singular_uV.csv")
    pl.from_pandas(pg.read_dataset("rm_anova2")).write_csv(OUT / "pg_rm_anova2.csv")
    pl.from_pandas(pg.read_dataset("mixed_anova")).write_csv(OUT / "pg_mixed_anova.csv")


if __name__ == "__main__":
    main()
