"""Link functions of the cumulative-link and generalised linear mixed models.

Each inverse link is a distribution function ``F`` with density ``f`` and the density's first
two derivatives, which the Laplace gradient needs (:mod:`analysis.models.laplace`).

Examples
--------
>>> import numpy as np
>>> link = get_link("logit")
>>> float(link.cdf(np.array([0.0]))[0]), float(link.pdf(np.array([0.0]))[0])
(0.5, 0.25)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

Array = np.ndarray


@dataclass(frozen=True)
class Link:
    """An inverse link ``F`` (a continuous distribution function) and its derivatives."""

    name: str
    cdf: Callable[[Array], Array]
    sf: Callable[[Array], Array]
    pdf: Callable[[Array], Array]
    dpdf: Callable[[Array], Array]
    d2pdf: Callable[[Array], Array]
    quantile: Callable[[Array], Array]


def _logistic_pdf(x: Array) -> Array:
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def _logistic_dpdf(x: Array) -> Array:
    return _logistic_pdf(x) * (1.0 - 2.0 * special.expit(x))


def _logistic_d2pdf(x: Array) -> Array:
    p = special.expit(x)
    return _logistic_pdf(x) * (1.0 - 6.0 * p + 6.0 * p * p)


def _norm_pdf(x: Array) -> Array:
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


LINKS: dict[str, Link] = {
    "logit": Link(
        "logit",
        special.expit,
        lambda x: special.expit(-x),
        _logistic_pdf,
        _logistic_dpdf,
        _logistic_d2pdf,
        special.logit,
    ),
    "probit": Link(
        "probit",
        special.ndtr,
        lambda x: special.ndtr(-x),
        _norm_pdf,
        lambda x: -x * _norm_pdf(x),
        lambda x: (x * x - 1.0) * _norm_pdf(x),
        special.ndtri,
    ),
}


def get_link(name: str) -> Link:
    """The :class:`Link` called ``name`` (``"logit"`` or ``"probit"``)."""
    try:
        return LINKS[name]
    except KeyError:
        raise ValueError(f"unknown link {name!r}; use one of {sorted(LINKS)}") from None
