"""Gauss-Hermite rules for adaptive quadrature over a scalar random effect.

Examples
--------
>>> import numpy as np
>>> x, w = gauss_hermite(7)
>>> bool(np.isclose(w.sum(), np.sqrt(np.pi)))
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=32)
def _rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite.hermgauss(n)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the ``n``-point rule for ``int f(x) exp(-x^2) dx``."""
    if n < 1:
        raise ValueError("the number of quadrature nodes must be at least 1")
    return _rule(int(n))
