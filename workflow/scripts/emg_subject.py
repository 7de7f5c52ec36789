"""Snakemake glue: one subject's trials through the EMG stage."""

import sys
from pathlib import Path

from analysis.cohort import load_cohort
from analysis.emg import Recording, process_subject
from analysis.io import read_emg, read_events

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

cohort = load_cohort(sm.params.folder)
params = sm.params.emg
subject = sm.wildcards.subject
rows = cohort.trials.filter(cohort.trials["subject"] == subject).sort(
    ["session", "direction", "trial"]
)
recordings = []
for rec in rows.iter_rows(named=True):
    emg = read_emg(
        Path(cohort.path) / rec["emg_file"],
        rate=params.get("sampling_rate_hz"),
        channel_map=params.get("channel_map") or None,
        units=params.get("units", "uV"),
        cohort=cohort.name,
        file=rec["emg_file"],
    )
    events = read_events(
        Path(cohort.path) / rec["events_file"], cohort=cohort.name, file=rec["events_file"]
    )
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

result = process_subject(recordings, params, cohort=cohort.name, subject=subject)
for kind in ("curves", "features", "qc", "spatiotemporal", "normalisation"):
    getattr(result, kind).write_parquet(sm.output[kind])
