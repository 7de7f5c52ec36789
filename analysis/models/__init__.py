"""Mixed-model inference on par with R's lme4 + lmerTest + emmeans (see docs/statistics.md).

Fit with :func:`fit_lmm`, then ask for :func:`coefficients`, :func:`anova_type3`,
:func:`emmeans`, :func:`contrast_backward_forward`, :func:`interaction_contrast`,
:func:`variance_components`, :func:`r2_nakagawa`, :func:`icc`, :func:`lrt`, :func:`ranef`,
:func:`residuals`, :func:`pairwise` (Tukey, Sidak, Bonferroni, Holm, FDR) and
:func:`information_criteria` (R's logLik, AIC, BIC);
:func:`analyse_outcomes` does all of it for every outcome of a long outcome table.
"""

from analysis.models.adapt import adapt_spec
from analysis.models.analyse import adjust_within_families, analyse_outcomes
from analysis.models.anova import anova_type3
from analysis.models.conventions import information_criteria
from analysis.models.crosscheck import crosscheck_pingouin
from analysis.models.diagnostics import fitted_values, ranef, residuals
from analysis.models.effectsize import icc, r2_nakagawa, total_variance, variance_components
from analysis.models.emmeans import (
    contrast_backward_forward,
    emmeans,
    interaction_contrast,
    level_contrast,
    level_interaction,
)
from analysis.models.fit import LmmFit, fit_lmm, refit
from analysis.models.formula import FormulaError, ModelSpec, RandomTerm, parse_formula
from analysis.models.inference import coefficients, contrast_tests, f_test
from analysis.models.lrt import lrt
from analysis.models.multiplicity import adjust_pvalues
from analysis.models.pairwise import pairwise
from analysis.models.reported import model_contrasts, model_emmeans

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
