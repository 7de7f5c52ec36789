"""Channel names -> canonical muscle codes, through the cohort's ``emg.channel_map`` table."""

from __future__ import annotations

import re

from analysis.core.errors import Problem

CANONICAL_MUSCLES: tuple[str, ...] = (
    "VL", "VM", "RF", "BF", "ST", "TA", "GMAX", "GMED", "TFL", "GM", "GL", "SO", "PL",
    "HAM", "GAS", "TP",
)  # fmt: skip
SIDE_PREFIXES = {"L": "left", "R": "right"}


def split_side(code: str) -> tuple[str | None, str]:
    """``("left" | "right" | None, canonical code)`` of a channel code such as ``"L_VL"``.

    Examples
    --------
    >>> split_side("L_VL"), split_side("TA"), split_side("R_XX")
    (('left', 'VL'), (None, 'TA'), (None, 'R_XX'))
    """
    head, sep, rest = str(code).partition("_")
    if sep and head in SIDE_PREFIXES and rest in CANONICAL_MUSCLES:
        return SIDE_PREFIXES[head], rest
    return None, str(code)


def is_muscle(code: str) -> bool:
    """Whether a channel code is a canonical muscle code, with or without a side (``L_VL``)."""
    return split_side(code)[1] in CANONICAL_MUSCLES


def _canonical(name: str) -> str | None:
    """The canonical (possibly sided) code a name is, ignoring case (``l_vl`` -> ``L_VL``)."""
    up = str(name).strip().upper()
    if up in CANONICAL_MUSCLES:
        return up
    side, code = split_side(up)
    return f"{up[0]}_{code}" if side else None


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def map_channels(
    names: list[str],
    channel_map: dict[str, str | None] | None,
    *,
    cohort: str = "",
    file: str = "",
) -> tuple[list[str | None], list[Problem]]:
    """Canonical names of the channels ``names`` (``None`` = drop that channel).

    Look-up order for each file channel: the exact name, then the name ignoring case and repeated
    spaces, then the part after the last ``:`` (C3D labels such as ``"Delsys:EMG VL"``), then for
    Nexus-style ``Device.Channel`` labels (``"Delt_ant.EMG1"``, ``"Voltage.EMG1"``) the part
    after the last ``.`` and the part before the first ``.``. A channel the table does not name
    keeps its own name, upper-cased when it already is a canonical code (``"ta"`` -> ``"TA"``,
    ``"l_vl"`` -> ``"L_VL"``). Mapping a channel to ``null`` in the table drops it. Codes may
    carry a side, ``L_`` or ``R_`` (``L_VL``), for recordings of both legs.

    Returns
    -------
    names, problems
        One entry per input channel, and the problems found (unknown codes, duplicates).

    Examples
    --------
    >>> map_channels(["Vastus Lat.", "Delsys: TA", "FSW"], {"vastus lat.": "VL", "TA": "TA"})
    (['VL', 'TA', 'FSW'], [])
    >>> map_channels(["Voltage.EMG1", "Delt_ant.EMG2", "R_VL"], {"EMG1": "L_TA", "Trigger": None})
    (['L_TA', 'Delt_ant.EMG2', 'R_VL'], [])
    """
    table: dict[str, str | None] = {}
    problems: list[Problem] = []
    for k, v in (channel_map or {}).items():
        if _key(k) in table and table[_key(k)] != v:
            problems.append(
                Problem(
                    cohort,
                    file,
                    None,
                    str(k),
                    f"channel_map names '{k}' twice (ignoring case and spaces), differently",
                    "keep one entry",
                )
            )
        table[_key(k)] = v
    out: list[str | None] = []
    for name in names:
        raw = str(name).strip()
        candidates = [_key(raw)]
        if ":" in raw:
            candidates.append(_key(raw.rsplit(":", 1)[1]))
        tail = raw.rsplit(":", 1)[-1]
        if "." in tail.strip(". "):  # Nexus Device.Channel; not a trailing abbreviation dot
            candidates += [_key(tail.rsplit(".", 1)[1]), _key(tail.split(".", 1)[0])]
        target: str | None = raw
        for cand in candidates:
            if cand in table:
                target = table[cand]
                if target is not None:
                    target = str(target).strip()
                    if _canonical(target) is not None:
                        target = _canonical(target)
                    else:
                        problems.append(
                            Problem(
                                cohort,
                                file,
                                None,
                                raw,
                                f"channel_map sends '{raw}' to '{target}', which is not a "
                                "canonical muscle code",
                                f"use one of {', '.join(CANONICAL_MUSCLES)} (with L_ or R_ "
                                "for a side) or null to drop it",
                            )
                        )
                break
        else:
            for cand in candidates:
                if _canonical(cand) is not None:
                    target = _canonical(cand)
                    break
        out.append(target)
    seen: dict[str, str] = {}
    for raw, target in zip(names, out, strict=True):
        if target is None:
            continue
        if target in seen:
            problems.append(
                Problem(
                    cohort,
                    file,
                    None,
                    str(raw),
                    f"channels '{seen[target]}' and '{raw}' both map to '{target}'",
                    "map one of them to another code or to null in cohort.yaml emg.channel_map",
                )
            )
        else:
            seen[target] = str(raw)
    return out, problems
