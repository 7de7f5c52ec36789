"""Mixed-model inference on par with R's lme4 + lmerTest + emmeans (see docs/statistics.md).

Fit with :func:`fit_lmm`, then ask for :func:`coefficients`, :func:`anova_type3`,
:func:`emmeans`, :func:`contrast_backward_forward`, :func:`interaction_contrast`,
:func:`variance_components`, :func:`r2_nakagawa`, :func:`icc`, :func:`lrt`, :func:`ranef`,
:func:`residuals`, :func:`pairwise` (Tukey, Sidak, Bonferroni, Holm, FDR) and
:func:`information_criteria` (R's logLik, AIC, BIC);
:func:`analyse_outcomes` does all of it for every outcome of a long outcome table.
"""

from analysis.stats.analyse import (
    adapt_spec,
    adjust_within_families,
    analyse_outcomes,
    model_contrasts,
    model_emmeans,
)
from analysis.stats.anova import anova_type3
from analysis.stats.conventions import information_criteria
from analysis.stats.crosscheck import crosscheck_pingouin
from analysis.stats.diagnostics import fitted_values, ranef, residuals
from analysis.stats.effectsize import icc, r2_nakagawa, total_variance, variance_components
from analysis.stats.emmeans import (
    contrast_backward_forward,
    emmeans,
    interaction_contrast,
    level_contrast,
    level_interaction,
)
from analysis.stats.fit import LmmFit, fit_lmm, refit
from analysis.stats.formula import FormulaError, ModelSpec, RandomTerm, parse_formula
from analysis.stats.inference import coefficients, contrast_tests, f_test
from analysis.stats.lrt import lrt
from analysis.stats.multiplicity import adjust_pvalues
from analysis.stats.pairwise import pairwise

__all__ = [
    "FormulaError",
    "LmmFit",
    "ModelSpec",
    "RandomTerm",
    "adapt_spec",
    "adjust_within_families",
    "adjust_pvalues",
    "analyse_outcomes",
    "anova_type3",
    "coefficients",
    "contrast_backward_forward",
    "contrast_tests",
    "crosscheck_pingouin",
    "emmeans",
    "f_test",
    "fit_lmm",
    "fitted_values",
    "icc",
    "information_criteria",
    "interaction_contrast",
    "level_contrast",
    "level_interaction",
    "lrt",
    "model_contrasts",
    "model_emmeans",
    "pairwise",
    "parse_formula",
    "r2_nakagawa",
    "ranef",
    "refit",
    "residuals",
    "total_variance",
    "variance_components",
]
