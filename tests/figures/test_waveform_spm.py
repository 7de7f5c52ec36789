"""SPM, ensembles and the d_z effect curve on synthetic curves with known effects."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
import spm1d
from scipy import stats

from analysis.models.waveform import (
    effect_size_curve,
    ensemble_mean,
    spm_anova,
    spm_paired,
    spm_paired_field,
    subject_means,
)


def _cluster(res: pl.DataFrame, muscle: str) -> pl.DataFrame:
    return res.filter((pl.col("muscle") == muscle) & pl.col("cluster").is_not_null())


def test_subject_means_weight_trials_not_cycles():
    c = pl.DataFrame(
        {
            "cohort": "A",
            "subject": "s1",
            "session": ["T0"] * 4 + ["T1"],
            "direction": "forward",
            "trial": [1, 1, 1, 2, 1],
            "cycle": [1, 2, 3, 1, 1],
            "muscle": "VL",
            "pct": 0,
            "value": [1.0, 1.0, 1.0, 5.0, 9.0],
        }
    )
    # T0: trial 1 -> 1, trial 2 -> 5, session mean 3; T1: 9; subject mean 6
    assert subject_means(c)["value"].to_list() == [6.0]
    per_session = subject_means(c, by_session=True)
    assert per_session.sort("session")["value"].to_list() == [3.0, 9.0]


def test_excluded_cycles_are_left_out():
    c = pl.DataFrame(
        {
            "cohort": "A",
            "subject": "s1",
            "session": "T0",
            "direction": "forward",
            "trial": 1,
            "cycle": [1, 2, 3],
            "muscle": "VL",
            "pct": 0,
            "value": [1.0, 3.0, 100.0],
            "excluded": [False, None, True],
        }
    )
    assert subject_means(c)["value"].to_list() == [2.0]


def test_paired_finds_the_planted_clusters(curves):
    res = spm_paired(curves)
    assert set(res["muscle"]) == {"VL", "BF", "TA", "GM"}
    vl, ta = _cluster(res, "VL"), _cluster(res, "TA")
    assert vl.height == 1 and ta.height == 1
    v, t = vl.row(0, named=True), ta.row(0, named=True)
    assert v["start_pct"] < 30 < v["end_pct"] and 15 < v["start_pct"] and v["end_pct"] < 45
    assert t["start_pct"] < 70 < t["end_pct"]
    assert v["sign"] == "backward > forward" and t["sign"] == "backward < forward"
    assert v["p"] < 0.05 and t["p"] < 0.05
    assert v["peak_stat"] > v["threshold"] > 0 and t["peak_stat"] < -t["threshold"]
    # muscles without a planted difference appear once, without a cluster
    for m in ("BF", "GM"):
        rows = res.filter(pl.col("muscle") == m)
        assert rows.height == 1 and rows["cluster"][0] is None
    assert (res["n_subjects"] == 8).all() and (res["df2"] == 7).all()


def test_paired_matches_a_direct_spm1d_call(curves):
    sm = subject_means(curves).filter(pl.col("muscle") == "VL")
    wide = sm.pivot(on="pct", index=["subject", "direction"], values="value").sort("subject")
    cols = [c for c in wide.columns if c not in ("subject", "direction")]
    b = wide.filter(pl.col("direction") == "backward").select(cols).to_numpy()
    f = wide.filter(pl.col("direction") == "forward").select(cols).to_numpy()
    ti = spm1d.stats.ttest_paired(b, f).inference(alpha=0.05, two_tailed=True)
    row = _cluster(spm_paired(curves), "VL").row(0, named=True)
    assert row["threshold"] == pytest.approx(ti.zstar)
    assert (row["start_pct"], row["end_pct"]) == pytest.approx(ti.clusters[0].endpoints)
    assert row["p"] == pytest.approx(ti.clusters[0].P)


def test_paired_is_deterministic(curves):
    assert spm_paired(curves).equals(spm_paired(curves))


def test_field_marks_significant_nodes_inside_the_cluster(curves):
    field = spm_paired_field(curves).filter(pl.col("muscle") == "VL")
    assert field.height == 101
    sig = field.filter(pl.col("significant"))["pct"].to_numpy()
    row = _cluster(spm_paired(curves), "VL").row(0, named=True)
    assert sig.min() >= row["start_pct"] and sig.max() <= row["end_pct"]
    assert 30 in sig


def test_by_session_tests_each_session(curves):
    res = spm_paired(curves, by_session=True)
    assert sorted(res["session"].unique()) == ["baseline", "post"]
    assert _cluster(res, "VL")["session"].sort().to_list() == ["baseline", "post"]


def test_too_few_subjects_are_skipped_with_a_warning(curves):
    few = curves.filter(pl.col("subject").is_in(["S01", "S02"]))
    with pytest.warns(UserWarning, match="need 3"):
        res = spm_paired(few)
    assert res.height == 0


def test_anova_within_direction_and_session(curves):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # spm1d's approximate-residual warning is handled
        res = spm_anova(curves)
    assert set(res["test"]) == {"anova2rm"}
    assert set(res["effect"]) == {"direction", "session", "direction x session"}
    vl = res.filter(
        (pl.col("muscle") == "VL")
        & (pl.col("effect") == "direction")
        & pl.col("cluster").is_not_null()
    )
    assert vl.height >= 1 and (vl["start_pct"] < 30).any() and (vl["end_pct"] > 30).any()
    assert (res["df1"] == 1).all() and (res["df2"] == 7).all()


def test_anova_with_a_between_group(curves, participants):
    with_group = curves.join(participants.select("subject", "group"), on="subject")
    res = spm_anova(with_group, between="group")
    assert set(res["test"]) == {"anova3tworm"}
    assert "group x direction x session" in set(res["effect"])
    one_session = with_group.filter(pl.col("session") == "baseline")
    res1 = spm_anova(one_session, between="group")
    assert set(res1["test"]) == {"anova2onerm"}
    assert set(res1["effect"]) == {"group", "direction", "group x direction"}


def test_effect_size_equals_mean_over_sd_of_differences(curves):
    es = effect_size_curve(curves).filter(pl.col("muscle") == "VL").sort("pct")
    sm = subject_means(curves).filter((pl.col("muscle") == "VL") & (pl.col("pct") == 30))
    d = (
        sm.pivot(on="direction", index="subject", values="value")
        .select(pl.col("backward") - pl.col("forward"))
        .to_series()
        .to_numpy()
    )
    row = es.filter(pl.col("pct") == 30).row(0, named=True)
    assert row["dz"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert row["ci_low"] < row["dz"] < row["ci_high"]
    assert row["n_subjects"] == 8


def _null_curves(dz: float, n: int, nodes: int, seed: int) -> pl.DataFrame:
    """n subjects whose backward - forward difference is N(dz, 1) independently at each node."""
    rng = np.random.default_rng(seed)
    d = rng.normal(dz, 1.0, (n, nodes))
    frames = []
    for i in range(n):
        for direction, v in (("forward", np.zeros(nodes)), ("backward", d[i])):
            frames.append(
                pl.DataFrame(
                    {
                        "cohort": "A",
                        "subject": f"s{i}",
                        "session": "T0",
                        "direction": direction,
                        "trial": 1,
                        "cycle": 1,
                        "muscle": "VL",
                        "pct": np.arange(nodes),
                        "value": v,
                    }
                )
            )
    return pl.concat(frames)


def test_noncentral_t_interval_inverts_the_noncentral_t():
    es = effect_size_curve(_null_curves(0.5, 10, 5, seed=1))
    n = 10
    for r in es.iter_rows(named=True):
        t = r["dz"] * np.sqrt(n)
        assert stats.nct.cdf(t, n - 1, r["ci_low"] * np.sqrt(n)) == pytest.approx(0.975, abs=1e-6)
        assert stats.nct.cdf(t, n - 1, r["ci_high"] * np.sqrt(n)) == pytest.approx(0.025, abs=1e-6)


def test_noncentral_t_interval_has_nominal_coverage():
    # nodes are independent replications: coverage of the pointwise 95% interval
    es = effect_size_curve(_null_curves(0.5, 10, 3000, seed=2))
    covered = ((es["ci_low"] <= 0.5) & (es["ci_high"] >= 0.5)).mean()
    assert 0.935 < covered < 0.965


def test_normal_interval_formula():
    es = effect_size_curve(_null_curves(0.8, 12, 3, seed=3), method="normal", ci=0.9)
    for r in es.iter_rows(named=True):
        half = stats.norm.ppf(0.95) * np.sqrt(1 / 12 + r["dz"] ** 2 / 24)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((r["dz"] - half, r["dz"] + half))
    assert (es["method"] == "normal").all()


def test_effect_size_rejects_unknown_method(curves):
    with pytest.raises(ValueError, match="method"):
        effect_size_curve(curves, method="bootstrap")


def test_ensemble_band_is_t_interval_of_subject_means(curves):
    ens = ensemble_mean(curves)
    assert ens.height == 4 * 2 * 101
    r = ens.filter(
        (pl.col("muscle") == "TA") & (pl.col("direction") == "forward") & (pl.col("pct") == 70)
    ).row(0, named=True)
    vals = subject_means(curves).filter(
        (pl.col("muscle") == "TA") & (pl.col("direction") == "forward") & (pl.col("pct") == 70)
    )["value"]
    half = stats.t.ppf(0.975, 7) * vals.std() / np.sqrt(8)
    assert r["mean"] == pytest.approx(vals.mean())
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((vals.mean() - half, vals.mean() + half))


def test_trial_means_in_batches_equal_one_pass_and_plain_means(tmp_path):
    from analysis.models.waveform import trial_means

    rng = np.random.default_rng(3)
    rows = [
        {
            "cohort": "c",
            "subject": f"S{s}",
            "session": sess,
            "direction": d,
            "trial": t,
            "cycle": cyc,
            "muscle": m,
            "pct": p,
            "value": float(rng.gamma(2.0)),
            "excluded": bool(cyc == 3 and s == 2),
            "norm_unit": "% reference",
        }
        for s in range(5)
        for sess in ("T0", "T1")
        for d in ("forward", "backward")
        for t in (1, 2)
        for cyc in (1, 2, 3)
        for m in ("VL", "TA")
        for p in range(0, 101, 25)
    ]
    path = tmp_path / "curves.parquet"
    pl.DataFrame(rows).sample(fraction=1.0, shuffle=True, seed=1).write_parquet(path)
    results = [trial_means(pl.scan_parquet(path), subjects_per_batch=k) for k in (1, 2, 100)]
    assert results[0].equals(results[1]) and results[0].equals(results[2])
    keys = ["cohort", "subject", "session", "direction", "trial", "muscle", "pct"]
    plain = (
        pl.DataFrame(rows)
        .filter(~pl.col("excluded"))
        .group_by(keys)
        .agg(pl.col("value").mean())
        .sort(keys)
    )
    got = results[0].sort(keys)
    assert got.height == plain.height == 5 * 2 * 2 * 2 * 2 * 5
    want = plain["value"].to_numpy()
    np.testing.assert_allclose(
        got["value"].to_numpy(), want, rtol=1e-12, atol=1e-12 * np.abs(want).max()
    )
    assert set(got["cycle"]) == {0} and set(got["norm_unit"]) == {"% reference"}
    with pytest.raises(ValueError, match="subjects_per_batch"):
        trial_means(pl.scan_parquet(path), subjects_per_batch=0)
