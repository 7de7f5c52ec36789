"""Small synthetic inputs following docs/architecture.md, with known effects.

- 8 subjects (4 ``retro``, 4 ``control``), sessions ``baseline`` and ``post``.
- EMG curves for VL, BF, TA, GM: 2 trials x 3 cycles per condition; VL has an extra backward
  burst centred at 30% of the cycle, TA is lower walking backward around 70%, BF and GM do not
  differ.
- Outcomes: EMG means per trial, balance (BBS, TUG, per session, no direction) and pain (per
  session and direction).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

COHORT = "synth"
SUBJECTS = [f"S{i:02d}" for i in range(1, 9)]
GROUPS = {s: ("retro" if i % 2 == 0 else "control") for i, s in enumerate(SUBJECTS)}
SESSIONS = ["baseline", "post"]
MUSCLES = ["VL", "BF", "TA", "GM"]
PCT = np.arange(101)


def _profile(muscle: str, direction: str) -> np.ndarray:
    x = PCT / 100
    base = {
        "VL": 0.6 * np.exp(-(((x - 0.05) / 0.08) ** 2)) + 0.1,
        "BF": 0.5 * np.exp(-(((x - 0.9) / 0.08) ** 2)) + 0.1,
        "TA": 0.5 * np.exp(-(((x - 0.7) / 0.12) ** 2)) + 0.15,
        "GM": 0.7 * np.exp(-(((x - 0.45) / 0.08) ** 2)) + 0.05,
    }[muscle]
    if direction == "backward" and muscle == "VL":
        base = base + 0.5 * np.exp(-(((x - 0.30) / 0.06) ** 2))
    if direction == "backward" and muscle == "TA":
        base = base - 0.3 * np.exp(-(((x - 0.70) / 0.08) ** 2))
    return base


def _smooth_noise(rng: np.random.Generator, sd: float) -> np.ndarray:
    kernel = np.exp(-0.5 * (np.arange(-10, 11) / 4.0) ** 2)
    kernel /= np.sqrt((kernel**2).sum())
    return sd * np.convolve(rng.normal(0, 1, PCT.size + 20), kernel, mode="valid")


def make_curves(seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for s in SUBJECTS:
        gain = rng.normal(1.0, 0.1)
        for sess in SESSIONS:
            for d in ("forward", "backward"):
                for m in MUSCLES:
                    prof = _profile(m, d) * gain
                    for trial in (1, 2):
                        for cycle in (1, 2, 3):
                            v = prof + _smooth_noise(rng, 0.03)
                            frames.append(
                                pl.DataFrame(
                                    {
                                        "cohort": COHORT,
                                        "subject": s,
                                        "session": sess,
                                        "direction": d,
                                        "trial": trial,
                                        "cycle": cycle,
                                        "muscle": m,
                                        "pct": PCT,
                                        "value": v,
                                    }
                                )
                            )
    return pl.concat(frames)


def make_participants(seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(SUBJECTS)
    return pl.DataFrame(
        {
            "cohort": COHORT,
            "subject": SUBJECTS,
            "group": [GROUPS[s] for s in SUBJECTS],
            "age_years": rng.integers(50, 75, n).astype(float),
            "sex": ["F", "M", "F", "F", "M", "M", "F", "M"],
            "height_cm": np.round(rng.normal(170, 8, n), 1),
            "mass_kg": np.round(rng.normal(75, 10, n), 1),
            "knee_pain": [True, True, False, True, False, True, True, False],
        }
    )


def make_outcomes(curves: pl.DataFrame, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    emg = (
        curves.group_by("cohort", "subject", "session", "direction", "trial", "muscle")
        .agg(pl.col("value").mean())
        .with_columns(
            family=pl.lit("emg"),
            outcome=pl.col("muscle") + "_mean_cycle",
            unit=pl.lit("% ref"),
            group=pl.col("subject").replace_strict(GROUPS),
        )
        .drop("muscle")
    )
    rows = []
    for s in SUBJECTS:
        for k, sess in enumerate(SESSIONS):
            rows.append((s, sess, None, "balance", "BBS", 48 + 3 * k + rng.normal(0, 2), "points"))
            rows.append((s, sess, None, "balance", "TUG", 11 - k + rng.normal(0, 1), "s"))
            for d, shift in (("forward", 0.0), ("backward", -1.0)):
                v = float(np.clip(round(5 - 2 * k + shift + rng.normal(0, 1)), 0, 10))
                rows.append((s, sess, d, "pain", "knee_pain_walking", v, "NRS"))
    clin = pl.DataFrame(
        rows,
        schema=["subject", "session", "direction", "family", "outcome", "value", "unit"],
        orient="row",
    ).with_columns(
        cohort=pl.lit(COHORT),
        trial=pl.lit(None, dtype=pl.Int64),
        group=pl.col("subject").replace_strict(GROUPS),
    )
    cols = [
        "cohort",
        "subject",
        "group",
        "session",
        "direction",
        "trial",
        "family",
        "outcome",
        "value",
        "unit",
    ]
    return pl.concat(
        [emg.select(cols).with_columns(pl.col("trial").cast(pl.Int64)), clin.select(cols)]
    ).sort("family", "outcome", "subject", "session", "direction", "trial", nulls_last=True)


def make_contrasts() -> pl.DataFrame:
    rows = [
        ("emg", "VL_mean_cycle", "% ref", "backward - forward", 0.080, 0.010, 7.0, 0.0001, 0.0004,
         1.9, 0.9, 2.9),
        ("emg", "BF_mean_cycle", "% ref", "backward - forward", 0.004, 0.012, 7.0, 0.75, 1.0,
         0.1, -0.6, 0.8),
        ("emg", "TA_mean_cycle", "% ref", "backward - forward", -0.030, 0.008, 7.0, 0.007, 0.021,
         -1.2, -2.1, -0.3),
        ("pain", "knee_pain_walking", "NRS", "backward - forward", -1.0, 0.3, 21.0, 0.003, 0.003,
         -0.8, -1.3, -0.3),
        ("balance", "BBS", "points", "post - baseline", 3.0, 0.9, 6.0, 0.015, 0.03,
         0.9, 0.2, 1.6),
        ("balance", "TUG", "s", "post - baseline", -1.0, 0.5, 6.0, 0.09, 0.09,
         -0.5, -1.1, 0.1),
    ]  # fmt: skip
    df = pl.DataFrame(
        rows,
        schema=[
            "family",
            "outcome",
            "unit",
            "contrast",
            "estimate",
            "se",
            "df",
            "p",
            "p_adj",
            "effect_size",
            "es_ci_low",
            "es_ci_high",
        ],
        orient="row",
    )
    tcrit = 2.3
    balance = pl.col("family") == "balance"
    return df.with_columns(
        cohort=pl.lit(COHORT),
        contrast_type=pl.lit("main"),
        contrast_factor=pl.when(balance).then(pl.lit("session")).otherwise(pl.lit("direction")),
        contrast_level=pl.when(balance).then(pl.lit("post")).otherwise(pl.lit("backward")),
        contrast_reference=pl.when(balance).then(pl.lit("baseline")).otherwise(pl.lit("forward")),
        ci_low=pl.col("estimate") - tcrit * pl.col("se"),
        ci_high=pl.col("estimate") + tcrit * pl.col("se"),
        t=pl.col("estimate") / pl.col("se"),
        adjust=pl.lit("holm"),
        es_denominator=pl.lit("the residual SD"),
        n_subjects=pl.lit(8),
        n_obs=pl.lit(64),
        formula_used=pl.when(pl.col("family") == "balance")
        .then(pl.lit("value ~ session * group + (1 | subject)"))
        .otherwise(pl.lit("value ~ direction * session + (1 | subject)")),
    )


def make_emmeans() -> pl.DataFrame:
    rows = []
    for outcome, f, b in (("VL_mean_cycle", 0.20, 0.28), ("TA_mean_cycle", 0.25, 0.22)):
        for d, m in (("forward", f), ("backward", b)):
            rows.append((outcome, d, m, 0.01, 7.0, m - 0.023, m + 0.023))
    return pl.DataFrame(
        rows,
        schema=["outcome", "direction", "emmean", "se", "df", "ci_low", "ci_high"],
        orient="row",
    ).with_columns(cohort=pl.lit(COHORT))


def make_variance() -> pl.DataFrame:
    rows = []
    for outcome, vs, ve in (("VL_mean_cycle", 0.004, 0.001), ("BBS", 6.0, 3.0)):
        for comp, v in (("subject", vs), ("residual", ve)):
            rows.append((outcome, comp, v, vs / (vs + ve), 0.3, 0.8))
    return pl.DataFrame(
        rows,
        schema=["outcome", "component", "variance", "icc", "r2_marginal", "r2_conditional"],
        orient="row",
    )


def make_qc() -> pl.DataFrame:
    rows = [
        ("S02", "baseline", "backward", 2, "BF", None, "flat", "flat signal", True),
        ("S03", "post", "forward", 1, "VL", 2, "cycle_duration", "outlying duration", True),
        ("S03", "post", "forward", 1, "VL", 3, "cycle_duration", "outlying duration", True),
        ("S05", "post", "forward", 1, None, None, "events", "too few strides", True),
        ("S06", "baseline", "forward", 2, "TA", None, "mains", "mains interference", False),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "subject": pl.String,
            "session": pl.String,
            "direction": pl.String,
            "trial": pl.Int64,
            "muscle": pl.String,
            "cycle": pl.Int64,
            "flag": pl.String,
            "reason": pl.String,
            "excluded": pl.Boolean,
        },
        orient="row",
    ).with_columns(cohort=pl.lit(COHORT))


def make_diagnostics(seed: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    res, ranef = [], []
    for outcome, n in (("VL_mean_cycle", 40), ("BBS", 16)):
        fitted = rng.normal(0, 1, n)
        res.append(
            pl.DataFrame({"outcome": outcome, "fitted": fitted, "residual": rng.normal(0, 1, n)})
        )
        ranef.append(
            pl.DataFrame(
                {"outcome": outcome, "group_level": SUBJECTS, "effect": rng.normal(0, 1, 8)}
            )
        )
    return pl.concat(res), pl.concat(ranef)


@pytest.fixture(scope="session")
def curves() -> pl.DataFrame:
    return make_curves()


@pytest.fixture(scope="session")
def participants() -> pl.DataFrame:
    return make_participants()


@pytest.fixture(scope="session")
def outcomes(curves) -> pl.DataFrame:
    return make_outcomes(curves)


@pytest.fixture(scope="session")
def contrasts() -> pl.DataFrame:
    return make_contrasts()


@pytest.fixture(scope="session")
def emmeans() -> pl.DataFrame:
    return make_emmeans()


@pytest.fixture(scope="session")
def variance() -> pl.DataFrame:
    return make_variance()


@pytest.fixture(scope="session")
def qc() -> pl.DataFrame:
    return make_qc()


@pytest.fixture(scope="session")
def diagnostics() -> tuple[pl.DataFrame, pl.DataFrame]:
    return make_diagnostics()


@pytest.fixture(scope="session")
def toe_off() -> pl.DataFrame:
    return pl.DataFrame({"direction": ["forward", "backward"], "toe_off_pct": [61.0, 67.0]})
