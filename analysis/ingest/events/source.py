"""A trial's gait events from what the lab has: stored events, force plates, footswitches, markers.

Chosen per cohort in ``cohort.yaml`` (``emg.events.source``, one source or a list in order of
preference) and per trial (optional ``events_source`` column of ``trials.csv``, same values,
several joined with ``+``). With several sources the first one's events are kept and a later
source only adds events (same side and kind) further than ``merge_gap_s`` from them: e.g.
``[forceplate, markers]`` takes the steps on the plates from the plates, the others from the
markers. Every event carries its ``source``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import polars as pl

from analysis.core.errors import Problem, ValidationError
from analysis.ingest.events.footswitch import events_from_threshold
from analysis.ingest.events.forceplate import EVENT_SCHEMA, events_from_forceplates
from analysis.ingest.events.markers import events_from_markers

SOURCES = ("stored", "forceplate", "footswitch", "markers")
DEFAULTS: dict = {
    "source": "stored",
    "merge_gap_s": 0.15,
    "forceplate": {"on_n": 20.0, "off_n": 10.0, "min_contact_s": 0.2, "assign": "markers"},
    "markers": {
        "left_heel": "LHEE",
        "left_toe": "LTOE",
        "right_heel": "RHEE",
        "right_toe": "RTOE",
        "pelvis": None,
        "lowpass_hz": 7.0,
        "min_stride_s": 0.6,
    },
    "footswitch": {
        "left": None,
        "right": None,
        "threshold_fraction": 0.2,
        "min_contact_s": 0.2,
        "min_swing_s": 0.15,
    },
}
PELVIS_CANDIDATES = (("SACR",), ("LPSI", "RPSI"), ("LASI", "RASI", "LPSI", "RPSI"))


def events_config(settings: dict | None) -> dict:
    """The ``emg.events`` block of a cohort with the defaults filled in.

    Examples
    --------
    >>> cfg = events_config({"source": "forceplate", "forceplate": {"on_n": 30}})
    >>> cfg["source"], cfg["forceplate"]["on_n"], cfg["forceplate"]["off_n"]
    ('forceplate', 30, 10.0)
    """
    out = copy.deepcopy(DEFAULTS)
    for k, v in (settings or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def sources_of(config: dict, trial_source: str | None = None) -> list[str]:
    """The sources to use for a trial, in order (the trial's ``events_source`` wins).

    Examples
    --------
    >>> sources_of({"source": ["forceplate", "markers"]}), sources_of({}, "markers+stored")
    (['forceplate', 'markers'], ['markers', 'stored'])
    """
    raw = trial_source if trial_source else config.get("source", "stored")
    names = raw.split("+") if isinstance(raw, str) else list(raw)
    return [str(s).strip().casefold() for s in names if str(s).strip()]


def trial_events(
    path: str | Path,
    *,
    sources: list[str],
    config: dict | None = None,
    direction: str = "forward",
    emg=None,
    cohort: str = "",
    file: str | None = None,
    dialect=None,
) -> tuple[pl.DataFrame | None, list[Problem], list[str]]:
    """A trial's events from its events file (CSV or C3D) and/or its EMG recording.

    Parameters
    ----------
    path : path
        The trial's ``events_file``: events CSV, or a C3D file with stored events, force
        plates and/or markers.
    sources : list of str
        From :func:`sources_of`.
    config : dict
        :func:`events_config` of the cohort.
    direction : {"forward", "backward"}
        The trial's walking direction (marker-based detection depends on it).
    emg : EMG, optional
        The trial's recording, holding the footswitch channels (``footswitch`` source).
    dialect : Dialect, optional
        The cohort's CSV dialect (``csv:`` in cohort.yaml) for stored events in a CSV file.

    Returns
    -------
    events, problems, notes
        side, event, time_s, contact, source (``None`` when a source failed: ``problems``
        then say why, naming cohort and file); notes describe what each source found.
    """
    cfg = events_config(config) if config is None or "merge_gap_s" not in config else config
    path = Path(path)
    file = str(path) if file is None else str(file)
    problems: list[Problem] = []
    notes: list[str] = []
    bad = [s for s in sources if s not in SOURCES]
    if bad or not sources:
        return (
            None,
            [
                Problem(
                    cohort,
                    file,
                    None,
                    "events_source",
                    f"unknown gait-event source {', '.join(map(repr, bad)) or '(none)'}",
                    f"use {', '.join(SOURCES)} (several joined with '+')",
                )  # fmt: skip
            ],
            notes,
        )
    merged: pl.DataFrame | None = None
    for source in sources:
        events, p, n = _one_source(source, path, cfg, direction, emg, cohort, file, dialect)
        problems += p
        notes += n
        if events is None:
            continue
        notes.append(f"{source}: {events.height} events")
        merged = events if merged is None else _merge(merged, events, cfg["merge_gap_s"])
    if problems:
        return None, problems, notes
    assert merged is not None
    return merged.sort("time_s"), [], notes


def _merge(first: pl.DataFrame, later: pl.DataFrame, gap: float) -> pl.DataFrame:
    keep = []
    for row in later.iter_rows(named=True):
        same = first.filter((pl.col("side") == row["side"]) & (pl.col("event") == row["event"]))
        if not (np.abs(same["time_s"].to_numpy() - row["time_s"]) <= gap).any():
            keep.append(row)
    return pl.concat([first, pl.DataFrame(keep, schema=EVENT_SCHEMA)]) if keep else first


def _one_source(source, path, cfg, direction, emg, cohort, file, dialect=None):
    if source == "stored":
        from analysis.ingest.readers.events import read_events

        try:
            extra = {} if dialect is None else {"dialect": dialect}
            ev = read_events(path, cohort=cohort, file=file, **extra)
        except ValidationError as exc:
            return None, exc.problems, []
        return ev.with_columns(source=pl.lit("stored")).cast(EVENT_SCHEMA), [], []
    if source == "footswitch":
        return _footswitch(cfg["footswitch"], emg, cohort, file)
    if path.suffix.lower() != ".c3d":
        return (
            None,
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    f"gait events from {source} need a C3D events_file",
                    "give the trial's C3D file as events_file in trials.csv",
                )  # fmt: skip
            ],
            [],
        )
    from analysis.ingest.readers.c3d import c3d_events, c3d_forceplates, c3d_markers, open_c3d

    c3d, p = open_c3d(path, cohort=cohort, file=file, forceplates=source == "forceplate")
    if c3d is None:
        return None, p, []
    if source == "markers":
        return _markers(c3d_markers(c3d), cfg["markers"], direction, cohort, file)
    fp = cfg["forceplate"]
    plates, p = c3d_forceplates(c3d, cohort=cohort, file=file)
    if p:
        return None, p, []
    feet, stored = None, None
    if fp.get("assign", "markers") == "markers":
        feet, p = _feet(c3d_markers(c3d), cfg["markers"], cohort, file)
        if p:
            return None, p, []
    else:
        stored, p = c3d_events(c3d, cohort=cohort, file=file)
        if stored is None:
            return None, p, []
    ev, notes = events_from_forceplates(
        plates,
        feet=feet,
        stored=stored,
        on_n=float(fp["on_n"]),
        off_n=float(fp["off_n"]),
        min_contact_s=float(fp["min_contact_s"]),
    )
    return ev, [], notes


def _missing(markers, names: list[str], cohort: str, file: str) -> list[Problem]:
    return [
        Problem(
            cohort,
            file,
            None,
            name,
            f"marker '{name}' is not in the C3D file",
            "name the file's marker under emg.events.markers in cohort.yaml",
        )  # fmt: skip
        for name in names
        if name not in markers.positions
    ]


def _feet(markers, mcfg: dict, cohort: str, file: str):
    names = {(s, m): mcfg[f"{s}_{m}"] for s in ("left", "right") for m in ("heel", "toe")}
    p = _missing(markers, list(names.values()), cohort, file)
    if p:
        return None, p
    tracks = {
        s: {
            m: (markers.positions[names[(s, m)]], markers.rate, markers.t0) for m in ("heel", "toe")
        }
        for s in ("left", "right")
    }
    return tracks, []


def _pelvis(markers, mcfg: dict) -> tuple[np.ndarray | None, list[str]]:
    given = mcfg.get("pelvis")
    options = [tuple([given] if isinstance(given, str) else given)] if given else PELVIS_CANDIDATES
    for names in options:
        if all(n in markers.positions for n in names):
            return np.nanmean(np.stack([markers.positions[n] for n in names]), axis=0), list(names)
    return None, list(options[0])


def _markers(markers, mcfg: dict, direction: str, cohort: str, file: str):
    names = {(s, m): mcfg[f"{s}_{m}"] for s in ("left", "right") for m in ("heel", "toe")}
    p = _missing(markers, list(names.values()), cohort, file)
    pelvis, used = _pelvis(markers, mcfg)
    if pelvis is None:
        p.append(
            Problem(
                cohort,
                file,
                None,
                None,
                f"no pelvis markers ({' or '.join('+'.join(c) for c in PELVIS_CANDIDATES)})",
                "name the pelvis marker(s) as emg.events.markers.pelvis in cohort.yaml",
            )  # fmt: skip
        )
    if p:
        return None, p, []
    heel = {s: markers.positions[names[(s, "heel")]] for s in ("left", "right")}
    toe = {s: markers.positions[names[(s, "toe")]] for s in ("left", "right")}
    ev, how = events_from_markers(
        heel, toe, pelvis, markers.rate, t0=markers.t0, direction=direction,
        lowpass_hz=float(mcfg["lowpass_hz"]), min_stride_s=float(mcfg["min_stride_s"]),
    )  # fmt: skip
    return ev, [], [f"markers: walking direction from {how}, pelvis {'+'.join(used)}"]


def _footswitch(fcfg: dict, emg, cohort: str, file: str):
    channels = {s: fcfg.get(s) for s in ("left", "right") if fcfg.get(s)}
    if emg is None or not channels:
        return (
            None,
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    "gait events from footswitches need the footswitch channel of each foot",
                    "name them as emg.events.footswitch.left/right in cohort.yaml (channels of "
                    "the EMG file, e.g. {right: FSW_R} or {right: {heel: FSW_RH, toe: FSW_RT}})",
                )  # fmt: skip
            ],
            [],
        )
    frames = []
    for side, ch in channels.items():
        wanted = [ch] if isinstance(ch, str) else list(ch.values())
        missing = [c for c in wanted if c not in emg.channels]
        if missing:
            return (
                None,
                [
                    Problem(
                        cohort,
                        file,
                        None,
                        missing[0],
                        f"footswitch channel '{missing[0]}' is not in the EMG recording "
                        f"(its channels: {', '.join(emg.channels)})",
                        "name the channel as it is after emg.channel_map, and do not map it "
                        "to null",
                    )  # fmt: skip
                ],
                [],
            )
        ev = events_from_threshold(
            emg, ch, side=side,
            threshold_fraction=float(fcfg["threshold_fraction"]),
            min_contact_s=float(fcfg["min_contact_s"]), min_swing_s=float(fcfg["min_swing_s"]),
        )  # fmt: skip
        frames.append(ev.with_columns(source=pl.lit("footswitch")).cast(EVENT_SCHEMA))
    return pl.concat(frames).sort("time_s"), [], []
