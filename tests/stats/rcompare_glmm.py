"""Compare analysis.models.ordinal / glmm with fixtures of tests/r/make_fixtures_glmm.R."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats as sps

from analysis.models import glmm, ordinal
from analysis.models.mixed_common import lrt

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "glmm"
DATA = HERE / "fixtures" / "data"
CASES_FILE = HERE.parent / "r" / "cases_glmm.json"

# Relative tolerances of estimates and SEs; absolute ones scale with the largest |estimate|
# (for coefficients near 0) and apply to log-likelihoods and probabilities.
# clmm: ordinal's objective is exact once its inner tolerance is tightened, so estimates agree
# to 1e-4 and SEs (both from finite-difference Hessians) to 5e-4.
# glmer: lme4's Laplace deviance is itself off by up to ~3e-5 in logLik (its log-determinant;
# an exact Laplace coded in R agrees with ours to 1e-9), which moves its estimates by up to 5e-4
# (relative) and makes its finite-difference Hessian noisy: SEs agree to 1 % (0.5 % seen, for
# the Poisson model; an exact R Laplace Hessian agrees with ours to 1e-5).
TOLERANCES = {
    "clmm": {"est": 1e-4, "se": 5e-4},
    "glmer": {"est": 5e-4, "se": 1e-2},
}
ATOL_LOGLIK, ATOL_PROB = 1e-4, 1e-5


def cases() -> list[dict]:
    return json.loads(CASES_FILE.read_text())


def case_data(case: dict) -> pl.DataFrame:
    d = pl.read_csv(DATA / case["data"], infer_schema_length=None)
    for col, value in (case.get("filter") or {}).items():
        d = d.filter(pl.col(col) == value)
    return d


def fit_case(case: dict, formula: str | None = None):
    kw = {"levels": case.get("levels"), "factors": tuple(case.get("factors", ()))}
    if case["model"] == "clmm":
        return ordinal.fit_clmm(
            case_data(case), formula or case["formula"], case["link"], case["nAGQ"], **kw
        )
    return glmm.fit_glmm(
        case_data(case),
        formula or case["formula"],
        case["family"],
        case["link"],
        case["nAGQ"],
        trials=case.get("trials"),
        **kw,
    )


def _arr(x) -> np.ndarray:
    x = np.atleast_1d(np.asarray(x, dtype=object))
    return np.array([np.nan if v is None else float(v) for v in x.ravel()])


def _strs(x) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def close(actual, expected, rtol, atol=0.0, what=""):
    a = actual.to_numpy() if isinstance(actual, pl.Series) else _arr(actual)
    np.testing.assert_allclose(a, _arr(expected), rtol=rtol, atol=atol, err_msg=what)


def p_close(actual, expected, rtol: float, what: str) -> None:
    """Two-sided normal p-values compared through the |z| they imply (tiny p stay comparable)."""
    a = actual.to_numpy() if isinstance(actual, pl.Series) else _arr(actual)
    close(sps.norm.isf(a / 2), sps.norm.isf(_arr(expected) / 2), rtol, 1e-3, what)


def compare_case(case: dict, fix: dict) -> dict[str, float]:
    """Every comparison of one case; returns the largest relative differences seen."""
    fit = fit_case(case)
    tol = TOLERANCES[case["model"]]
    rtol_est, rtol_se = tol["est"], tol["se"]
    assert fit.converged
    assert fit.n_obs == fix["n_obs"]
    loglik = fit.loglik
    if case["model"] == "glmer" and case["nAGQ"] > 1:
        loglik -= fit.loglik_saturated  # lme4's AGQ logLik (see GlmmFit)
    close(loglik, fix["loglik"], 0, ATOL_LOGLIK, "log-likelihood")
    close(2 * fit.n_par - 2 * loglik, fix["aic"], 0, 2 * ATOL_LOGLIK, "AIC")
    coefs = ordinal.coefficients(fit) if case["model"] == "clmm" else glmm.coefficients(fit)
    terms = _strs(fix["coef"]["term"])
    ours = coefs.filter(pl.col("term").is_in(terms))
    ours = ours.join(pl.DataFrame({"term": terms}).with_row_index(), on="term").sort("index")
    assert ours["term"].to_list() == terms, (coefs["term"].to_list(), terms)
    est = _arr(fix["coef"]["estimate"])
    scale = np.abs(est).max()
    close(ours["estimate"], est, rtol_est, 1e-5 * scale, "estimates")
    close(ours["se"], fix["coef"]["se"], rtol_se, 0, "standard errors")
    close(ours["z"], fix["coef"]["z"], rtol_se + rtol_est, 1e-3, "z")
    p_close(ours["p"], fix["coef"]["p"], rtol_se + rtol_est, "p")
    diffs = {
        "estimate": float(np.max(np.abs(ours["estimate"].to_numpy() - est) / np.abs(est))),
        "se": float(np.max(np.abs(ours["se"].to_numpy() / _arr(fix["coef"]["se"]) - 1))),
        "loglik": abs(loglik - fix["loglik"]),
    }
    compare_varcorr(fit, fix, 2 * rtol_est)
    for spec, table in zip(case.get("emmeans", []), fix.get("emmeans", []), strict=True):
        compare_emmeans(case, fit, spec, table, rtol_est, rtol_se)
    for spec, table in zip(case.get("pairs", []), fix.get("pairs", []), strict=True):
        compare_pairs(fit, spec, table, rtol_est, rtol_se)
    for spec, table in zip(case.get("lrt", []), fix.get("lrt", []), strict=True):
        res = lrt(fit_case(case, spec["small"]), fit_case(case, spec["big"]))
        close(res["loglik"], table["loglik"], 0, ATOL_LOGLIK, "LRT log-likelihoods")
        close(res["chisq"][1], table["chisq"], 0, 2e-4, "LRT chi-square")
        assert res["df"][1] == table["df"]
        p_close(res["p"][1], table["p"], 1e-3, "LRT p")
    return diffs


def compare_varcorr(fit, fix: dict, rtol: float) -> None:
    ours = (ordinal if hasattr(fit, "thresholds") else glmm).variance_components(fit)
    r = fix["varcorr"]
    groups, t1 = _strs(r["group"]), _strs(r["term1"])
    t2 = [r["term2"]] if not isinstance(r["term2"], list) else r["term2"]
    vcov = _arr(r["vcov"])
    for g, a, b, v in zip(groups, t1, t2, vcov, strict=True):
        row = ours.filter(
            (pl.col("group") == g) & (pl.col("term1") == a) & pl.col("term2").eq_missing(b)
        )
        assert row.height == 1, (g, a, b, ours)
        close(row["vcov"][0], v, rtol, 1e-5 * vcov.max(), f"variance {g} {a} {b}")


def compare_emmeans(case: dict, fit, spec: dict, table: dict, rtol_est: float, rtol_se: float):
    specs = spec["specs"]
    if case["model"] == "clmm":
        mode = {"exc.prob": "ge", "mean.class": "mean"}.get(spec["mode"], spec["mode"])
        scores = np.arange(1.0, len(fit.categories) + 1) if mode == "mean" else None
        ours = ordinal.clmm_emmeans(fit, specs, mode=mode, scores=scores)
        keys = list(specs)
        theirs = pl.DataFrame({k: _strs(table[k]) for k in specs})
        if spec["mode"] in ("prob", "exc.prob"):
            # emmeans labels the categories 1..K and the cuts "1|2", ..., whatever the levels;
            # the cut "k|k+1" is P(Y > k-th category) = P(Y >= (k+1)-th category)
            extra = _strs(table[table["extra"]])
            if spec["mode"] == "exc.prob":
                extra = [c.split("|")[1] for c in extra]
            extra = [fit.categories[int(c) - 1] for c in extra]
            theirs = theirs.with_columns(category=pl.Series(extra))
            keys.append("category")
    else:
        ours = glmm.glmm_emmeans(fit, specs)
        keys = list(specs)
        theirs = pl.DataFrame({k: _strs(table[k]) for k in specs})
    theirs = theirs.with_columns(
        r_est=pl.Series(_arr(table["estimate"])),
        r_se=pl.Series(_arr(table["se"])),
        r_lo=pl.Series(_arr(table["ci_low"])),
        r_hi=pl.Series(_arr(table["ci_high"])),
    )
    joined = ours.join(theirs, on=keys, how="inner")
    assert joined.height == ours.height == theirs.height, (ours, theirs)
    atol = ATOL_PROB * max(1.0, float(joined["r_est"].abs().max()))
    close(joined["estimate"], joined["r_est"], rtol_est, atol, "EMM")
    close(joined["se"], joined["r_se"], rtol_se, atol, "EMM SE")
    close(joined["ci_low"], joined["r_lo"], rtol_se, atol, "EMM CI")
    close(joined["ci_high"], joined["r_hi"], rtol_se, atol, "EMM CI")


def compare_pairs(fit, spec: dict, table: dict, rtol_est: float, rtol_se: float) -> None:
    by = spec["by"]
    ours = glmm.glmm_contrasts(fit, spec["factor"], by or None)
    # emmeans writes ratios as "a / b" and prefixes numeric levels with the factor name
    theirs = [c.replace(" / ", " - ").replace(spec["factor"], "") for c in _strs(table["contrast"])]
    assert ours["contrast"].to_list() == theirs
    for b in by:
        assert ours[b].to_list() == _strs(table[b])
    ratio = fit.link in ("logit", "log")
    est_col = "ratio" if ratio else "estimate"
    lo, hi = ("ratio_ci_low", "ratio_ci_high") if ratio else ("ci_low", "ci_high")
    close(ours[est_col], table["estimate"], rtol_est, 1e-6, "contrast")
    close(ours[lo], table["ci_low"], rtol_se, 1e-6, "contrast CI")
    close(ours[hi], table["ci_high"], rtol_se, 1e-6, "contrast CI")
    close(ours["z"], table["z"], rtol_se + rtol_est, 1e-3, "contrast z")
    p_close(ours["p"], table["p"], rtol_se + rtol_est, "contrast p")
