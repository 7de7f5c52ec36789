"""EMG of both legs: each leg's channels are processed with that leg's gait cycles.

Design (docs/emg.md, "EMG of both legs"): a channel's leg is the prefix of its code (``L_VL``
left, ``R_TA`` right; :func:`analysis.ingest.readers.channels.split_side`), else ``emg.side``
(``cycles.side``) when that is ``left`` or ``right``. With ``emg.side: both`` an unprefixed muscle
channel has no leg: QC flag ``no_side`` (informational), not processed.

The stage runs once per leg on that leg's channels, under their codes without the prefix (so
that ``cocontraction_pairs``, ``emg.muscles`` and MVC references apply as for one leg), with the
leg's foot contacts as cycle boundaries. The tables then get the prefixed codes back in
``muscle`` (``L_VL``, pairs ``L_VL/L_BF``: every consumer keyed on ``muscle`` keeps the legs
apart) and a ``side`` column on every table, which also keys the cycles (numbered per leg) of
the QC and spatiotemporal rows that name no muscle. Each trial's QC table also gets one
``events_source`` row naming where its gait events came from.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from analysis.core.settings import EmgSettings, emg_settings
from analysis.core.signal import EMG
from analysis.ingest.events.source import SOURCES
from analysis.ingest.readers.channels import CANONICAL_MUSCLES, split_side

SIDES: tuple[str, ...] = ("left", "right")
PREFIX: dict[str, str] = {"left": "L_", "right": "R_"}
TRIAL_KEYS = ("cohort", "subject", "session", "direction", "trial")
TABLES = ("curves", "features", "qc", "spatiotemporal", "normalisation")


@dataclasses.dataclass
class SidePlan:
    """Which recording channels each leg processes, under which code.

    Attributes
    ----------
    channels : dict
        side -> {recording channel: code processed}, sides in the order processed.
    unassigned : list of (channel, reason)
        Muscle channels no leg processes.
    """

    channels: dict[str, dict[str, str]]
    unassigned: list[tuple[str, str]]

    @property
    def renamed(self) -> bool:
        """Whether any channel is processed under another name (a prefixed code)."""
        return any(ch != code for m in self.channels.values() for ch, code in m.items())


def plan_sides(channels: tuple[str, ...] | list[str], side: str) -> SidePlan:
    """Assign a recording's muscle channels to legs.

    Parameters
    ----------
    channels : sequence of str
        The recording's channel codes after the channel map.
    side : {"left", "right", "both"}
        ``emg.side`` of the cohort (``emg.cycles.side``).

    Returns
    -------
    SidePlan

    Examples
    --------
    >>> p = plan_sides(["L_VL", "R_VL", "TA", "FSW"], "both")
    >>> p.channels, p.unassigned[0][0]
    ({'left': {'L_VL': 'VL'}, 'right': {'R_VL': 'VL'}}, 'TA')
    >>> plan_sides(["VL", "TA"], "right").channels
    {'right': {'VL': 'VL', 'TA': 'TA'}}
    """
    found: dict[str, dict[str, str]] = {s: {} for s in SIDES}
    unassigned: list[tuple[str, str]] = []
    for ch in channels:
        leg, code = split_side(ch)
        if leg is None and code not in CANONICAL_MUSCLES:
            continue  # not a muscle: carried along, reported by the stage
        if leg is None and side not in SIDES:
            unassigned.append(
                (ch, f"muscle channel '{ch}' names no leg and emg.side is '{side}': not "
                 "processed (use L_ or R_ codes in emg.channel_map)")
            )  # fmt: skip
            continue
        leg = leg or side
        if code in found[leg].values():
            other = next(c for c, k in found[leg].items() if k == code)
            unassigned.append(
                (ch, f"channels '{other}' and '{ch}' are both the {leg} {code}: '{ch}' not "
                 "processed")
            )  # fmt: skip
            continue
        found[leg][ch] = code
    used = {s: m for s, m in found.items() if m}
    if not used:
        used = {s: {} for s in (SIDES if side not in SIDES else (side,))}
    return SidePlan(used, unassigned)


def _sub_recording(rec: Any, mapping: dict[str, str], others: bool) -> Any:
    """The recording restricted to one leg's channels (renamed), plus the non-muscle channels
    when ``others`` (and always the footswitch channels)."""
    emg = rec.emg
    fsw = rec.footswitch
    keep_fsw = {fsw} if isinstance(fsw, str) else set((fsw or {}).values())
    names, idx = [], []
    for i, ch in enumerate(emg.channels):
        leg, code = split_side(ch)
        if ch in mapping:
            names.append(mapping[ch])
        elif ch in keep_fsw or (others and leg is None and code not in CANONICAL_MUSCLES):
            names.append(ch)
        else:
            continue
        idx.append(i)
    sub = EMG(emg.data[idx], emg.rate, tuple(names), emg.units, emg.t0, dict(emg.meta))
    return dataclasses.replace(rec, emg=sub)


def _strip_mvc(mvc: Mapping[str, Any] | None, side: str, codes: set[str]) -> dict | None:
    """The MVC recordings of one leg, keyed and named by code without prefix."""
    if not mvc:
        return None
    out: dict[str, list[EMG]] = {}
    for key, recs in mvc.items():
        leg, code = split_side(key)
        if code not in codes or (leg is not None and leg != side):
            continue
        if leg is None and code in out:
            continue  # the leg's own (prefixed) MVC wins
        out[code] = [_strip_emg(e, side) for e in (recs if isinstance(recs, list | tuple)
                                                   else [recs])]  # fmt: skip
    return out or None


def _strip_emg(emg: EMG, side: str) -> EMG:
    names, idx = [], []
    stripped = {split_side(c)[1] for c in emg.channels if split_side(c)[0] == side}
    for i, ch in enumerate(emg.channels):
        leg, code = split_side(ch)
        if leg == side:
            names.append(code)
        elif leg is None and ch in stripped:
            continue
        else:
            names.append(ch)
        idx.append(i)
    return EMG(emg.data[idx], emg.rate, tuple(names), emg.units, emg.t0, dict(emg.meta))


def _side_params(p: dict, side: str) -> dict:
    out = copy.deepcopy(p)
    out["cycles"]["side"] = side
    declared = []
    for m in p.get("muscles") or []:
        leg, code = split_side(m)
        if leg in (None, side) and code not in declared:
            declared.append(code)
    out["muscles"] = declared
    return out


def _relabel(name: str | None, prefixed: dict[str, str]) -> str | None:
    if name is None:
        return None
    return "/".join(prefixed.get(part, part) for part in name.split("/"))


def _with_side(df: pl.DataFrame, side: str, prefixed: dict[str, str], after: str) -> pl.DataFrame:
    if df.width == 0:
        return df
    if prefixed and "muscle" in df.columns:
        names = df["muscle"].unique().to_list()
        mapping = {n: _relabel(n, prefixed) for n in names if n is not None}
        df = df.with_columns(pl.col("muscle").replace(mapping))
    side_col = pl.lit(side, dtype=pl.String)
    if "flag" in df.columns:  # channels that are not muscles belong to no leg
        side_col = pl.when(pl.col("flag") == "not_a_muscle").then(None).otherwise(side_col)
    df = df.with_columns(side_col.alias("side"))
    cols = [c for c in df.columns if c != "side"]
    at = cols.index(after) + 1
    return df.select([*cols[:at], "side", *cols[at:]])


QC_SCHEMA = {
    "cohort": pl.String,
    "subject": pl.String,
    "session": pl.String,
    "direction": pl.String,
    "trial": pl.Int64,
    "side": pl.String,
    "muscle": pl.String,
    "cycle": pl.Int64,
    "flag": pl.String,
    "reason": pl.String,
    "excluded": pl.Boolean,
}


def events_source(rec: Any) -> str | None:
    """Where a recording's gait events come from: sources joined by ``+`` (in the order
    stored, forceplate, footswitch, markers) and event counts.

    ``None`` when the events carry no ``source`` column (given through the Python API).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ev = pl.DataFrame({"side": ["left", "right", "left"], "source": ["forceplate",
    ...     "markers", "markers"]})
    >>> events_source(SimpleNamespace(events=ev, footswitch=None))
    'forceplate+markers (forceplate: 1 events, markers: 2 events)'
    """
    ev = rec.events
    if ev is None:
        return "footswitch (detected in the EMG stage)" if rec.footswitch is not None else None
    if "source" not in ev.columns:
        return None  # events given without their source (Python API)
    counts = dict(ev.group_by("source").len().rows())
    names = sorted(counts, key=lambda s: (SOURCES.index(s) if s in SOURCES else 99, str(s)))
    detail = ", ".join(f"{s}: {counts[s]} events" for s in names)
    return f"{'+'.join(names)} ({detail})"


def process_by_side(
    recordings: list,
    params: EmgSettings | Mapping | None,
    *,
    cohort: str,
    subject: str,
    mvc: Mapping[str, Any] | None,
    one_side: Callable[..., Any],
) -> dict[str, pl.DataFrame]:
    """Run the EMG stage once per leg and join the legs' tables (see the module docstring).

    Parameters
    ----------
    recordings : list of Recording
    params : EmgSettings or mapping
    cohort, subject : str
    mvc : dict, optional
        Muscle code (``VL`` or ``L_VL``) -> MVC recording(s).
    one_side : callable
        The one-leg stage, ``one_side(recordings, params, cohort=, subject=, mvc=)`` returning
        an object with the five tables as attributes.

    Returns
    -------
    dict
        ``curves``, ``features``, ``qc``, ``spatiotemporal``, ``normalisation`` with a ``side``
        column and prefixed muscle codes where the channels had them.
    """
    settings = emg_settings(params)  # resolved once: each leg's stage gets it as is
    p = settings.to_params()
    setting = p["cycles"]["side"]
    plans = [plan_sides(rec.emg.channels, setting) for rec in recordings]
    sides = [s for s in SIDES if any(s in plan.channels for plan in plans)]
    parts: dict[str, list[pl.DataFrame]] = {k: [] for k in TABLES}
    extra_qc: list[tuple] = []
    for rec, plan in zip(recordings, plans, strict=True):
        keys = (cohort, subject, rec.session, rec.direction, int(rec.trial))
        source = events_source(rec)
        if source is not None:
            extra_qc.append((*keys, None, None, None, "events_source", source, False))
        extra_qc += [(*keys, None, ch, None, "no_side", why, False) for ch, why in plan.unassigned]
    simple = len(sides) == 1 and not any(plan.renamed or plan.unassigned for plan in plans)
    for n, side in enumerate(sides):
        if simple:
            recs, p_side, mvc_side, prefixed = recordings, settings, mvc, {}
        else:
            recs, codes = [], set()
            for rec, plan in zip(recordings, plans, strict=True):
                mapping = plan.channels.get(side, {})
                codes |= set(mapping.values())
                recs.append(_sub_recording(rec, mapping, others=n == 0))
            prefixed = {
                code: ch
                for plan in plans
                for ch, code in plan.channels.get(side, {}).items()
                if ch != code
            }
            p_side, mvc_side = _side_params(p, side), _strip_mvc(mvc, side, codes)
        out = one_side(recs, p_side, cohort=cohort, subject=subject, mvc=mvc_side)
        for kind in TABLES:
            after = "subject" if kind == "normalisation" else "trial"
            parts[kind].append(_with_side(getattr(out, kind), side, prefixed, after))
    if extra_qc:
        parts["qc"].append(pl.DataFrame(extra_qc, schema=QC_SCHEMA, orient="row"))
    return {k: _concat(v) for k, v in parts.items()}


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.width]
    if not frames:
        return pl.DataFrame()
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
