"""Kenward-Roger small-sample inference, ported from pbkrtest (``vcovAdj``, ``Lb_ddf``,
``KRmodcomp``).

The covariance parameters are the variance-scale ones (each term's variances and covariances,
then the residual variance), so ``V = sum_i gamma_i G_i``. Without crossed random effects all
matrices are block diagonal by the outer grouping factor, so the traces are accumulated group by
group; with crossed terms ``V`` is one dense n x n block (as pbkrtest, which works on the whole
``V`` always).
"""

from __future__ import annotations

import numpy as np

from analysis.models.fit import LmmFit


def _g_matrices(fit: LmmFit) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-parameter structure matrices in the basis of :func:`_local_designs` and gamma."""
    core = fit.core
    crossed = core.q2 > 0
    q1 = core.q * core.n_groups if crossed else core.q
    q = q1 + core.q2
    mats, gammas = [], []
    off = 0
    off2 = q1
    for block, cov in zip(fit.design.blocks, fit.covariances(), strict=True):
        if block.crossed:
            bases = [off2 + slot * block.q for slot in range(block.n_slots)]
        elif crossed:
            bases = [
                g * core.q + off + slot * block.q
                for g in range(core.n_groups)
                for slot in range(block.n_slots)
            ]
        else:
            bases = [off + slot * block.q for slot in range(block.n_slots)]
        for b in range(block.q):
            for a in range(b, block.q):
                e = np.zeros((q, q))
                for base in bases:
                    e[base + a, base + b] = 1.0
                    e[base + b, base + a] = 1.0
                mats.append(e)
                gammas.append(cov[a, b])
        if block.crossed:
            off2 += block.n_slots * block.q
        else:
            off += block.n_slots * block.q
    return mats, np.array([*gammas, fit.sigma**2])


def _local_designs(fit: LmmFit) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, Z of those rows) per independent block of V: one per outer group, or the whole
    data with the full Z (nested part expanded by group, then crossed) when terms are crossed."""
    core = fit.core
    if not core.q2:
        return [(rows, core.zloc[rows]) for rows in core.rows]
    n, q = core.n, core.q
    z1 = np.zeros((n, core.n_groups * q))
    cols = fit.design.group_codes[:, None] * q + np.arange(q)[None, :]
    z1[np.arange(n)[:, None], cols] = core.zloc
    return [(np.arange(n), np.hstack([z1, core.z2]))]


def kr_adjusted(fit: LmmFit) -> dict:
    """pbkrtest's ``vcovAdj``: the adjusted covariance ``PhiA`` with its ``P`` and ``W``."""
    if "kr" in fit.cache:
        return fit.cache["kr"]
    if not fit.reml:
        raise ValueError("Kenward-Roger needs a REML fit; refit with reml=True")
    core = fit.core
    locals_, gamma = _g_matrices(fit)
    k = len(gamma)
    p = core.p
    phi = fit.vcov_beta
    pp = [np.zeros((p, p)) for _ in range(k)]
    qq = {(i, j): np.zeros((p, p)) for i in range(k) for j in range(i, k)}
    ktrace = np.zeros((k, k))
    x = fit.design.x
    for rows, z in _local_designs(fit):
        gs = [z @ e @ z.T for e in locals_] + [np.eye(len(rows))]
        sigma = sum(g * m for g, m in zip(gamma, gs, strict=True))
        s_inv = np.linalg.inv(sigma)
        xs = x[rows]
        tt = s_inv @ xs
        hh = [g @ s_inv for g in gs]
        oo = [h @ xs for h in hh]
        for i in range(k):
            pp[i] -= oo[i].T @ tt
            for j in range(i, k):
                qq[i, j] += oo[i].T @ s_inv @ oo[j]
                ktrace[i, j] += np.sum(hh[i].T * hh[j])
    pp = [(m + m.T) / 2 for m in pp]
    ktrace = np.triu(ktrace) + np.triu(ktrace, 1).T
    ie2 = np.zeros((k, k))
    for i in range(k):
        phi_p = phi @ pp[i]
        for j in range(i, k):
            ie2[i, j] = ie2[j, i] = (
                ktrace[i, j] - 2 * np.sum(phi * qq[i, j]) + np.sum(phi_p * (pp[j] @ phi))
            )
    cond = np.min(np.abs(np.linalg.eigvalsh(ie2)))
    w = 2 * (np.linalg.inv(ie2) if cond > 1e-10 else np.linalg.pinv(ie2))
    w = (w + w.T) / 2
    uu = np.zeros((p, p))
    for i in range(k - 1):
        for j in range(i + 1, k):
            uu += w[i, j] * (qq[i, j] - pp[i] @ phi @ pp[j])
    uu = uu + uu.T
    for i in range(k):
        uu += w[i, i] * (qq[i, i] - pp[i] @ phi @ pp[i])
    phi_a = phi + 2 * phi @ uu @ phi
    out = {"phi_a": phi_a, "P": pp, "W": w}
    fit.cache["kr"] = out
    return out


def _a1_a2(ell: np.ndarray, phi: np.ndarray, kr: dict) -> tuple[float, float]:
    theta = ell.T @ np.linalg.solve(ell @ phi @ ell.T, ell)
    theta_phi = theta @ phi
    pp, w = kr["P"], kr["W"]
    a1 = a2 = 0.0
    k = len(pp)
    u = [theta_phi @ pp[i] @ phi for i in range(k)]
    for i in range(k):
        for j in range(i, k):
            e = 1.0 if i == j else 2.0
            a1 += e * w[i, j] * np.trace(u[i]) * np.trace(u[j])
            a2 += e * w[i, j] * np.sum(u[i] * u[j].T)
    return a1, a2


def _ddf_and_scale(a1: float, a2: float, q: int) -> tuple[float, float]:
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v0 = 1 + c1 * b
    v1 = 1 - c2 * b
    v2 = 1 - c3 * b
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    x = 1 - a2 / q
    ratio = 1.0 if abs(x) < 1e-14 and abs(v1) < 1e-14 else x / v1
    rho = ratio**2 * v0 / v2 / q
    df2 = 4 + (q + 2) / (q * rho - 1)
    scaling = 1.0 if abs(df2 - 2) < 0.01 else df2 * (1 - a2 / q) / (df2 - 2)
    return df2, scaling


def kr_t(fit: LmmFit, contrasts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kenward-Roger SE (from the adjusted covariance) and df of each contrast row."""
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    kr = kr_adjusted(fit)
    se = np.sqrt(np.einsum("ki,ij,kj->k", ell, kr["phi_a"], ell))
    df = np.array([_ddf_and_scale(*_a1_a2(row[None], fit.vcov_beta, kr), 1)[0] for row in ell])
    return se, df


def kr_f(fit: LmmFit, contrasts: np.ndarray) -> dict:
    """pbkrtest's ``KRmodcomp`` F test of ``L beta = 0`` (scaled F, as lmerTest reports it)."""
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    kr = kr_adjusted(fit)
    q = int(np.linalg.matrix_rank(ell))
    a1, a2 = _a1_a2(ell, fit.vcov_beta, kr)
    df2, scaling = _ddf_and_scale(a1, a2, q)
    lb = ell @ fit.beta
    wald = float(lb @ np.linalg.solve(ell @ kr["phi_a"] @ ell.T, lb))
    return {"F": scaling * wald / q, "num_df": q, "den_df": df2, "F_scaling": scaling}
