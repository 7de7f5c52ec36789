"""The lme4 deviance of a linear mixed model, in lme4's relative Cholesky (theta) parametrisation.

With ``b = Lambda(theta) u``, ``u ~ N(0, sigma^2 I)`` and ``V = sigma^2 (I + Z Lambda Lambda' Z')``
the profiled REML criterion is (Bates et al. 2015, eq. 41)::

    d(theta) = log|M| + log|A| + (n - p) (1 + log(2 pi r2 / (n - p)))

with ``M = Lambda' Z'Z Lambda + I``, ``A = X' V0^-1 X`` (``V0 = V / sigma^2``) and ``r2`` the
penalised residual sum of squares.

``M`` is factored blockwise, as lme4 and MixedModels.jl do. The random terms nested in the outer
grouping factor (:mod:`analysis.models.design`) make ``M11`` block diagonal by group with one
shared ``Lambda`` block, so that part is a batch of small dense solves. The crossed terms
(``Z2``, ``Lambda2``, one column per level and coefficient) are treated as penalised extra
columns of ``X``: after eliminating ``M11`` group by group, the Schur complement of
``[Z2 Lambda2, X, y]`` is dense and small; its top-left block is ``S22 = I + Lambda2' Z2'
V1^-1 Z2 Lambda2`` (``V1`` the covariance of the nested part), so ``log|M| = sum_g log|M11_g| +
log|S22|`` and ``A`` is the Schur complement of ``S22``. Without crossed terms the dense part is
just ``X``. Gradients are analytic; they make the optimum exact and give the Satterthwaite
Jacobian without numerical differentiation of ``vcov(beta)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sl

from analysis.models.design import Design


@dataclass(frozen=True)
class ThetaLayout:
    """Where each theta enters Lambda: ``rows, cols, index`` in the per-group block of the nested
    terms (size ``q_block``), ``rows2, cols2, index2`` in the crossed part (size ``q2``)."""

    rows: np.ndarray
    cols: np.ndarray
    index: np.ndarray
    n_theta: int
    diagonal: np.ndarray
    offsets: tuple[int, ...]
    q_block: int
    rows2: np.ndarray
    cols2: np.ndarray
    index2: np.ndarray
    q2: int


def theta_layout(design: Design) -> ThetaLayout:
    rows, cols, index, diagonal, offsets = [], [], [], [], []
    rows2, cols2, index2 = [], [], []
    off = off2 = 0
    t = 0
    for block in design.blocks:
        q = block.q
        offsets.append(t)
        pairs = [(a, b) for b in range(q) for a in range(b, q)]
        for k, (a, b) in enumerate(pairs):
            diagonal.append(a == b)
            for slot in range(block.n_slots):
                if block.crossed:
                    base = off2 + slot * q
                    rows2.append(base + a)
                    cols2.append(base + b)
                    index2.append(t + k)
                else:
                    base = off + slot * q
                    rows.append(base + a)
                    cols.append(base + b)
                    index.append(t + k)
        t += len(pairs)
        if block.crossed:
            off2 += block.n_slots * q
        else:
            off += block.n_slots * q
    as_int = lambda v: np.array(v, dtype=int)  # noqa: E731
    return ThetaLayout(
        as_int(rows),
        as_int(cols),
        as_int(index),
        t,
        np.array(diagonal, dtype=bool),
        tuple(offsets),
        off,
        as_int(rows2),
        as_int(cols2),
        as_int(index2),
        off2,
    )


def theta_start(layout: ThetaLayout) -> np.ndarray:
    """lme4's default start: identity relative covariance."""
    return layout.diagonal.astype(float)


def theta_bounds(layout: ThetaLayout) -> list[tuple[float | None, float | None]]:
    return [(0.0, None) if d else (None, None) for d in layout.diagonal]


def _zloc(design: Design, q: int) -> np.ndarray:
    """Each row's nested random-effects design inside its outer group: array (n, q_block)."""
    n = design.n
    zloc = np.zeros((n, q))
    off = 0
    for b in design.blocks:
        if b.crossed:
            continue
        for j in range(b.q):
            zloc[np.arange(n), off + b.slot * b.q + j] = b.x[:, j]
        off += b.n_slots * b.q
    return zloc


def crossed_matrix(design: Design, q2: int) -> np.ndarray:
    """The crossed terms' random-effects design ``Z2``: array (n, q2), level-major per term."""
    n = design.n
    z2 = np.zeros((n, q2))
    off = 0
    for b in design.blocks:
        if not b.crossed:
            continue
        for j in range(b.q):
            z2[np.arange(n), off + b.slot * b.q + j] = b.x[:, j]
        off += b.n_slots * b.q
    return z2


class LmmCore:
    """Cross-products of one design and the deviance functions evaluated on them."""

    def __init__(self, design: Design):
        self.design = design
        self.layout = theta_layout(design)
        q = self.layout.q_block
        q2 = self.layout.q2
        n, p = design.x.shape
        self.n, self.p, self.q, self.q2 = n, p, q, q2
        self.zloc = _zloc(design, q)
        self.z2 = crossed_matrix(design, q2)
        g = design.group_codes
        self.n_groups = design.n_groups
        order = np.argsort(g, kind="stable")
        bounds = np.searchsorted(g[order], np.arange(self.n_groups + 1))
        self.rows = [order[bounds[k] : bounds[k + 1]] for k in range(self.n_groups)]
        # the dense part: crossed columns (scaled by Lambda2 at each evaluation), then X
        xa = np.hstack([self.z2, design.x]) if q2 else design.x
        y = design.y
        self.ztz = _group_cross(self.zloc, self.zloc, g, self.n_groups)
        self.ztx = _group_cross(self.zloc, xa, g, self.n_groups)
        self.zty = _group_cross(self.zloc, y[:, None], g, self.n_groups)
        self.xtx = xa.T @ xa
        self.xty = xa.T @ y
        self.yty = float(y @ y)

    # -- building blocks -----------------------------------------------------------------------

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """The per-group block of Lambda(theta) (nested terms)."""
        lay = self.layout
        out = np.zeros((lay.q_block, lay.q_block))
        out[lay.rows, lay.cols] = np.asarray(theta)[lay.index]
        return out

    def lam2(self, theta: np.ndarray) -> np.ndarray:
        """Lambda(theta) of the crossed terms (q2 x q2, block diagonal by term and level)."""
        lay = self.layout
        out = np.zeros((lay.q2, lay.q2))
        out[lay.rows2, lay.cols2] = np.asarray(theta)[lay.index2]
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

    def _scale(self, mat: np.ndarray, lam2: np.ndarray) -> np.ndarray:
        """``mat @ blockdiag(Lambda2, I_p)`` on the last axis."""
        if not self.q2:
            return mat
        out = mat.copy()
        out[..., : self.q2] = mat[..., : self.q2] @ lam2
        return out

    def solve(self, theta: np.ndarray) -> dict:
        lam = self.lam(theta)
        q2 = self.q2
        lam2 = self.lam2(theta)
        ztzl = self.ztz @ lam
        m = np.swapaxes(ztzl, 1, 2) @ lam + np.eye(self.q)
        chol_m = np.linalg.cholesky(m)
        logdet_m = 2 * float(np.log(np.diagonal(chol_m, axis1=1, axis2=2)).sum())
        m_inv = np.linalg.inv(m)
        lzx = lam.T @ self.ztx
        lzy = lam.T @ self.zty
        minv_lzx = m_inv @ lzx
        minv_lzy = m_inv @ lzy
        k_xx = self.xtx - np.tensordot(lzx, minv_lzx, axes=([0, 1], [0, 1]))
        k_xy = self.xty - np.tensordot(lzx, minv_lzy[..., 0], axes=([0, 1], [0, 1]))
        k_yy = self.yty - float(np.vdot(lzy, minv_lzy))
        if q2:
            a = self._scale(self._scale(k_xx, lam2).T, lam2)
            a[np.arange(q2), np.arange(q2)] += 1.0
            c = self._scale(k_xy, lam2)
        else:
            a, c = k_xx, k_xy
        a = (a + a.T) / 2
        chol_a = np.linalg.cholesky(a)
        log_diag = np.log(np.diag(chol_a))
        beta_t = sl.cho_solve((chol_a, True), c)
        r2 = k_yy - float(beta_t @ c)
        return {
            "lam": lam,
            "lam2": lam2,
            "ztzl": ztzl,
            "m_inv": m_inv,
            "logdet_m": logdet_m + 2 * float(log_diag[:q2].sum()),
            "minv_lzx": minv_lzx,
            "minv_lzy": minv_lzy,
            "k_xx": k_xx,
            "k_xy": k_xy,
            "a_full": a,
            "chol_a": chol_a,
            "a": a[q2:, q2:],
            "logdet_a": 2 * float(log_diag[q2:].sum()),
            "beta_t": beta_t,
            "beta": beta_t[q2:],
            "r2": max(float(r2), 1e-300),
        }

    def _dof(self, reml: bool) -> int:
        return self.n - self.p if reml else self.n

    def _a_full_inv(self, s: dict) -> np.ndarray:
        if "a_full_inv" not in s:
            s["a_full_inv"] = sl.cho_solve((s["chol_a"], True), np.eye(len(s["a_full"])))
        return s["a_full_inv"]

    def _projector(self, s: dict, reml: bool) -> np.ndarray | None:
        """The inverse in ``Z'PZ = Z'V1^-1 Z - B G B'``: the whole ``A~^-1`` for REML, the
        crossed block ``S22^-1`` alone for ML (None without crossed terms)."""
        q2 = self.q2
        if reml:
            return self._a_full_inv(s)
        if not q2:
            return None
        g = np.zeros_like(s["a_full"])
        g[:q2, :q2] = np.linalg.inv(s["a_full"][:q2, :q2])
        return g

    def _cross_b(self, s: dict) -> tuple[np.ndarray, np.ndarray]:
        """``Z1_g' V1^-1 [Z2 Lambda2, X]`` per group and ``Z2' V1^-1 [Z2 Lambda2, X]``."""
        b1 = self._scale(self.ztx - s["ztzl"] @ s["minv_lzx"], s["lam2"])
        b2 = self._scale(s["k_xx"][: self.q2], s["lam2"])
        return b1, b2

    def _sandwich(self, s: dict, w_weight: float, reml: bool) -> tuple[np.ndarray, np.ndarray]:
        """``Z' (P - w_weight P e e' P) Z``, its diagonal blocks: summed over the groups of the
        nested part (q x q) and for the crossed part (q2 x q2)."""
        ztzl, m_inv = s["ztzl"], s["m_inv"]
        w_mat = self.ztz - ztzl @ m_inv @ np.swapaxes(ztzl, 1, 2)
        b1, b2 = self._cross_b(s)
        zvy = self.zty[..., 0] - (ztzl @ s["minv_lzy"])[..., 0]
        w = zvy - b1 @ s["beta_t"]
        total = w_mat.sum(0) - w_weight * (w.T @ w)
        proj = self._projector(s, reml)
        if proj is not None:
            total -= np.tensordot(b1 @ proj, b1, axes=([0, 2], [0, 2]))
        total2 = np.zeros((self.q2, self.q2))
        if self.q2:
            w2 = s["k_xy"][: self.q2] - b2 @ s["beta_t"]
            total2 = s["k_xx"][: self.q2, : self.q2] - w_weight * np.outer(w2, w2)
            total2 -= b2 @ proj @ b2.T
        return total, total2

    def _theta_grad(self, sandwich: tuple[np.ndarray, np.ndarray], s: dict) -> np.ndarray:
        lay = self.layout
        total, total2 = sandwich
        sl1 = total @ s["lam"]
        grad = np.zeros(lay.n_theta)
        np.add.at(grad, lay.index, 2 * sl1[lay.rows, lay.cols])
        if self.q2:
            sl2 = total2 @ s["lam2"]
            np.add.at(grad, lay.index2, 2 * sl2[lay.rows2, lay.cols2])
        return grad

    # -- profiled deviance (what the optimiser minimises) -------------------------------------

    def deviance(self, theta: np.ndarray, reml: bool = True) -> float:
        """Profiled deviance (-2 log-likelihood, REML or ML), as lme4's ``devfun``."""
        try:
            s = self.solve(theta)
        except np.linalg.LinAlgError:
            return np.inf
        return self._profiled(s, reml)

    def _profiled(self, s: dict, reml: bool) -> float:
        nu = self._dof(reml)
        dev = s["logdet_m"] + nu * (1 + np.log(2 * np.pi * s["r2"] / nu))
        return float(dev + (s["logdet_a"] if reml else 0.0))

    def deviance_and_grad(self, theta: np.ndarray, reml: bool = True) -> tuple[float, np.ndarray]:
        s = self.solve(theta)
        nu = self._dof(reml)
        sandwich = self._sandwich(s, nu / s["r2"], reml)
        return self._profiled(s, reml), self._theta_grad(sandwich, s)

    def beta_sigma(self, theta: np.ndarray, reml: bool = True) -> tuple[np.ndarray, float]:
        s = self.solve(theta)
        return s["beta"], float(np.sqrt(s["r2"] / self._dof(reml)))

    def modes(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional modes ``b = Lambda u`` at theta: nested part per group (G x q) and the
        crossed part (q2)."""
        s = self.solve(theta)
        minv_lzx = self._scale(s["minv_lzx"], s["lam2"])
        u = s["minv_lzy"][..., 0] - minv_lzx @ s["beta_t"]
        return u @ s["lam"].T, s["lam2"] @ s["beta_t"][: self.q2]

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
        g_theta = self._theta_grad(sandwich, s)
        g_sigma = -2 * s["r2"] / sigma**3 + 2 * self._dof(reml) / sigma
        return np.append(g_theta, g_sigma)

    def covbeta(self, varpar: np.ndarray) -> np.ndarray:
        """sigma^2 (X' V0^-1 X)^-1 at the given variance parameters."""
        s = self.solve(varpar[:-1])
        q2 = self.q2
        return varpar[-1] ** 2 * self._a_full_inv(s)[q2:, q2:]

    def covbeta_jacobian(self, varpar: np.ndarray) -> np.ndarray:
        """Derivatives of ``covbeta`` with respect to (theta, sigma): array (k, p, p)."""
        theta, sigma = varpar[:-1], varpar[-1]
        s = self.solve(theta)
        q2 = self.q2
        a_inv = self._a_full_inv(s)[q2:, q2:]
        b1, b2 = self._cross_b(s)
        # Z' V0^-1 X = Z' V1^-1 [Z2 Lambda2, X] F with F = [-S22^-1 C; I]
        f = np.eye(q2 + self.p)[:, q2:]
        if q2:
            a_full = s["a_full"]
            f[:q2] = -np.linalg.solve(a_full[:q2, :q2], a_full[:q2, q2:])
        b = b1 @ f
        lb = s["lam"].T @ b
        lay = self.layout
        h = np.zeros((lay.n_theta, self.p, self.p))
        contrib = np.einsum("gep,geq->epq", b[:, lay.rows, :], lb[:, lay.cols, :])
        np.add.at(h, lay.index, contrib)
        if q2:
            bx2 = b2 @ f
            lb2 = s["lam2"].T @ bx2
            np.add.at(h, lay.index2, np.einsum("ep,eq->epq", bx2[lay.rows2], lb2[lay.cols2]))
        dadt = h + np.swapaxes(h, 1, 2)
        jac = sigma**2 * np.einsum("ij,kjl,lm->kim", a_inv, dadt, a_inv)
        return np.concatenate([jac, (2 * sigma * a_inv)[None]], axis=0)


def _group_cross(a: np.ndarray, b: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``a_g' b_g`` for every group g: array (G, a columns, b columns)."""
    order = np.argsort(groups, kind="stable")
    starts = np.searchsorted(groups[order], np.arange(n_groups))
    prod = a[order][:, :, None] * b[order][:, None, :]
    return np.add.reduceat(prod, starts, axis=0)


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
