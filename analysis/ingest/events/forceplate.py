"""Gait events from force plates: vertical force with hysteresis, plates assigned to a foot.

A plate is loaded from the sample where the vertical force rises above ``on_n`` (default 20 N)
until it falls below ``off_n`` (10 N); crossing times are interpolated between samples.
Loadings shorter than ``min_contact_s`` are ignored and a loading cut by the start or end of
the recording gives no event there. Each contact is assigned to the foot whose markers are
nearest the centre of pressure (the first and the last 100 ms of the loading separately, so that
two feet following each other on one plate give the first foot's contact and the second foot's
foot off), or to the side of the nearest stored foot contact.
"""

from __future__ import annotations

import numpy as np
import polars as pl

EVENT_SCHEMA = {
    "side": pl.String,
    "event": pl.String,
    "time_s": pl.Float64,
    "contact": pl.String,
    "source": pl.String,
}
SIDES = ("left", "right")


def loaded_periods(
    fz: np.ndarray,
    rate: float,
    *,
    on_n: float = 20.0,
    off_n: float = 10.0,
    min_contact_s: float = 0.2,
) -> list[tuple[float | None, float | None, int, int]]:
    """Loading periods of a vertical force: ``(on_s, off_s, first, last)`` from t = 0.

    ``on_s``/``off_s`` are interpolated threshold crossings (``None`` when the loading is cut
    by the recording's start or end); ``first``/``last`` are sample indices inside the loading.

    Examples
    --------
    >>> f = np.r_[np.zeros(100), np.full(300, 600.0), np.zeros(100)]
    >>> [(round(a, 2), round(b, 2)) for a, b, _, _ in loaded_periods(f, 1000.0)]
    [(0.1, 0.4)]
    """
    x = np.nan_to_num(np.asarray(fz, dtype=float), nan=0.0)
    out = []
    on = x[0] > on_n
    start = 0
    for i in range(1, x.size + 1):
        if i == x.size:
            if on:
                out.append((start, None))
            break
        if not on and x[i] > on_n:
            on, start = True, i
        elif on and x[i] < off_n:
            on = False
            out.append((start, i))
    periods = []
    for a, b in out:
        last = (x.size - 1) if b is None else b - 1
        if (last - a + 1) < min_contact_s * rate:
            continue
        on_s = None if a == 0 else _cross(x, a, on_n) / rate
        off_s = None if b is None else _cross(x, b, off_n) / rate
        periods.append((on_s, off_s, a, last))
    return periods


def _cross(x: np.ndarray, i: int, level: float) -> float:
    """Fractional sample index where ``x`` crosses ``level`` between samples i-1 and i."""
    a, b = x[i - 1], x[i]
    return float(i - 1 + (level - a) / (b - a)) if b != a else float(i)


def _nearest_side(cop_xy: np.ndarray, feet: dict[str, np.ndarray]) -> str | None:
    """Side whose foot centre (frames x 2, same samples as ``cop_xy``) is nearest the COP."""
    best, side = np.inf, None
    for s, centre in feet.items():
        d = np.nanmedian(np.linalg.norm(cop_xy - centre, axis=1))
        if np.isfinite(d) and d < best:
            best, side = d, s
    return side


def _contact_type(cop_xy: np.ndarray, heel_xy: np.ndarray, toe_xy: np.ndarray) -> str | None:
    """``heel``/``toe``/``flat`` from the centre of pressure's early progression along the foot."""
    axis = np.nanmedian(toe_xy - heel_xy, axis=0)
    norm = np.linalg.norm(axis)
    ok = np.isfinite(cop_xy).all(axis=1)
    if not np.isfinite(norm) or norm == 0 or ok.sum() < 2:
        return None
    along = cop_xy[ok] @ (axis / norm)
    shift = along[-1] - along[0]
    return "heel" if shift > 20.0 else ("toe" if shift < -20.0 else "flat")


def events_from_forceplates(
    plates: list,
    *,
    feet: dict[str, dict[str, tuple[np.ndarray, float, float]]] | None = None,
    stored: pl.DataFrame | None = None,
    on_n: float = 20.0,
    off_n: float = 10.0,
    min_contact_s: float = 0.2,
    window_s: float = 0.1,
    max_stored_gap_s: float = 0.15,
) -> tuple[pl.DataFrame, list[str]]:
    """Foot contacts and foot offs on force plates, assigned to a foot.

    Parameters
    ----------
    plates : list of analysis.ingest.readers.c3d.ForcePlate
        Force (N) and centre of pressure (mm) in the lab frame, on the capture clock.
    feet : dict, optional
        ``{"left": {"heel": (xyz, rate, t0), "toe": (xyz, rate, t0)}, "right": {...}}``: foot
        marker trajectories (frames x 3, mm). The foot nearest the centre of pressure takes
        the event; the progression of the centre of pressure along the heel-toe axis in the
        first ``window_s`` gives the contact type (``heel``, ``toe`` or ``flat``).
    stored : polars.DataFrame, optional
        Stored events (side, event, time_s) used instead of markers: a plate contact takes the
        side of the nearest stored foot contact within ``max_stored_gap_s`` (and its foot off
        that of the nearest stored foot off).
    on_n, off_n, min_contact_s : float
        Hysteresis thresholds (N) and shortest loading (s), see :func:`loaded_periods`.

    Returns
    -------
    events, notes
        side, event, time_s, contact, source (``forceplate``), in time order; notes say which
        loadings could not be assigned to a foot.
    """
    rows, notes = [], []
    for plate in plates:
        t0, rate = plate.t0, plate.rate
        for on_s, off_s, first, last in loaded_periods(
            plate.vertical, rate, on_n=on_n, off_n=off_n, min_contact_s=min_contact_s
        ):
            n_win = max(2, int(round(window_s * rate)))
            parts = (
                ("foot_contact", on_s, np.arange(first, min(last + 1, first + n_win))),
                ("foot_off", off_s, np.arange(max(first, last + 1 - n_win), last + 1)),
            )
            for event, t, idx in parts:
                if t is None:
                    continue
                time = t0 + t
                side, contact = None, None
                if feet:
                    ts = t0 + idx / rate
                    cop = plate.cop[idx, :2]
                    centres = {s: _foot_centre(f, ts) for s, f in feet.items()}
                    side = _nearest_side(cop, centres)
                    if side is not None and event == "foot_contact":
                        contact = _contact_type(
                            cop,
                            _at(feet[side]["heel"], ts)[:, :2],
                            _at(feet[side]["toe"], ts)[:, :2],
                        )
                elif stored is not None and stored.height:
                    side = _stored_side(stored, event, time, max_stored_gap_s)
                if side is None:
                    notes.append(
                        f"plate {plate.number}: {event} at {time:.3f} s not assigned to a foot"
                    )
                    continue
                rows.append((side, event, time, contact, "forceplate"))
    events = pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row").sort("time_s")
    return events, notes


def _at(track: tuple[np.ndarray, float, float], times: np.ndarray) -> np.ndarray:
    """Marker positions (frames x 3) interpolated at ``times`` (capture clock)."""
    xyz, rate, t0 = track
    frames = t0 + np.arange(xyz.shape[0]) / rate
    return np.column_stack(
        [np.interp(times, frames, xyz[:, k], left=np.nan, right=np.nan) for k in range(3)]
    )


def _foot_centre(foot: dict, times: np.ndarray) -> np.ndarray:
    return np.nanmean(np.stack([_at(foot["heel"], times), _at(foot["toe"], times)]), axis=0)[:, :2]


def _stored_side(stored: pl.DataFrame, event: str, time: float, max_gap: float) -> str | None:
    cand = stored.filter(pl.col("event") == event).with_columns(gap=(pl.col("time_s") - time).abs())
    cand = cand.filter(pl.col("gap") <= max_gap).sort("gap")
    return cand["side"][0] if cand.height else None
