"""Gait events detected from force plates and from markers vs the events stored in C3D files.

On every C3D file under ``--data`` (default ``../shared/data/biomechzoo_sample``) that stores
Vicon gait events (Foot Strike / Foot Off), events are detected from the force plates
(vertical force 20 N on / 10 N off, plates assigned to the foot whose markers are nearest the
centre of pressure) and from the markers (direction-aware Zeni rule, forward walking), with
the same code as the EMG stage (:func:`analysis.ingest.events.source.trial_events`). Each stored
event is paired with the nearest detected event of the same side and kind within 100 ms
(force plates only see the steps that land on a plate). Prints a Markdown table of the
median and 95th percentile of the absolute differences in milliseconds.

    .venv/bin/python benchmarks/event_agreement.py [--data DIR] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.ingest.events.agreement import agreement_summary, match_events  # noqa: E402
from analysis.ingest.events.source import events_config, trial_events  # noqa: E402
from analysis.ingest.readers.c3d import c3d_events, open_c3d, point_rate, start_time  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "biomechzoo_sample"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--csv", type=Path, help="write every matched pair here")
    args = ap.parse_args(argv)
    files = sorted(args.data.glob("*/*.c3d"))
    if not files:
        print(f"no C3D files under {args.data}", file=sys.stderr)
        return 1
    cfg = events_config({})
    pairs, n_files, n_outside = [], 0, 0
    for f in files:
        c3d, _ = open_c3d(f, cohort="bench", file=f.name)
        stored, _ = c3d_events(c3d, cohort="bench", file=f.name)
        if stored is None:
            continue
        n_files += 1
        # Nexus keeps the events of the whole capture: those outside the stored frames go
        t0 = start_time(c3d)
        t_end = (int(c3d["header"]["points"]["last_frame"])) / point_rate(c3d)
        n_outside += stored.filter(~pl.col("time_s").is_between(t0, t_end)).height
        stored = stored.filter(pl.col("time_s").is_between(t0, t_end))
        for source in ("forceplate", "markers"):
            det, problems, _ = trial_events(
                f, sources=[source], config=cfg, direction="forward", cohort="bench", file=f.name
            )
            if det is None:
                print(f"{f.name} {source}: {problems[0]}", file=sys.stderr)
                continue
            m = match_events(stored, det).with_columns(file=pl.lit(f.name), source=pl.lit(source))
            pairs.append(m)
    table = pl.concat(pairs)
    if args.csv:
        table.write_csv(args.csv)
    print(
        f"{n_files} files with stored events (of {len(files)}); {n_outside} stored events "
        "outside the stored frames left out\n"
    )
    print("| source | event | stored events | matched (within 100 ms) | median abs. diff (ms) "
          "| 95th pct abs. diff (ms) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for source in ("forceplate", "markers"):
        for event in ("foot_contact", "foot_off", "all"):
            sel = table.filter(pl.col("source") == source)
            if event != "all":
                sel = sel.filter(pl.col("event") == event)
            s = agreement_summary(sel)
            print(f"| {source} | {event} | {s['n_reference']} | {s['n_matched']} | "
                  f"{s['median_abs_ms']} | {s['p95_abs_ms']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
