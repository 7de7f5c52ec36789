"""Snakemake glue: a chunk of subjects' trials (and MVC recordings) through the EMG stage."""

import sys
from pathlib import Path

import polars as pl

from analysis.core.errors import raise_if
from analysis.emg import Recording, process_subject
from analysis.ingest.cohort_yaml import read_settings
from analysis.ingest.contract import Dialect
from analysis.ingest.events.source import events_config, sources_of, trial_events
from analysis.ingest.readers import read_emg, read_mvc_recordings
from analysis.ingest.readers.c3d import c3d_angles
from analysis.kinematics import (
    ANGLE_CURVE_SCHEMA,
    ANGLE_FEATURE_SCHEMA,
    angle_curves,
    angle_features,
    sagittal_angles,
)

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

folder = Path(sm.params.folder)
cohort = sm.wildcards.cohort
params = sm.params.emg  # the cohort's analysis.core.settings.EmgSettings
signal = {
    "rate": params.sampling_rate_hz,
    "channel_map": dict(params.channel_map) or None,
    "units": params.units,
    "gain": params.gain,
    "cohort": cohort,
    "dialect": Dialect.from_settings(read_settings(folder)),  # csv: in cohort.yaml
}
events_cfg = events_config(dict(params.events))
# the validated trial table (not the raw cohort: a job's cost must not grow with the cohort)
trials = pl.read_parquet(sm.input.trials)
KINDS = ("curves", "features", "qc", "spatiotemporal", "normalisation")
ANGLES = ("angle_curves", "angle_features")
parts: dict[str, list[pl.DataFrame]] = {k: [] for k in (*KINDS, *ANGLES)}
cycles = params.to_params()["cycles"]


def trial_angles(rec: dict, events: pl.DataFrame) -> None:
    """Joint angles where the trial's C3D file holds them (model outputs), per gait cycle."""
    f = rec["emg_file"] if rec["emg_file"].lower().endswith(".c3d") else rec["events_file"]
    if not f.lower().endswith(".c3d"):
        return
    angles, problems = c3d_angles(folder / f, cohort=cohort, file=f)
    raise_if(problems)
    if angles is None:
        return
    keys = {"cohort": cohort, "subject": rec["subject"], "session": rec["session"],
            "direction": rec["direction"], "trial": int(rec["trial"])}  # fmt: skip
    sagittal = sagittal_angles(angles.values)
    curves, phases = angle_curves(sagittal, angles.rate, angles.t0, events, cycles, keys)
    parts["angle_curves"].append(curves)
    parts["angle_features"].append(angle_features(curves, phases))


subjects = list(sm.params.subjects)
for n, subject in enumerate(subjects, start=1):
    rows = trials.filter(pl.col("subject") == subject).sort(["session", "direction", "trial"])
    recordings = []
    for rec in rows.iter_rows(named=True):
        emg = read_emg(folder / rec["emg_file"], file=rec["emg_file"], **signal)
        events, problems, _ = trial_events(
            folder / rec["events_file"],
            sources=sources_of(events_cfg, rec.get("events_source")),
            config=events_cfg,
            direction=rec["direction"],
            emg=emg,
            cohort=cohort,
            file=rec["events_file"],
            dialect=signal["dialect"],
        )
        raise_if(problems)
        trial_angles(rec, events)
        recordings.append(
            Recording(
                session=rec["session"],
                direction=rec["direction"],
                trial=rec["trial"],
                emg=emg,
                events=events,
                speed_m_s=rec.get("speed_m_s"),
            )
        )
    mvc = read_mvc_recordings(folder, subject, **signal)
    result = process_subject(recordings, params, cohort=cohort, subject=subject, mvc=mvc)
    for kind in KINDS:
        parts[kind].append(getattr(result, kind))
    mvc_note = f", MVC recordings for {', '.join(sorted(mvc))}" if mvc else ""
    print(f"[{n}/{len(subjects)}] {subject}: {rows.height} trials{mvc_note}", file=sys.stderr)
    del recordings, mvc, result
for kind in KINDS:
    tables = [t for t in parts[kind] if t.width]
    table = pl.concat(tables, how="diagonal_relaxed") if tables else pl.DataFrame()
    table.write_parquet(sm.output[kind])
for kind, schema in zip(ANGLES, (ANGLE_CURVE_SCHEMA, ANGLE_FEATURE_SCHEMA), strict=True):
    pl.concat([pl.DataFrame(schema=schema), *parts[kind]]).write_parquet(sm.output[kind])
