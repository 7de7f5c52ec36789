"""The rows one prepared trial adds to the curves, features, QC and spatiotemporal tables."""

from __future__ import annotations

import numpy as np

from analysis.emg.features import (
    cocontraction_samples,
    onset_offset,
    onset_threshold,
    segment_sums,
)
from analysis.emg.gait import spatiotemporal_rows
from analysis.emg.normalise import METHOD_MVC, UNIT_MVC, UNIT_REF
from analysis.emg.tables import (
    Table,
)
from analysis.emg.timing import stage
from analysis.emg.trials import _combine, _phase_sums, _severity_excluded, _Trial


class _FeatureRows:
    """Columns of the features table, gathered as arrays of codes (strings built at the end)."""

    def __init__(self, t: _Trial, points: int) -> None:
        ph = t.phases
        self.phases = ph
        self.phase_names = sorted(set(ph.name), key=ph.name.index)
        self.ph_code = np.array([self.phase_names.index(n) for n in ph.name], dtype=np.int64)
        cycle_code = self.phase_names.index("cycle") if "cycle" in self.phase_names else -1
        self.is_cycle = self.ph_code == cycle_code
        self.grid = np.linspace(0.0, 100.0, points)
        self.in_phase = (self.grid[None, :] >= ph.lo_pct[:, None] - 1e-9) & (
            self.grid[None, :] <= ph.hi_pct[:, None] + 1e-9
        )
        self.names: list[str] = []
        self.features: list[str] = []
        self.units: list[str] = []
        self.parts: dict[str, list] = {k: [] for k in ("row", "muscle", "phase", "feature",
                                                        "value", "unit", "excluded")}  # fmt: skip

    def add(self, muscle: str, excl: np.ndarray, feature: str, values: np.ndarray, unit: str,
            cycle_only: bool = False) -> None:  # fmt: skip
        ph, parts = self.phases, self.parts
        rows = np.flatnonzero(self.is_cycle) if cycle_only else np.arange(ph.cycle.size)
        n = rows.size
        parts["row"].append(ph.cycle[rows])
        parts["phase"].append(self.ph_code[rows])
        parts["muscle"].append(np.full(n, _code(self.names, muscle)))
        parts["feature"].append(np.full(n, _code(self.features, feature)))
        parts["unit"].append(np.full(n, _code(self.units, unit)))
        parts["value"].append(np.asarray(values, dtype=float))
        parts["excluded"].append(excl[ph.cycle[rows]])

    def add_muscles(self, muscles: list[str], excluded: np.ndarray, features: list[tuple]) -> None:
        """Rows of every muscle: ``features`` = (name, values (muscles x rows), units, cycle_only).

        The same rows, in the same order, as :meth:`add` muscle by muscle and feature by feature.
        """
        ph, parts = self.phases, self.parts
        n_m = len(muscles)
        all_rows, cycle_rows = np.arange(ph.cycle.size), np.flatnonzero(self.is_cycle)
        rows = [cycle_rows if f[3] else all_rows for f in features]
        lengths = np.array([r.size for r in rows])
        rows_t = np.concatenate(rows)
        feat = np.repeat([_code(self.features, f[0]) for f in features], lengths)
        unit = np.array([[_code(self.units, f[2][k]) for f in features] for k in range(n_m)])
        names = np.array([_code(self.names, m) for m in muscles])
        total = rows_t.size
        parts["row"].append(np.tile(ph.cycle[rows_t], n_m))
        parts["phase"].append(np.tile(self.ph_code[rows_t], n_m))
        parts["muscle"].append(np.repeat(names, total))
        parts["feature"].append(np.tile(feat, n_m))
        parts["unit"].append(np.repeat(unit, lengths, axis=1).ravel())
        parts["value"].append(np.concatenate([f[1] for f in features], axis=1).ravel())
        parts["excluded"].append(excluded.T[:, ph.cycle[rows_t]].ravel())

    def add_to(self, table: Table, cycle_ids: np.ndarray) -> None:
        parts = self.parts
        if not parts["row"]:
            return
        row = np.concatenate(parts["row"])
        table.values("cycle", cycle_ids[row])
        table.strings("muscle", self.names, np.concatenate(parts["muscle"]))
        table.strings("phase", self.phase_names, np.concatenate(parts["phase"]))
        table.strings("feature", self.features, np.concatenate(parts["feature"]))
        table.values("value", np.concatenate(parts["value"]))
        table.strings("unit", self.units, np.concatenate(parts["unit"]))
        table.values("excluded", np.concatenate(parts["excluded"]).astype(bool))

    @property
    def n_rows(self) -> int:
        return int(sum(v.size for v in self.parts["value"]))


def _code(categories: list[str], value: str) -> int:
    if value not in categories:
        categories.append(value)
    return categories.index(value)


def _add_curves(table: Table, t: _Trial, curves: np.ndarray, units: list[str], keys: dict) -> None:
    n_used, n_m, points = curves.shape
    unit_names = sorted(set(units))
    table.add_trial(keys, curves.size)
    # narrow integers while the trials accumulate (Int64 in the table)
    table.values("cycle", np.repeat(t.cycle_ids.astype(np.int32), n_m * points))
    table.strings("muscle", t.muscles, np.tile(np.repeat(np.arange(n_m), points), n_used))
    pct = np.rint(np.linspace(0, 100, points)).astype(np.int16)
    table.values("pct", np.tile(pct, n_used * n_m))
    table.values("value", curves.ravel())
    codes = np.repeat([unit_names.index(u) for u in units], points)
    table.strings("norm_unit", unit_names, np.tile(codes, n_used))
    table.values("excluded", np.repeat(t.excluded, points, axis=1).ravel())


def _muscle_features(
    t: _Trial, out: _FeatureRows, curves: np.ndarray, scale: np.ndarray, units: list[str], p: dict
) -> None:
    """mean, peak, iemg, peak_time of every phase; onset, offset, active_pct of each cycle.

    Computed for all muscles at once (rows = muscles), added muscle by muscle.
    """
    ph, points = t.phases, curves.shape[2]
    n_used = curves.shape[0]
    fine = {key: np.stack([t.fine[m][key] for m in t.muscles]) for key in ("sum", "n", "max")}
    s = _combine(fine, ph)
    sc = scale[:, None]
    mean = s["sum"] / s["n"] * sc
    peak = s["max"] * sc
    iemg = s["sum"] / t.rate * sc
    c = curves[ph.cycle]
    np.copyto(c, -np.inf, where=~out.in_phase[:, None, :])
    peak_time = out.grid[np.argmax(c, axis=2)].T
    del c
    peak_time = np.where(~out.in_phase.any(axis=1) | np.isnan(mean), np.nan, peak_time)
    thr = np.repeat([_onset_threshold(t, curves, k, p) for k in range(len(t.muscles))], n_used)
    min_pts = max(1, int(round(float(p["onset"]["min_duration_pct"]) / 100 * (points - 1))))
    rows = curves.transpose(1, 0, 2).reshape(-1, points)
    on, off, active = (v.reshape(len(t.muscles), n_used) for v in onset_offset(rows, thr, min_pts))
    unit_s = [f"{u}*s" for u in units]
    cycle = ["% cycle"] * len(units)
    out.add_muscles(t.muscles, t.excluded, [
        ("mean", mean, units, False), ("peak", peak, units, False), ("iemg", iemg, unit_s, False),
        ("peak_time", peak_time, cycle, False), ("onset", on, cycle, True),
        ("offset", off, cycle, True), ("active_pct", active, cycle, True),
    ])  # fmt: skip


def _onset_threshold(t: _Trial, curves: np.ndarray, k: int, p: dict) -> float:
    """The onset threshold of muscle ``k`` from its included cycles (all if none is)."""
    included = curves[~t.excluded[:, k], k, :]
    base = included if included.shape[0] else curves[:, k, :]
    thr, _, _ = onset_threshold(
        base, float(p["onset"]["baseline_sd"]), float(p["onset"]["baseline_window_pct"])
    )
    return thr


def _pair_features(
    t: _Trial, out: _FeatureRows, scale: np.ndarray, units: list[str], p: dict
) -> None:
    """Co-contraction indices of each configured pair of muscles, per phase."""
    ph = t.phases
    for a_m, b_m in p["cocontraction_pairs"]:
        if a_m not in t.kept_env or b_m not in t.kept_env:
            continue
        ka, kb = t.muscles.index(a_m), t.muscles.index(b_m)
        lo, both, rud = cocontraction_samples(
            t.kept_env[a_m] * scale[ka], t.kept_env[b_m] * scale[kb]
        )
        s_lo, s_both, s_rud = (
            _phase_sums(segment_sums(v, ph.fine_a, ph.fine_b), ph.first, ph.last)
            for v in (lo, both, rud)
        )
        n_rud = _phase_sums((ph.fine_b - ph.fine_a).astype(float), ph.first, ph.last)
        del lo, both, rud
        excl = t.excluded[:, ka] | t.excluded[:, kb]
        with np.errstate(invalid="ignore", divide="ignore"):
            fw = np.where(s_both > 0, 200.0 * s_lo / s_both, np.nan)
        pair = f"{a_m}/{b_m}"
        out.add(pair, excl, "cci_falconer_winter", fw, "%")
        out.add(pair, excl, "cci_rudolph", s_rud / n_rud,
                units[ka] if units[ka] == units[kb] else "mixed")  # fmt: skip


def _add_trial(tables: dict[str, Table], t: _Trial, refs: dict, p: dict, keys: dict) -> None:
    """The trial's curves and features, added to the subject's tables."""
    with stage("cycles"):
        scale = np.array([100.0 / refs[m][0] if refs[m][0] > 0 else np.nan for m in t.muscles])
        units = [UNIT_MVC if refs[m][1] == METHOD_MVC else UNIT_REF for m in t.muscles]
        curves = t.curves * scale[None, :, None]
    with stage("tables"):
        _add_curves(tables["curves"], t, curves, units, keys)
    with stage("features"):
        rows = _FeatureRows(t, curves.shape[2])
        if t.used.size:
            _muscle_features(t, rows, curves, scale, units, p)
            _pair_features(t, rows, scale, units, p)
    with stage("tables"):
        tables["features"].add_trial(keys, rows.n_rows)
        rows.add_to(tables["features"], t.cycle_ids)


def _spatiotemporal_rows(t: _Trial, exclude_flagged: bool) -> list[tuple]:
    """(cycle, parameter, value, unit, excluded) of every cycle of the trial."""
    cycle_excl = {
        int(cyc)
        for m, cyc, _f, _r, s in t.qc
        if m is None and cyc is not None and _severity_excluded(s, exclude_flagged)
    }
    trial_excl = any(
        m is None and cyc is None and _severity_excluded(s, exclude_flagged)
        for m, cyc, _f, _r, s in t.qc
    )
    return [
        (*row, trial_excl or row[0] in cycle_excl)
        for row in spatiotemporal_rows(t.cycles, speed_m_s=t.rec.speed_m_s)
    ]
