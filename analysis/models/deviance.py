"""The lme4 deviance of a linear mixed model, in lme4's relative Cholesky (theta) parametrisation.

With ``b = Lambda(theta) u``, ``u ~ N(0, sigma^2 I)`` and ``V = sigma^2 (I + Z Lambda Lambda' Z')``
the profiled REML criterion is (Bates et al. 2015, eq. 41)::

    d(theta) = log|M| + log|A| + (n - p) (1 + log(2 pi r2 / (n - p)))

with ``M = Lambda' Z'Z Lambda + I``, ``A = X' V0^-1 X`` (``V0 = V / sigma^2``) and ``r2`` the
penalised residual sum of squares. Because every random term is nested in one outer grouping
factor, ``M`` is block diagonal by group; all groups share the same ``Lambda`` block, so each
evaluation is a batch of small dense solves. Gradients are analytic; they make the optimum exact
and give the Satterthwaite Jacobian without numerical differentiation of ``vcov(beta)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.models.design import Design


@dataclass(frozen=True)
class ThetaLayout:
    """Where each theta enters the per-group Lambda block."""

    rows: np.ndarray
    cols: np.ndarray
    index: np.ndarray
    n_theta: int
    diagonal: np.ndarray
    offsets: tuple[int, ...]
    q_block: int


def theta_layout(design: Design) -> ThetaLayout:
    rows, cols, index, diagonal, offsets = [], [], [], [], []
    off = 0
    t = 0
    for block in design.blocks:
        q = block.q
        offsets.append(t)
        pairs = [(a, b) for b in range(q) for a in range(b, q)]
        for k, (a, b) in enumerate(pairs):
            diagonal.append(a == b)
            for slot in range(block.n_slots):
                base = off + slot * q
                rows.append(base + a)
                cols.append(base + b)
                index.append(t + k)
        t += len(pairs)
        off += block.n_slots * q
    return ThetaLayout(
        np.array(rows), np.array(cols), np.array(index), t, np.array(diagonal), tuple(offsets), off
    )


def theta_start(layout: ThetaLayout) -> np.ndarray:
    """lme4's default start: identity relative covariance."""
    return layout.diagonal.astype(float)


def theta_bounds(layout: ThetaLayout) -> list[tuple[float | None, float | None]]:
    return [(0.0, None) if d else (None, None) for d in layout.diagonal]


class LmmCore:
    """Cross-products of one design and the deviance functions evaluated on them."""

    def __init__(self, design: Design):
        self.design = design
        self.layout = theta_layout(design)
        q = self.layout.q_block
        n, p = design.x.shape
        self.n, self.p, self.q = n, p, q
        zloc = np.zeros((n, q))
        off = 0
        for b in design.blocks:
            for j in range(b.q):
                zloc[np.arange(n), off + b.slot * b.q + j] = b.x[:, j]
            off += b.n_slots * b.q
        self.zloc = zloc
        g = design.group_codes
        self.n_groups = design.n_groups
        self.rows = [np.flatnonzero(g == k) for k in range(self.n_groups)]
        x, y = design.x, design.y
        self.ztz = np.stack([zloc[r].T @ zloc[r] for r in self.rows])
        self.ztx = np.stack([zloc[r].T @ x[r] for r in self.rows])
        self.zty = np.stack([zloc[r].T @ y[r] for r in self.rows])[..., None]
        self.xtx = x.T @ x
        self.xty = x.T @ y
        self.yty = float(y @ y)

    # -- building blocks -----------------------------------------------------------------------

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """The per-group block of Lambda(theta)."""
        lay = self.layout
        out = np.zeros((lay.q_block, lay.q_block))
        out[lay.rows, lay.cols] = np.asarray(theta)[lay.index]
        return out

    def relative_covariances(self, theta: np.ndarray) -> list[np.ndarray]:
        """Each term's covariance of random effects divided by sigma^2 (T T')."""
        out = []
        for k, b in enumerate(self.design.blocks):
            t = np.zeros((b.q, b.q))
            pairs = [(a, c) for c in range(b.q) for a in range(c, b.q)]
            for i, (a, c) in enumerate(pairs):
                t[a, c] = theta[self.layout.offsets[k] + i]
            out.append(t @ t.T)
        return out

    def solve(self, theta: np.ndarray) -> dict[str, np.ndarray | float]:
        lam = self.lam(theta)
        ztzl = self.ztz @ lam
        m = np.swapaxes(ztzl, 1, 2) @ lam + np.eye(self.q)
        m_inv = np.linalg.inv(m)
        logdet_m = float(np.linalg.slogdet(m)[1].sum())
        lzx = lam.T @ self.ztx
        lzy = lam.T @ self.zty
        minv_lzx = m_inv @ lzx
        minv_lzy = m_inv @ lzy
        a = self.xtx - np.einsum("gqp,gqr->pr", lzx, minv_lzx)
        a = (a + a.T) / 2
        c = self.xty - np.einsum("gqp,gq->p", lzx, minv_lzy[..., 0])
        chol_a = np.linalg.cholesky(a)
        beta = np.linalg.solve(a, c)
        r2 = self.yty - float(np.einsum("gq,gq->", lzy[..., 0], minv_lzy[..., 0])) - beta @ c
        return {
            "lam": lam,
            "ztzl": ztzl,
            "m_inv": m_inv,
            "logdet_m": logdet_m,
            "minv_lzx": minv_lzx,
            "minv_lzy": minv_lzy,
            "a": a,
            "logdet_a": 2 * float(np.log(np.diag(chol_a)).sum()),
            "beta": beta,
            "r2": max(float(r2), 1e-300),
        }

    def _dof(self, reml: bool) -> int:
        return self.n - self.p if reml else self.n

    def _sandwich(self, s: dict, w_weight: float, reml: bool) -> np.ndarray:
        """Sum over groups of W - [B A^-1 B'] - w_weight * w w' (see module docstring)."""
        ztzl, m_inv = s["ztzl"], s["m_inv"]
        w_mat = self.ztz - ztzl @ m_inv @ np.swapaxes(ztzl, 1, 2)
        b = self.ztx - ztzl @ s["minv_lzx"]
        zvy = self.zty[..., 0] - (ztzl @ s["minv_lzy"])[..., 0]
        w = zvy - b @ s["beta"]
        total = w_mat.sum(0) - w_weight * np.einsum("gi,gj->ij", w, w)
        if reml:
            a_inv = np.linalg.inv(s["a"])
            total -= np.einsum("gip,pr,gjr->ij", b, a_inv, b)
        return total

    def _theta_grad(self, sandwich: np.ndarray, lam: np.ndarray) -> np.ndarray:
        lay = self.layout
        sl = sandwich @ lam
        grad = np.zeros(lay.n_theta)
        np.add.at(grad, lay.index, 2 * sl[lay.rows, lay.cols])
        return grad

    # -- profiled deviance (what the optimiser minimises) -------------------------------------

    def deviance(self, theta: np.ndarray, reml: bool = True) -> float:
        """Profiled deviance (-2 log-likelihood, REML or ML), as lme4's ``devfun``."""
        s = self.solve(theta)
        return self._profiled(s, reml)

    def _profiled(self, s: dict, reml: bool) -> float:
        nu = self._dof(reml)
        dev = s["logdet_m"] + nu * (1 + np.log(2 * np.pi * s["r2"] / nu))
        return float(dev + (s["logdet_a"] if reml else 0.0))

    def deviance_and_grad(self, theta: np.ndarray, reml: bool = True) -> tuple[float, np.ndarray]:
        s = self.solve(theta)
        nu = self._dof(reml)
        sandwich = self._sandwich(s, nu / s["r2"], reml)
        return self._profiled(s, reml), self._theta_grad(sandwich, s["lam"])

    def beta_sigma(self, theta: np.ndarray, reml: bool = True) -> tuple[np.ndarray, float]:
        s = self.solve(theta)
        return s["beta"], float(np.sqrt(s["r2"] / self._dof(reml)))

    # -- deviance in (theta, sigma), as lmerTest's devfun_vp ----------------------------------

    def varpar_deviance(self, varpar: np.ndarray, reml: bool = True) -> float:
        theta, sigma = varpar[:-1], varpar[-1]
        s = self.solve(theta)
        nu = self._dof(reml)
        dev = s["logdet_m"] + s["r2"] / sigma**2 + nu * np.log(2 * np.pi * sigma**2)
        return float(dev + (s["logdet_a"] if reml else 0.0))

    def varpar_grad(self, varpar: np.ndarray, reml: bool = True) -> np.ndarray:
        theta, sigma = varpar[:-1], varpar[-1]
        s = self.solve(theta)
        sandwich = self._sandwich(s, 1 / sigma**2, reml)
        g_theta = self._theta_grad(sandwich, s["lam"])
        g_sigma = -2 * s["r2"] / sigma**3 + 2 * self._dof(reml) / sigma
        return np.append(g_theta, g_sigma)

    def covbeta(self, varpar: np.ndarray) -> np.ndarray:
        """sigma^2 (X' V0^-1 X)^-1 at the given variance parameters."""
        s = self.solve(varpar[:-1])
        return varpar[-1] ** 2 * np.linalg.inv(s["a"])

    def covbeta_jacobian(self, varpar: np.ndarray) -> np.ndarray:
        """Derivatives of ``covbeta`` with respect to (theta, sigma): array (k, p, p)."""
        theta, sigma = varpar[:-1], varpar[-1]
        s = self.solve(theta)
        lam = s["lam"]
        a_inv = np.linalg.inv(s["a"])
        b = self.ztx - s["ztzl"] @ s["minv_lzx"]
        lb = lam.T @ b
        lay = self.layout
        h = np.zeros((lay.n_theta, self.p, self.p))
        contrib = np.einsum("gep,geq->epq", b[:, lay.rows, :], lb[:, lay.cols, :])
        np.add.at(h, lay.index, contrib)
        dadt = h + np.swapaxes(h, 1, 2)
        jac = sigma**2 * np.einsum("ij,kjl,lm->kim", a_inv, dadt, a_inv)
        return np.concatenate([jac, (2 * sigma * a_inv)[None]], axis=0)


def richardson_jacobian(fun, x: np.ndarray, levels: int = 4) -> np.ndarray:
    """Central differences with Richardson extrapolation (as numDeriv): columns d fun / d x_i."""
    x = np.asarray(x, dtype=float)
    f0 = np.atleast_1d(fun(x))
    out = np.zeros((f0.size, x.size))
    for i in range(x.size):
        h = 0.01 * abs(x[i]) if abs(x[i]) > 1e-3 else 1e-4
        table = []
        for _ in range(levels):
            e = np.zeros_like(x)
            e[i] = h
            table.append((np.atleast_1d(fun(x + e)) - np.atleast_1d(fun(x - e))) / (2 * h))
            h /= 2
        for k in range(1, levels):
            factor = 4.0**k
            table = [
                (factor * table[j + 1] - table[j]) / (factor - 1) for j in range(len(table) - 1)
            ]
        out[:, i] = table[0]
    return out
