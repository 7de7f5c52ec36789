"""C3D files (ezc3d): analog channels, stored gait events, markers and force plates.

Everything is returned on the **capture clock**: a frame ``f`` (0-based from the start of the
capture) is at ``f / rate`` seconds. The stored data may start later than the capture (header
first frame, e.g. a trial cropped in Vicon Nexus), and ``EVENT:TIMES`` count from the capture
start, so signals carry ``t0 = first frame / point rate`` and events need no shift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analysis.core.errors import Problem
from analysis.ingest.readers.formats import RawSignals

EVENT_SCHEMA = {"side": pl.String, "event": pl.String, "time_s": pl.Float64, "contact": pl.String}
# label (lower case, words) -> (event, contact type or None)
_EVENT_WORDS: dict[str, tuple[str, str | None]] = {
    "foot strike": ("foot_contact", None),
    "foot contact": ("foot_contact", None),
    "initial contact": ("foot_contact", None),
    "heel strike": ("foot_contact", "heel"),
    "heel contact": ("foot_contact", "heel"),
    "toe strike": ("foot_contact", "toe"),
    "toe contact": ("foot_contact", "toe"),
    "forefoot contact": ("foot_contact", "toe"),
    "foot flat contact": ("foot_contact", "flat"),
    "foot off": ("foot_off", None),
    "toe off": ("foot_off", None),
    "fs": ("foot_contact", None),
    "ic": ("foot_contact", None),
    "hs": ("foot_contact", "heel"),
    "ts": ("foot_contact", "toe"),
    "fo": ("foot_off", None),
    "to": ("foot_off", None),
}
_SIDE_WORDS = {"left": "left", "l": "left", "right": "right", "r": "right"}
KNOWN_LABELS = "Foot Strike/Foot Off (contexts Left/Right), or LHS, RHS, LTO, RTO, LFS, RFO"


def open_c3d(path: Path, *, cohort: str, file: str, forceplates: bool = False):
    """The parsed file (``ezc3d.c3d``) or ``None`` and the problem why it cannot be read."""
    import ezc3d

    try:
        return ezc3d.c3d(str(path), extract_forceplat_data=forceplates), []
    except Exception as exc:  # ezc3d raises RuntimeError/IOError variants
        return None, [Problem(cohort, file, None, None, f"cannot be read as C3D: {exc}")]


def point_rate(c3d) -> float:
    """Marker (point) frame rate in Hz (``POINT:RATE``, else the header's)."""
    rate = np.atleast_1d(c3d["parameters"]["POINT"].get("RATE", {}).get("value", []))
    return float(rate[0]) if rate.size else float(c3d["header"]["points"]["frame_rate"])


def start_time(c3d) -> float:
    """Capture-clock time of the first stored frame: header first frame / point rate."""
    rate = point_rate(c3d)
    return int(c3d["header"]["points"]["first_frame"]) / rate if rate > 0 else 0.0


def read_c3d(path: Path, *, cohort: str, file: str) -> tuple[RawSignals | None, list[Problem]]:
    """Analog channels of a C3D file, by label, at the analog rate (not the point rate).

    Units come from ``ANALOG:UNITS`` (converted to microvolts by the caller when they are
    volts, millivolts or microvolts); the start time is that of the first stored frame.
    """
    c3d, problems = open_c3d(path, cohort=cohort, file=file)
    if c3d is None:
        return None, problems
    analog = c3d["parameters"]["ANALOG"]
    labels = [str(x).strip() for x in analog.get("LABELS", {}).get("value", [])]
    data = np.asarray(c3d["data"]["analogs"], dtype=float)
    if data.ndim == 3:
        data = data[0]
    if not labels or data.size == 0:
        return None, [Problem(cohort, file, None, None, "C3D file has no analog channels")]
    rate_param = np.atleast_1d(analog["RATE"]["value"]) if "RATE" in analog else []
    rate = (
        float(rate_param[0]) if len(rate_param) else float(c3d["header"]["analogs"]["frame_rate"])
    )
    if rate <= 0:
        return None, [Problem(cohort, file, None, None, "C3D analog rate is missing or zero")]
    units = [str(u).strip() for u in analog["UNITS"]["value"]] if "UNITS" in analog else []
    units += [""] * (len(labels) - len(units))
    n = data.shape[0]
    notes = {"point_rate_hz": point_rate(c3d), "analog_rate_hz": rate}
    return RawSignals(labels[:n], data, rate, start_time(c3d), units[:n], notes), []


def _event_times(ev: dict, n: int) -> np.ndarray | None:
    """Seconds of ``n`` events from ``EVENT:TIMES`` stored as (2, n), flat pairs, or seconds."""
    times = np.asarray(ev["TIMES"]["value"], dtype=float)
    if times.ndim == 2 and times.shape == (2, n):
        return times[0] * 60.0 + times[1]
    flat = times.ravel()
    if flat.size == 2 * n:  # declared one-dimensional: minutes, seconds, minutes, seconds ...
        pairs = flat.reshape(n, 2)
        return pairs[:, 0] * 60.0 + pairs[:, 1]
    if flat.size == n:  # seconds only
        return flat
    return None


def parse_event_label(label: str, context: str = "") -> tuple[str | None, str | None, str | None]:
    """``(side, event, contact)`` of a C3D event label and context (``None`` when unknown).

    Examples
    --------
    >>> parse_event_label("Foot Strike", "Left")
    ('left', 'foot_contact', None)
    >>> parse_event_label("RTO"), parse_event_label("L_HS")
    (('right', 'foot_off', None), ('left', 'foot_contact', 'heel'))
    >>> parse_event_label("Toe Strike", "Right")
    ('right', 'foot_contact', 'toe')
    """
    words = re.sub(r"[\s_\-.:]+", " ", str(label)).strip().casefold()
    side = _SIDE_WORDS.get(str(context).strip().casefold())
    m = re.fullmatch(r"([lr])(hs|fs|ic|ts|to|fo)", words)
    if m:
        words = f"{m.group(1)} {m.group(2)}"
    head, _, rest = words.partition(" ")
    if head in _SIDE_WORDS and rest in _EVENT_WORDS:
        side = side or _SIDE_WORDS[head]
        words = rest
    event, contact = _EVENT_WORDS.get(words, (None, None))
    return side, event, contact


def c3d_events(c3d, *, cohort: str, file: str) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Gait events of a parsed C3D file's ``EVENT`` group (times on the capture clock).

    ``EVENT:TIMES`` may be (2, n) (minutes, seconds), one-dimensional pairs, or seconds; the
    side comes from ``EVENT:CONTEXTS`` (``Left``/``Right``) or, without it, from the label
    (``LHS``, ``RTO``, ``Left Foot Strike``); labels naming heel or toe give ``contact``.
    """
    ev = c3d["parameters"].get("EVENT", {})
    labels = [str(x) for x in ev.get("LABELS", {}).get("value", [])]
    if "TIMES" not in ev or not labels:
        return None, [
            Problem(
                cohort,
                file,
                None,
                None,
                "C3D file has no gait events (EVENT group empty or missing)",
                "mark Foot Strike/Foot Off events in the capture software, or detect events "
                "from force plates or markers (emg.events.source in cohort.yaml)",
            )
        ]
    seconds = _event_times(ev, len(labels))
    if seconds is None:
        size = np.asarray(ev["TIMES"]["value"]).size
        return None, [
            Problem(
                cohort,
                file,
                None,
                "EVENT:TIMES",
                f"{size} time values for {len(labels)} event labels",
                "re-export the file with one time (minutes, seconds) per event",
            )
        ]
    contexts = [str(x) for x in ev.get("CONTEXTS", {}).get("value", [])]
    contexts += [""] * (len(labels) - len(contexts))
    rows = []
    for ctx, label, t in zip(contexts, labels, seconds, strict=True):
        side, event, contact = parse_event_label(label, ctx)
        if side is not None and event is not None and np.isfinite(t):
            rows.append((side, event, float(t), contact if event == "foot_contact" else None))
    if not rows:
        pairs = zip(contexts, labels, strict=True)
        found = ", ".join(sorted({f"{c}:{lab}" if c else lab for c, lab in pairs}))
        return None, [
            Problem(
                cohort,
                file,
                None,
                None,
                f"no foot contact/foot off events among the C3D events ({found[:200]})",
                f"label events {KNOWN_LABELS}",
            )
        ]
    out = pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row").sort("time_s")
    return out.unique(["side", "event", "time_s"], keep="first", maintain_order=True), []


@dataclass
class Markers:
    """Marker trajectories in millimetres (frames x 3, NaN where missing) on the capture clock."""

    rate: float
    t0: float
    positions: dict[str, np.ndarray]
    labels: list[str] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return next(iter(self.positions.values())).shape[0] if self.positions else 0

    @property
    def time(self) -> np.ndarray:
        return self.t0 + np.arange(self.n_frames) / self.rate


def c3d_markers(c3d) -> Markers:
    """Every point of a parsed C3D file (markers and model outputs) as :class:`Markers`.

    Positions are converted to millimetres from ``POINT:UNITS``; samples with a negative
    residual or exactly at the origin (how Vicon writes a gap) are NaN.
    """
    pts = np.asarray(c3d["data"]["points"], dtype=float)
    labels = [str(x).strip() for x in c3d["parameters"]["POINT"].get("LABELS", {}).get("value", [])]
    units = c3d["parameters"]["POINT"].get("UNITS", {}).get("value", ["mm"])
    scale = {"m": 1000.0, "cm": 10.0}.get(str(units[0]).strip().casefold() if units else "mm", 1.0)
    res = c3d["data"].get("meta_points", {}).get("residuals")
    out: dict[str, np.ndarray] = {}
    for i, lab in enumerate(labels[: pts.shape[1]]):
        xyz = pts[:3, i, :].T * scale
        gap = np.all(xyz == 0.0, axis=1)
        if res is not None and np.ndim(res) == 3:
            gap |= np.asarray(res)[0, i, :] < 0
        xyz[gap] = np.nan
        out.setdefault(lab, xyz)
    return Markers(point_rate(c3d), start_time(c3d), out, labels)


@dataclass
class ForcePlate:
    """One force plate in the lab frame: force (N) and centre of pressure (mm), samples x 3."""

    number: int
    rate: float
    t0: float
    force: np.ndarray
    cop: np.ndarray
    corners: np.ndarray  # 4 x 3, mm

    @property
    def vertical(self) -> np.ndarray:
        """Vertical ground reaction force (N, positive when loaded)."""
        fz = self.force[:, 2]
        return fz if np.nanmean(fz) >= 0 else -fz


def c3d_forceplates(c3d, *, cohort: str, file: str) -> tuple[list[ForcePlate], list[Problem]]:
    """Force plates of a C3D file parsed with ``forceplates=True`` (see :func:`open_c3d`)."""
    plates = c3d["data"].get("platform", [])
    if not plates:
        return [], [
            Problem(
                cohort,
                file,
                None,
                "FORCE_PLATFORM",
                "C3D file has no force plates (FORCE_PLATFORM:USED is 0 or the group is missing)",
                "use another events source (stored, markers or footswitch)",
            )
        ]
    analog = c3d["parameters"]["ANALOG"]
    rate_param = np.atleast_1d(analog.get("RATE", {}).get("value", []))
    rate = (
        float(rate_param[0]) if rate_param.size else float(c3d["header"]["analogs"]["frame_rate"])
    )
    out = []
    for k, p in enumerate(plates, start=1):
        unit = str(p.get("unit_position", "mm")).strip().casefold()
        scale = {"m": 1000.0, "cm": 10.0}.get(unit, 1.0)
        force = np.asarray(p["force"], dtype=float).T
        cop = np.asarray(p["center_of_pressure"], dtype=float).T * scale
        corners = np.asarray(p["corners"], dtype=float).T * scale
        out.append(ForcePlate(k, rate, start_time(c3d), force, cop, corners))
    return out, []


def read_c3d_events(path: Path, *, cohort: str, file: str) -> tuple[pl.DataFrame | None, list]:
    """Stored gait events of a C3D file (see :func:`c3d_events`)."""
    c3d, problems = open_c3d(path, cohort=cohort, file=file)
    if c3d is None:
        return None, problems
    return c3d_events(c3d, cohort=cohort, file=file)


@dataclass
class Angles:
    """Joint angles stored as C3D model outputs (``POINT:ANGLES``), degrees, on the capture
    clock: label (``LKneeAngles``) -> frames x 3 (NaN where missing)."""

    rate: float
    t0: float
    values: dict[str, np.ndarray]


def c3d_angles(path: Path, *, cohort: str, file: str) -> tuple[Angles | None, list[Problem]]:
    """The joint angles a C3D file holds as model outputs (Vicon Plug-in Gait, Qualisys/Visual3D
    exports), by label; ``None`` when it has none.

    The labels are those listed in ``POINT:ANGLES`` (else every point label ending in
    ``Angles``); a label may carry a subject prefix (``Subject01:LKneeAngles``), which is
    dropped. Units are degrees (``POINT:ANGLE_UNITS``; radians are converted).
    """
    c3d, problems = open_c3d(path, cohort=cohort, file=file)
    if c3d is None:
        return None, problems
    point = c3d["parameters"]["POINT"]
    labels = [str(x).strip() for x in point.get("LABELS", {}).get("value", [])]
    declared = {str(x).strip() for x in point.get("ANGLES", {}).get("value", [])}
    unit = [str(u).strip().casefold() for u in point.get("ANGLE_UNITS", {}).get("value", [])]
    scale = 180.0 / np.pi if unit and unit[0].startswith("rad") else 1.0
    pts = np.asarray(c3d["data"]["points"], dtype=float)
    out: dict[str, np.ndarray] = {}
    for i, lab in enumerate(labels[: pts.shape[1]]):
        name = lab.split(":")[-1]
        if not (lab in declared or (not declared and name.endswith("Angles"))):
            continue
        xyz = pts[:3, i, :].T * scale
        xyz[np.all(xyz == 0.0, axis=1)] = np.nan  # how Vicon writes a gap
        out.setdefault(name, xyz)
    if not out:
        return None, []
    return Angles(point_rate(c3d), start_time(c3d), out), []
