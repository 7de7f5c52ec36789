"""Compare analysis.models with a golden fixture written by tests/r/make_fixtures.R."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from analysis import models as stats

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
DATA = FIXTURES / "data"
CASES_FILE = HERE.parent / "r" / "cases.json"

# Tolerances required by issue 5 (no looser than these).
RTOL_BETA, RTOL_SE, RTOL_VC, ATOL_LOGLIK, RTOL_DF, RTOL_P = 1e-4, 1e-3, 2e-3, 1e-4, 1e-2, 1e-2
# Every comparison is |actual - expected| <= atol + rtol |expected| with an atol suited to a
# quantity that can be zero (a t of 1e-15 in R and -1e-15 here is agreement): estimates and CI
# limits in units of their SE, t and F in absolute terms (they are in SE units already), other
# quantities relative to the largest magnitude of their group (``group_atol``).
ATOL_T, ATOL_F, ATOL_SE_UNITS, ATOL_GROUP = 1e-6, 1e-6, 1e-6, 1e-9


def cases() -> list[dict]:
    return json.loads(CASES_FILE.read_text())


def case_data(case: dict) -> pl.DataFrame:
    d = pl.read_csv(DATA / case["data"], infer_schema_length=None)
    for col, value in (case.get("filter") or {}).items():
        d = d.filter(pl.col(col) == value)
    if case.get("scale"):
        d = d.with_columns(pl.col(case["response"]) * case["scale"])
    return d


def fit_case(case: dict, formula: str | None = None, **kw) -> stats.LmmFit:
    return stats.fit_lmm(
        case_data(case),
        formula or case["formula"],
        levels=case.get("levels"),
        factors=tuple(case.get("factors", ())),
        simplify_singular=False,
        **kw,
    )


def _arr(x) -> np.ndarray:
    if isinstance(x, pl.Series):
        return x.cast(pl.Float64).to_numpy()
    x = np.atleast_1d(np.asarray(x, dtype=object))
    return np.array([np.nan if v is None else float(v) for v in x.ravel()])


def _strs(x) -> list[str]:
    """jsonlite writes length-1 vectors as scalars."""
    return [x] if isinstance(x, str) else list(x)


def group_atol(expected, frac: float = ATOL_GROUP) -> float:
    """An absolute tolerance scaled by the largest magnitude in the group of values compared."""
    e = np.abs(_arr(expected))
    e = e[np.isfinite(e)]
    return frac * float(e.max()) if e.size else 0.0


def close(actual, expected, rtol, atol=None, what=""):
    """``assert_allclose`` with an absolute part: ``atol`` (a number or per-element array), by
    default :func:`group_atol` of ``expected`` (never a purely relative comparison)."""
    a, e = _arr(actual), _arr(expected)
    atol = group_atol(e) if atol is None else atol
    ok = np.isclose(a, e, rtol=rtol, atol=0.0, equal_nan=True) | (
        np.abs(a - e) <= np.asarray(atol) + rtol * np.abs(e)
    )
    assert np.all(ok), f"{what}: actual {a[~ok]} expected {e[~ok]} (rtol {rtol}, atol {atol})"


def p_close(actual, expected, what=""):
    """p-values within rtol; below 1e-12 only both tiny (digits there carry no information)."""
    a, e = _arr(actual), _arr(expected)
    tiny = e < 1e-12
    assert np.all(a[tiny] < 1e-10), what
    close(a[~tiny], e[~tiny], RTOL_P, 1e-12, what=what)


def compare_fit(case: dict, fix: dict) -> stats.LmmFit:
    fit = fit_case(case)
    beta = np.array(list(fix["beta"].values()))
    assert list(fit.x_names) == list(fix["beta"].keys())
    close(fit.loglik, fix["loglik_reml"], 0, ATOL_LOGLIK, "REML log-likelihood")
    close(fit.beta, beta, RTOL_BETA, 1e-7 * np.abs(beta).max(), "fixed effects")
    se = np.sqrt(np.diag(np.asarray(fix["vcov"], dtype=float)))
    close(np.sqrt(np.diag(fit.vcov_beta)), se, RTOL_SE, what="fixed-effect SE")
    assert fit.singular == fix["singular"]
    vc = stats.variance_components(fit)
    r = fix["varcorr"]
    total = float(np.sum([v for v, t2 in zip(r["vcov"], r["term2"], strict=True) if t2 is None]))
    for g, t1, t2, v, sdcor in zip(
        r["group"], r["term1"], r["term2"], r["vcov"], r["sdcor"], strict=True
    ):
        row = vc.filter(
            (pl.col("group") == g)
            & (pl.col("term1").eq_missing(t1))
            & (pl.col("term2").eq_missing(t2))
        )
        assert row.height == 1, (g, t1, t2, vc)
        close(row["vcov"][0], v, RTOL_VC, 1e-6 * total, f"variance component {g} {t1} {t2}")
        if t2 is not None and sdcor is not None and np.isfinite(row["sdcor"][0]):
            close(row["sdcor"][0], sdcor, 0, 2e-3, f"correlation {g} {t1} {t2}")
    return fit


def compare_coefficients(fit, table: dict, ddf: str) -> None:
    c = stats.coefficients(fit, ddf=ddf)
    assert c["term"].to_list() == _strs(table["term"])
    close(c["se"], table["se"], RTOL_SE, what=f"{ddf} SE")
    close(c["df"], table["df"], RTOL_DF, what=f"{ddf} df")
    close(c["t"], table["t"], RTOL_SE, ATOL_T, what=f"{ddf} t")
    p_close(c["p"], table["p"], what=f"{ddf} p")


def compare_anova(fit, table: dict, ddf: str) -> None:
    a = stats.anova_type3(fit, ddf=ddf)
    assert a["term"].to_list() == _strs(table["term"])
    close(a["F"], table["F"], 2e-3, ATOL_F, what=f"{ddf} F")
    close(a["num_df"], table["num_df"], 0, what=f"{ddf} num df")
    close(a["den_df"], table["den_df"], RTOL_DF, what=f"{ddf} den df")
    p_close(a["p"], table["p"], what=f"{ddf} p")


def compare_contrasts(ours: pl.DataFrame, theirs: dict, what: str, effect: bool = True) -> None:
    se = _arr(theirs["se"])
    close(ours["estimate"], theirs["estimate"], RTOL_BETA, ATOL_SE_UNITS * se, f"{what} estimate")
    close(ours["se"], theirs["se"], RTOL_SE, what=f"{what} SE")
    close(ours["df"], theirs["df"], RTOL_DF, what=f"{what} df")
    close(ours["ci_low"], theirs["ci_low"], 1e-3, 1e-4 * se, f"{what} CI")
    close(ours["ci_high"], theirs["ci_high"], 1e-3, 1e-4 * se, f"{what} CI")
    p_close(ours["p"], theirs["p"], what=f"{what} p")
    if effect and "effect" in theirs:
        e = theirs["effect"]
        close(ours["effect_size"], e["effect_size"], 1e-3, 1e-6, f"{what} effect size")
        close(ours["es_ci_low"], e["es_ci_low"], 1e-2, 1e-4, f"{what} effect size CI")
        close(ours["es_ci_high"], e["es_ci_high"], 1e-2, 1e-4, f"{what} effect size CI")


def compare_conventions(fit, fix: dict) -> None:
    """logLik, AIC, BIC of sum coding (as fitted) and of R's defaults (treatment coding with the
    case's levels and with alphabetical levels), and the treatment-coded coefficient tables."""
    close(fit.aic, fix["aic"], 0, ATOL_LOGLIK, "AIC (sum coding)")
    close(fit.bic, fix["bic"], 0, ATOL_LOGLIK, "BIC (sum coding)")
    for key, order in (("treatment", "model"), ("r_default", "alphabetical")):
        theirs = fix["conventions"][key]
        ic = stats.information_criteria(fit, "treatment")
        close(ic["loglik"], theirs["loglik"], 0, ATOL_LOGLIK, f"{key} logLik")
        close(ic["aic"], theirs["aic"], 0, 2 * ATOL_LOGLIK, f"{key} AIC")
        close(ic["bic"], theirs["bic"], 0, 2 * ATOL_LOGLIK, f"{key} BIC")
        assert ic["df"] == theirs["df"]
        c = stats.coefficients(fit, contrasts="treatment", level_order=order)
        table = theirs["coef"]
        assert c["term"].to_list() == _strs(table["term"]), key
        se = _arr(table["se"])
        close(c["estimate"], table["estimate"], RTOL_BETA, ATOL_SE_UNITS * se, f"{key} estimate")
        close(c["se"], table["se"], RTOL_SE, what=f"{key} SE")
        close(c["df"], table["df"], RTOL_DF, what=f"{key} df")
        close(c["t"], table["t"], RTOL_SE, ATOL_T, what=f"{key} t")
        p_close(c["p"], table["p"], what=f"{key} p")


def compare_pairwise(fit, spec: dict, theirs: dict) -> None:
    """Pairwise EMM comparisons with every adjustment against emmeans' ``pairs(adjust=)``."""
    by = spec["by"] or None
    for adjust, table in theirs.items():
        ours = stats.pairwise(fit, spec["factor"], by, adjust=adjust)
        what = f"pairs {spec['factor']} by {spec['by']} adjust={adjust}"
        assert ours["contrast"].to_list() == _strs(table["contrast"]), what
        for b in spec["by"]:
            assert [str(v) for v in ours[b].to_list()] == _strs(table[b]), what
        se = _arr(table["se"])
        close(ours["estimate"], table["estimate"], RTOL_BETA, ATOL_SE_UNITS * se, what)
        close(ours["se"], table["se"], RTOL_SE, what=f"{what} SE")
        close(ours["df"], table["df"], RTOL_DF, what=f"{what} df")
        p_close(ours["p_adj"], table["p_adj"], what=f"{what} p")
        if adjust in ("tukey", "sidak", "bonferroni", "none"):
            close(ours["ci_low"], table["ci_low"], 1e-3, 1e-4 * se, f"{what} CI")
            close(ours["ci_high"], table["ci_high"], 1e-3, 1e-4 * se, f"{what} CI")


def compare_case(case: dict, fix: dict) -> None:
    """Every comparison of one case; raises AssertionError on the first mismatch."""
    fit = compare_fit(case, fix)
    compare_conventions(fit, fix)
    for spec, theirs in zip(case.get("pairwise", []), fix.get("pairwise", []), strict=True):
        compare_pairwise(fit, spec, theirs)
    compare_coefficients(fit, fix["coef_satterthwaite"], "satterthwaite")
    if fix.get("anova_satterthwaite"):
        compare_anova(fit, fix["anova_satterthwaite"], "satterthwaite")
    if fix.get("coef_kenward_roger"):
        compare_coefficients(fit, fix["coef_kenward_roger"], "kenward-roger")
    if fix.get("anova_kenward_roger"):
        compare_anova(fit, fix["anova_kenward_roger"], "kenward-roger")
    r2 = stats.r2_nakagawa(fit)
    for key in ("r2_marginal", "r2_conditional", "var_fixed", "var_random"):
        close(r2[key], fix["r2_icc"][key], 2e-3, 1e-8, key)
    icc = stats.icc(fit)
    close(icc["icc"][-1], fix["r2_icc"]["icc_adjusted"], 2e-3, 1e-8, "adjusted ICC")
    if "ranef" in fix:
        compare_diagnostics(fit, fix)
    for spec, table in zip(case.get("emmeans", []), fix.get("emmeans", []), strict=True):
        emm = stats.emmeans(fit, spec["specs"], spec["by"] or None)
        keys = spec["specs"] + spec["by"]
        theirs = pl.DataFrame({k: table[k] for k in keys}).with_columns(
            emmean=pl.Series(table["emmean"]),
            se_r=pl.Series(table["se"]),
            df_r=pl.Series(table["df"]),
        )
        joined = emm.join(theirs, on=keys, how="inner")
        assert joined.height == emm.height == theirs.height
        se_r = joined["se_r"].to_numpy()
        close(joined["emmean"], joined["emmean_right"], RTOL_BETA, ATOL_SE_UNITS * se_r, "emmean")
        close(joined["se"], joined["se_r"], RTOL_SE, what="emmean SE")
        close(joined["df"], joined["df_r"], RTOL_DF, what="emmean df")
    for pr, theirs in zip(case.get("pairs", []), fix.get("pairs", []), strict=True):
        ours = stats.level_contrast(fit, pr["factor"], pr["a"], pr["b"], pr["by"] or None)
        _align_by(ours, theirs, pr["by"])
        compare_contrasts(ours, theirs, f"{pr['a']} - {pr['b']} by {pr['by']}")
        if "kenward_roger" in theirs:
            kr = stats.level_contrast(
                fit, pr["factor"], pr["a"], pr["b"], pr["by"] or None, ddf="kenward-roger"
            )
            compare_contrasts(kr, theirs["kenward_roger"], "KR contrast", effect=False)
    for ic, theirs in zip(case.get("interactions", []), fix.get("interactions", []), strict=True):
        ours = stats.level_interaction(fit, ic["factor"], ic["a"], ic["b"], ic["across"])
        assert ours["level"].to_list() == _strs(theirs["level"])
        compare_contrasts(ours, theirs, f"interaction across {ic['across']}")
    for spec, theirs in zip(case.get("lrt", []), fix.get("lrt", []), strict=True):
        small = fit_case(case, spec["small"])
        big = fit_case(case, spec["big"])
        res = stats.lrt(small, big)
        assert res["method"][0] == theirs["method"]
        close(res["loglik"], theirs["loglik"], 0, ATOL_LOGLIK, "LRT log-likelihoods")
        close(res["chisq"][1], theirs["chisq"], 0, 1e-3, "LRT chi-square")
        assert res["df"][1] == theirs["df"]
        p_close([res["p"][1]], [theirs["p"]], "LRT p")
    if "ml" in fix:
        ml = fit_case(case, reml=False)
        close(ml.loglik, fix["ml"]["loglik"], 0, ATOL_LOGLIK, "ML log-likelihood")
        beta = np.array(list(fix["ml"]["beta"].values()))
        close(ml.beta, beta, RTOL_BETA, 1e-7 * np.abs(beta).max(), "ML fixed effects")
        compare_coefficients(ml, fix["ml"]["coef_satterthwaite"], "satterthwaite")


def compare_diagnostics(fit, fix: dict) -> None:
    """BLUPs against lme4's ``ranef`` (matched by group, term and level), fitted values and
    residuals against ``fitted()`` / ``residuals()`` row by row."""
    from analysis.models.diagnostics import ranef, residuals

    theirs = pl.DataFrame(
        {k: fix["ranef"][k] for k in ("group", "term", "group_level", "effect")}
    ).rename({"group": "grouping", "term": "coefficient", "effect": "effect_r"})
    ours = ranef(fit)
    joined = ours.join(theirs, on=["grouping", "coefficient", "group_level"], how="inner")
    assert joined.height == ours.height == theirs.height, (ours, theirs)
    for _, g in joined.group_by("term"):
        scale = float(np.std(g["effect_r"].to_numpy())) or 1.0
        close(g["effect"], g["effect_r"], 1e-3, 1e-3 * scale, f"BLUPs {g['term'][0]}")
    res = residuals(fit)
    y_scale = float(np.std(res["observed"].to_numpy()))
    close(res["fitted"], fix["fitted"], 1e-6, 1e-4 * y_scale, "fitted values")
    close(res["residual"], fix["residuals"], 1e-3, 1e-4 * y_scale, "residuals")


def _align_by(ours: pl.DataFrame, theirs: dict, by: list[str]) -> None:
    if not by:
        assert ours.height == 1
        return
    by_rows = theirs["by"] if isinstance(theirs["by"], list) else [theirs["by"]]
    labels = [[str(b[k]) for k in by] for b in by_rows]
    assert [[str(r[k]) for k in by] for r in ours.iter_rows(named=True)] == labels
