"""Simulated studies of one design point: the data layout, and outcomes drawn from a scenario.

Every simulation has its own random generator, seeded from the study seed, the design point and
the simulation's number (:func:`simulation_rng`), so that a simulation's data do not depend on
which process draws it, in which order, or on the other design points of the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.models.design import Coding, make_coding, term_columns
from analysis.models.formula import RandomTerm, parse_formula
from analysis.models.power.scenario import Scenario


@dataclass(frozen=True, order=True)
class DesignPoint:
    """One planned design: subjects per group, trials per condition, sessions.

    Examples
    --------
    >>> DesignPoint(12, 3, 2).label
    'n=12/group, trials=3, sessions=2'
    """

    n_per_group: int
    n_trials: int = 1
    n_sessions: int = 2

    def __post_init__(self) -> None:
        for name in ("n_per_group", "n_trials", "n_sessions"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{name} must be a positive whole number, got {v!r}")

    @property
    def label(self) -> str:
        return f"n={self.n_per_group}/group, trials={self.n_trials}, sessions={self.n_sessions}"

    @property
    def key(self) -> tuple[int, int, int]:
        return (int(self.n_per_group), int(self.n_trials), int(self.n_sessions))


def simulation_rng(seed: int, point: DesignPoint, sim: int) -> np.random.Generator:
    """The generator of simulation ``sim`` of ``point``: independent of workers and grid.

    Examples
    --------
    >>> a = simulation_rng(1, DesignPoint(5), 3).normal()
    >>> b = simulation_rng(1, DesignPoint(5), 3).normal()
    >>> a == b
    True
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(*point.key, int(sim)))
    return np.random.default_rng(ss)


def session_labels(scenario: Scenario, n_sessions: int) -> tuple[str, ...]:
    """The scenario's session labels when the counts agree, else the first, ``session2``...,
    the last.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ session + (1 | subject)", "icc": 0.5,
    ...                             "sessions": ["baseline", "post"]})
    >>> session_labels(sc, 2), session_labels(sc, 4)
    (('baseline', 'post'), ('baseline', 'session2', 'session3', 'post'))
    """
    own = scenario.sessions
    if n_sessions == len(own):
        return own
    if n_sessions == 1:
        return own[:1]
    middle = tuple(f"session{k}" for k in range(2, n_sessions))
    last = own[-1] if len(own) > 1 else f"session{n_sessions}"
    return (own[0], *middle, last)


def session_means(scenario: Scenario, n_sessions: int) -> np.ndarray:
    """Cell means for ``n_sessions`` equally spaced sessions between the scenario's first and
    last, linearly interpolated between its own sessions (shape directions x n x groups).

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ session + (1 | subject)", "icc": 0.5,
    ...                             "sessions": ["baseline", "post"], "groups": ["all"],
    ...                             "effects": {"intercept": 10, "session": 3}})
    >>> session_means(sc, 3)[0, :, 0].tolist()
    [8.5, 10.0, 11.5]
    """
    m = scenario.means
    own = m.shape[1]
    if own == 1:
        return np.repeat(m, n_sessions, axis=1)
    u = np.linspace(0.0, 1.0, own)
    t = np.linspace(0.0, 1.0, n_sessions) if n_sessions > 1 else np.zeros(1)
    out = np.empty((m.shape[0], n_sessions, m.shape[2]))
    for d in range(m.shape[0]):
        for g in range(m.shape[2]):
            out[d, :, g] = np.interp(t, u, m[d, :, g])
    return out


def layout(scenario: Scenario, point: DesignPoint) -> pl.DataFrame:
    """One row per observation of the planned study: subject, group, session, direction, trial.

    Subjects are numbered across groups (``P001``...); each is measured in every session, in
    both directions when the outcome has them, ``n_trials`` times per condition.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "icc": 0.5, "groups": ["all"]})
    >>> layout(sc, DesignPoint(3, 2, 1)).height
    12
    """
    sessions = session_labels(scenario, point.n_sessions)
    directions = scenario.directions
    rows: dict[str, list] = {k: [] for k in ("subject", "group", "session", "direction", "trial")}
    k = 0
    for g in scenario.groups:
        for _ in range(point.n_per_group):
            k += 1
            for s in sessions:
                for d in directions:
                    for t in range(1, point.n_trials + 1):
                        rows["subject"].append(f"P{k:03d}")
                        rows["group"].append(g)
                        rows["session"].append(s)
                        rows["direction"].append(d)
                        rows["trial"].append(t)
    frame = pl.DataFrame(rows, schema_overrides={"direction": pl.String})
    if directions == (None,):
        frame = frame.drop("direction")
    return frame


@dataclass(frozen=True)
class Generator:
    """Draws the outcome of one design point: ``mean + sum_k Z_k b_k + e``."""

    data: pl.DataFrame
    mean: np.ndarray
    terms: tuple[tuple[np.ndarray, np.ndarray, int, np.ndarray], ...]
    sigma: float

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One simulated outcome vector (random effects term by term, then the residuals)."""
        y = self.mean.copy()
        for x, key, n_levels, chol in self.terms:
            b = rng.standard_normal((n_levels, chol.shape[0])) @ chol.T
            y += np.einsum("ij,ij->i", x, b[key])
        y += self.sigma * rng.standard_normal(len(y))
        return y


def random_columns(
    frame: pl.DataFrame, term: RandomTerm, coding: Coding
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The columns of one random term (lme4's: sum-to-zero coded slopes after an intercept, or
    one indicator per level for a factor slope without an intercept) and their names."""
    data = {v: frame[v].cast(pl.String).to_numpy() if coding.is_factor(v)
            else frame[v].cast(pl.Float64).to_numpy() for v in term.slopes}  # fmt: skip
    cols: list[np.ndarray] = []
    names: list[str] = []
    if term.intercept:
        cols.append(np.ones(frame.height))
        names.append("(Intercept)")
    for i, v in enumerate(term.slopes):
        if not term.intercept and i == 0 and coding.is_factor(v):
            for lev in coding.levels[v]:
                cols.append((data[v] == lev).astype(float))
                names.append(f"{v}{lev}")
            continue
        c, nm = term_columns(data, (v,), coding)
        cols.extend(c)
        names.extend(nm)
    return np.column_stack(cols), tuple(names)


def generator(scenario: Scenario, point: DesignPoint) -> Generator:
    """The :class:`Generator` of ``scenario`` at ``point``.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "effects": {"direction": 1.0}, "icc": 0.5})
    >>> gen = generator(sc, DesignPoint(4, 1, 1))
    >>> gen.draw(np.random.default_rng(0)).shape
    (16,)
    """
    data = layout(scenario, point)
    sessions = session_labels(scenario, point.n_sessions)
    means = session_means(scenario, point.n_sessions)
    d_idx = (
        np.where(data["direction"].to_numpy() == "backward", 1, 0)
        if scenario.has_direction
        else np.zeros(data.height, dtype=int)
    )
    s_idx = np.array([sessions.index(s) for s in data["session"].to_list()])
    g_idx = np.array([scenario.groups.index(g) for g in data["group"].to_list()])
    mean = means[d_idx, s_idx, g_idx]
    terms = []
    if scenario.random:
        frame = data.with_columns(value=pl.lit(0.0))
        spec = parse_formula("value ~ 1 + " + " + ".join(r.term for r in scenario.random))
        coding = make_coding(
            frame, spec, levels={"session": list(sessions), "group": list(scenario.groups)}
        )
        for part, term in zip(scenario.random, spec.random, strict=True):
            x, columns = random_columns(frame, term, coding)
            if columns != tuple(part.columns):
                raise ValueError(
                    f"random term {part.term}: coefficients {list(part.columns)} given, but "
                    f"the planned design has {list(columns)}"
                )
            keys = frame.select(pl.concat_str([pl.col(g).cast(pl.String) for g in term.group],
                                              separator="\x1f")).to_series().to_numpy()  # fmt: skip
            _, key = np.unique(keys, return_inverse=True)
            vals, vecs = np.linalg.eigh(part.cov)
            chol = vecs * np.sqrt(np.clip(vals, 0.0, None))  # chol @ chol.T == cov
            terms.append((x, key, int(key.max()) + 1, chol))
    return Generator(data=data, mean=mean, terms=tuple(terms), sigma=scenario.sigma)
