"""A declared trial factor is modelled like direction: each level against its first level."""

import numpy as np
import polars as pl

from analysis.models.analyse import analyse_outcomes
from analysis.outcomes.table import outcome_table


def _data(levels=("level", "uphill", "downhill"), effects=(0.0, 4.0, -2.0), backward=True):
    rng = np.random.default_rng(1)
    rows = []
    for s in range(8):
        u = rng.normal(0, 1)
        for d in ("forward", "backward") if backward else ("forward",):
            for lev, eff in zip(levels, effects, strict=True):
                for t in range(2):
                    y = 10 + u + eff + (1.5 if d == "backward" else 0) + rng.normal(0, 0.5)
                    rows.append((f"S{s}", d, lev, t + 1, "emg", "VL_mean_cycle", y))
    cols = ["subject", "direction", "incline", "trial", "family", "outcome", "value"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def test_each_level_against_the_first_when_direction_is_absent():
    df = _data(backward=False)
    res = analyse_outcomes(
        df, "value ~ direction * incline + (1 | subject)",
        levels={"incline": ["level", "uphill", "downhill"]},
    )  # fmt: skip
    c = res["contrasts"].sort("contrast_level")
    assert c.select("contrast_factor", "contrast_level", "contrast_reference").rows() == [
        ("incline", "downhill", "level"),
        ("incline", "uphill", "level"),
    ]
    assert c["estimate"].to_list()[0] < -1 and c["estimate"].to_list()[1] > 3
    assert (c["formula_used"] == "value ~ incline + (1 | subject)").all()


def test_direction_stays_primary_and_is_reported_within_each_declared_level():
    df = _data()
    res = analyse_outcomes(
        df, "value ~ direction * incline + (1 | subject)",
        levels={"incline": ["level", "uphill", "downhill"]},
    )  # fmt: skip
    c = res["contrasts"]
    main = c.filter(pl.col("contrast_type") == "main")
    assert main["contrast_factor"].to_list() == ["direction"]
    assert abs(main["estimate"].item() - 1.5) < 0.5
    simple = c.filter(pl.col("contrast_type") == "simple")
    assert set(simple["at_level"]) == {"level", "uphill", "downhill"}


def test_outcome_table_carries_the_declared_factor():
    keys = {"cohort": "c", "subject": "S1", "session": "a", "direction": "forward"}
    features = pl.DataFrame(
        {**{k: [v] * 2 for k, v in keys.items()}, "trial": [1, 2], "side": "right",
         "cycle": 1, "muscle": "VL", "phase": "cycle", "feature": "mean", "value": [1.0, 2.0]}
    )  # fmt: skip
    trials = pl.DataFrame({**{k: [v] * 2 for k, v in keys.items()}, "trial": [1, 2],
                           "task": ["single", "dual"]})  # fmt: skip
    participants = pl.DataFrame({"cohort": ["c"], "subject": ["S1"], "group": ["g"]})
    empty = pl.DataFrame(schema={"cohort": pl.String, "subject": pl.String})
    t = outcome_table(participants, empty, features, trials=trials, factors=["task"])
    assert t.columns.index("task") == t.columns.index("direction") + 1
    assert dict(zip(t["trial"], t["task"], strict=True)) == {1: "single", 2: "dual"}
