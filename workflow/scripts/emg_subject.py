"""Snakemake glue: one subject's trials (and MVC recordings, if any) through the EMG stage."""

import sys
from pathlib import Path

import polars as pl

from analysis.emg import Recording, process_subject
from analysis.io import read_emg, read_events, read_mvc_recordings

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

# the validated trial table (not the raw cohort: a job's cost must not grow with the cohort)
folder = Path(sm.params.folder)
cohort = sm.wildcards.cohort
subject = sm.wildcards.subject
params = sm.params.emg
signal = {
    "rate": params.get("sampling_rate_hz"),
    "channel_map": params.get("channel_map") or None,
    "units": params.get("units", "uV"),
    "cohort": cohort,
}
rows = (
    pl.read_parquet(sm.input.trials)
    .filter(pl.col("subject") == subject)
    .sort(["session", "direction", "trial"])
)
recordings = []
for rec in rows.iter_rows(named=True):
    emg = read_emg(folder / rec["emg_file"], file=rec["emg_file"], **signal)
    events = read_events(folder / rec["events_file"], cohort=cohort, file=rec["events_file"])
    recordings.append(
        Recording(
            session=rec["session"],
            direction=rec["direction"],
            trial=rec["trial"],
            emg=emg,
            events=events,
        )
    )
    print(f"read {rec['emg_file']}", file=sys.stderr)
mvc = read_mvc_recordings(folder, subject, **signal)
if mvc:
    print(f"MVC recordings: {', '.join(sorted(mvc))}", file=sys.stderr)

result = process_subject(recordings, params, cohort=cohort, subject=subject, mvc=mvc)
for kind in ("curves", "features", "qc", "spatiotemporal", "normalisation"):
    getattr(result, kind).write_parquet(sm.output[kind])
