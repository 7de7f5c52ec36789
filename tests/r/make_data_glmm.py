"""Write the simulated data sets of the GLMM / CLMM R comparisons (seeded, reproducible).

Usage (from the repository root)::

    python tests/r/make_data_glmm.py

Writes ``ordinal_pain.csv``, ``binary_falls.csv`` and ``counts_steps.csv`` to
``tests/stats/fixtures/data/``; ``tests/r/make_fixtures_glmm.R`` then adds ``cbpp.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

OUT = Path(__file__).resolve().parents[1] / "stats" / "fixtures" / "data"


def _design(rng: np.random.Generator, n_subjects: int, n_items: int) -> pl.DataFrame:
    rows = []
    for s in range(n_subjects):
        group = "retro" if s % 2 == 0 else "control"
        for session in ("baseline", "post"):
            for direction in ("forward", "backward"):
                for item in range(n_items):
                    rows.append((f"S{s + 1:02d}", group, session, direction, f"T{item + 1}"))
    return pl.DataFrame(
        rows, schema=["subject", "group", "session", "direction", "item"], orient="row"
    )


def ordinal_pain(seed: int = 17) -> pl.DataFrame:
    """0-10 pain ratings, 16 subjects x 2 sessions x 2 directions x 3 trials."""
    rng = np.random.default_rng(seed)
    d = _design(rng, 16, 3)
    subj = d["subject"].str.slice(1).cast(pl.Int64).to_numpy() - 1
    back = (d["direction"] == "backward").to_numpy()
    post = (d["session"] == "post").to_numpy()
    retro = (d["group"] == "retro").to_numpy()
    u0, u1 = rng.normal(0, 1.2, 16), rng.normal(0, 0.6, 16)
    lat = (
        -0.8 * back
        - 0.4 * post
        - 0.6 * post * retro
        + u0[subj]
        + np.where(back, 0.5, -0.5) * u1[subj]
        + rng.logistic(size=d.height)
    )
    cuts = np.linspace(-3.5, 3.5, 10)
    return d.with_columns(pain=pl.Series(np.digitize(lat + 0.3, cuts)))


def binary_falls(seed: int = 18) -> pl.DataFrame:
    """0/1 task failures, 24 subjects x 2 sessions x 2 directions x 5 items (crossed)."""
    rng = np.random.default_rng(seed)
    d = _design(rng, 24, 5)
    subj = d["subject"].str.slice(1).cast(pl.Int64).to_numpy() - 1
    item = d["item"].str.slice(1).cast(pl.Int64).to_numpy() - 1
    back = (d["direction"] == "backward").to_numpy()
    post = (d["session"] == "post").to_numpy()
    eta = (
        -0.6
        + 0.9 * back
        - 0.5 * post
        + rng.normal(0, 1.0, 24)[subj]
        + np.where(back, 0.5, -0.5) * rng.normal(0, 0.7, 24)[subj]
        + rng.normal(0, 0.6, 5)[item]
    )
    fail = (rng.random(d.height) < 1 / (1 + np.exp(-eta))).astype(int)
    return d.with_columns(fail=pl.Series(fail))


def counts_steps(seed: int = 19) -> pl.DataFrame:
    """Counts of stepping errors, 20 subjects x 2 sessions x 2 directions x 4 items."""
    rng = np.random.default_rng(seed)
    d = _design(rng, 20, 4)
    subj = d["subject"].str.slice(1).cast(pl.Int64).to_numpy() - 1
    item = d["item"].str.slice(1).cast(pl.Int64).to_numpy() - 1
    back = (d["direction"] == "backward").to_numpy()
    post = (d["session"] == "post").to_numpy()
    eta = 0.4 + 0.5 * back - 0.3 * post + rng.normal(0, 0.5, 20)[subj] + rng.normal(0, 0.3, 4)[item]
    return d.with_columns(errors=pl.Series(rng.poisson(np.exp(eta))))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    ordinal_pain().write_csv(OUT / "ordinal_pain.csv")
    binary_falls().write_csv(OUT / "binary_falls.csv")
    counts_steps().write_csv(OUT / "counts_steps.csv")
    print("wrote", OUT)
