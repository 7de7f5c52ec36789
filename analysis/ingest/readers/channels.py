"""Channel names -> canonical muscle codes, through the cohort's ``emg.channel_map`` table."""

from __future__ import annotations

import re

from analysis.core.errors import Problem

CANONICAL_MUSCLES: tuple[str, ...] = (
    "VL", "VM", "RF", "BF", "ST", "TA", "GMAX", "GMED", "TFL", "GM", "GL", "SO", "PL",
)  # fmt: skip


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
    spaces, then the part after the last ``:`` (C3D labels such as ``"Delsys:EMG VL"``). A channel
    the table does not name keeps its own name, upper-cased when it already is a canonical code
    (``"ta"`` -> ``"TA"``). Mapping a channel to ``null`` in the table drops it.

    Returns
    -------
    names, problems
        One entry per input channel, and the problems found (unknown codes, duplicates).

    Examples
    --------
    >>> map_channels(["Vastus Lat.", "Delsys: TA", "FSW"], {"vastus lat.": "VL", "TA": "TA"})
    (['VL', 'TA', 'FSW'], [])
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
        target: str | None = raw
        for cand in candidates:
            if cand in table:
                target = table[cand]
                if target is not None:
                    target = str(target).strip()
                    if target.upper() in CANONICAL_MUSCLES:
                        target = target.upper()
                    else:
                        problems.append(
                            Problem(
                                cohort,
                                file,
                                None,
                                raw,
                                f"channel_map sends '{raw}' to '{target}', which is not a "
                                "canonical muscle code",
                                f"use one of {', '.join(CANONICAL_MUSCLES)} or null to drop it",
                            )
                        )
                break
        else:
            for cand in candidates:
                if cand.upper() in CANONICAL_MUSCLES:
                    target = cand.upper()
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
