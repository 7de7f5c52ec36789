"""Synthetic outcome tables in the contract of docs/architecture.md."""

from __future__ import annotations

import numpy as np
import polars as pl

FORMULA = "value ~ direction * session + (1 + direction | subject) + (1 | subject:session)"
LEVELS = {"session": ["baseline", "post"]}


def outcome_table(seed: int = 3, n_subjects: int = 12, effect: float = 2.0) -> pl.DataFrame:
    """EMG outcomes per trial (two muscles), pain per session (no trial), balance (no direction)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        subject = f"P{s + 1:02d}"
        group = "retro" if s % 2 == 0 else "control"
        u = rng.normal(0, 1.0, size=4)
        for session in ("baseline", "post"):
            us = rng.normal(0, 0.5)
            for direction in ("forward", "backward"):
                bw = direction == "backward"
                for muscle, gain in (("VL", effect), ("TA", 0.0)):
                    for trial in (1, 2, 3):
                        value = 10 + gain * bw + u[0] + (u[1] if bw else 0) + us + rng.normal(0, 1)
                        rows.append(
                            (
                                "demo",
                                subject,
                                group,
                                session,
                                direction,
                                trial,
                                "emg",
                                f"{muscle}_mean_cycle",
                                value,
                                "fraction of reference",
                            )
                        )
                pain = 40 - 8 * bw + u[2] * 5 + rng.normal(0, 5)
                rows.append(
                    (
                        "demo",
                        subject,
                        group,
                        session,
                        direction,
                        None,
                        "pain",
                        "knee_pain_vas",
                        pain,
                        "mm",
                    )
                )
            bbs = 45 + 3 * (session == "post") * (group == "retro") + u[3] * 2 + rng.normal(0, 1)
            rows.append(
                ("demo", subject, group, session, None, None, "balance", "bbs", bbs, "points")
            )
    return pl.DataFrame(
        rows,
        schema={
            "cohort": pl.String,
            "subject": pl.String,
            "group": pl.String,
            "session": pl.String,
            "direction": pl.String,
            "trial": pl.Int64,
            "family": pl.String,
            "outcome": pl.String,
            "value": pl.Float64,
            "unit": pl.String,
        },
        orient="row",
    )
