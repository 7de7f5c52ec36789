"""Predicted random effects (BLUPs, lme4's ``ranef``) and conditional residuals of a fit.

With ``b = Lambda(theta) u`` the conditional mode is ``u = M^-1 Lambda' Z' (y - X beta)``,
``M = Lambda' Z'Z Lambda + I`` (Bates et al. 2015), computed from the same blocked factorisation
as the deviance (per outer group for nested terms, jointly for crossed ones). Fitted values
are conditional on the predicted random effects
(``X beta + Z b``, lme4's ``fitted()``) and residuals are ``y`` minus them (``residuals()``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.models.design import _group_keys
from analysis.models.fit import LmmFit


def _spherical_modes(fit: LmmFit) -> tuple[np.ndarray, np.ndarray]:
    """``Lambda u``: nested terms per outer group (n_groups, q_block), crossed terms (q2)."""
    if "modes" not in fit.cache:
        fit.cache["modes"] = fit.core.modes(fit.theta)
    return fit.cache["modes"]


def ranef(fit: LmmFit) -> pl.DataFrame:
    """Predicted random effects, one row per random term, coefficient and level of its group.

    Returns
    -------
    polars.DataFrame
        grouping (the grouping factor, e.g. ``subject:session``; lme4's ``grpvar``),
        coefficient (``(Intercept)``, ``direction1``, as lme4's ``ranef`` columns), term
        (``"<coefficient> | <grouping>"``, unique within a model), group_level (``s1`` or
        ``s1:pre``, lme4's level names) and effect. Levels without observations (a slot of a
        nested factor absent in a subject) are left out.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(8), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 16,
    ...                    "value": rng.normal(size=32) + 2 * rng.normal(size=8)[s]})
    >>> re = ranef(fit_lmm(df, "value ~ direction + (1 | subject)"))
    >>> re.height, re["term"][0], abs(re["effect"].sum()) < 1e-8
    (8, '(Intercept) | subject', True)
    """
    design = fit.design
    modes, modes2 = _spherical_modes(fit)
    groups, coefs, levels, effects = [], [], [], []
    off = off2 = 0
    for block in design.blocks:
        label = ":".join(block.term.group)
        if block.crossed:
            present = np.unique(block.slot)
            for j, coef in enumerate(block.columns):
                groups += [label] * len(present)
                coefs += [coef] * len(present)
                levels += [block.level_names[k] for k in present]
                effects.append(modes2[off2 + present * block.q + j])
            off2 += block.n_slots * block.q
            continue
        keys = _group_keys(design.data, block.term.group)
        seen = pl.DataFrame(
            {"g": design.group_codes, "slot": block.slot, "key": keys.astype(str)}
        ).unique(subset=["g", "slot"], maintain_order=True)
        seen = seen.sort(["g", "slot"])
        names = [k.replace("\x1f", ":") for k in seen["key"].to_list()]
        g = seen["g"].to_numpy()
        slot = seen["slot"].to_numpy()
        for j, coef in enumerate(block.columns):
            groups += [label] * len(g)
            coefs += [coef] * len(g)
            levels += names
            effects.append(modes[g, off + slot * block.q + j])
        off += block.n_slots * block.q
    effect = np.concatenate(effects) if effects else np.zeros(0)
    out = pl.DataFrame(
        {
            "grouping": groups,
            "coefficient": coefs,
            "group_level": levels,
            "effect": effect,
        },
        schema={
            "grouping": pl.String,
            "coefficient": pl.String,
            "group_level": pl.String,
            "effect": pl.Float64,
        },
    )
    term = pl.concat_str(pl.col("coefficient"), pl.lit(" | "), pl.col("grouping"))
    return out.with_columns(term=term).select(
        "grouping", "coefficient", "term", "group_level", "effect"
    )


def fitted_values(fit: LmmFit) -> np.ndarray:
    """Conditional fitted values ``X beta + Z b`` of the rows used (``fit.design.data``)."""
    core = fit.core
    modes, modes2 = _spherical_modes(fit)
    zb = np.einsum("nq,nq->n", core.zloc, modes[fit.design.group_codes])
    if core.q2:
        zb = zb + core.z2 @ modes2
    return fit.design.x @ fit.beta + zb


def residuals(fit: LmmFit) -> pl.DataFrame:
    """Observed, conditional fitted value and residual of every row used, in data order.

    Returns
    -------
    polars.DataFrame
        observed, fitted, residual (``observed - fitted``, lme4's ``residuals()``).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(8), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "value": rng.normal(size=32)})
    >>> r = residuals(fit_lmm(df, "value ~ 1 + (1 | subject)"))
    >>> r.columns, r.height
    (['observed', 'fitted', 'residual'], 32)
    """
    y = fit.design.y
    fitted = fitted_values(fit)
    return pl.DataFrame({"observed": y, "fitted": fitted, "residual": y - fitted})
