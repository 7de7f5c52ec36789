"""Mixed-model inference on par with R's lme4 + lmerTest + emmeans (see docs/statistics.md)."""

from analysis.stats.fit import LmmFit, fit_lmm, refit
from analysis.stats.formula import FormulaError, ModelSpec, RandomTerm, parse_formula
from analysis.stats.inference import coefficients, contrast_tests, f_test

__all__ = [
    "FormulaError",
    "LmmFit",
    "ModelSpec",
    "RandomTerm",
    "coefficients",
    "contrast_tests",
    "f_test",
    "fit_lmm",
    "parse_formula",
    "refit",
]
