"""Real Vicon C3D recordings of both legs as a cohort: validated, and each leg cut by its events.

Skipped, with the reason, when ``../shared/data/biomechzoo_sample`` is absent; the files are
copied to a temporary folder, never into the repository.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from zoo_sample import CHANNEL_MAP, CHANNELS, EVENTS, require_zoo

from analysis.emg import Recording, process_subject
from analysis.ingest.events.source import events_config, trial_events
from analysis.ingest.readers import read_emg

REPO = Path(__file__).resolve().parents[2]
FILES = ("HC002D/straight_HC002D06.c3d", "HC030A/straight_HC030A05.c3d")


@pytest.fixture(scope="module")
def zoo() -> Path:
    return require_zoo()


def test_both_legs_processed_with_their_own_events(zoo):
    f = zoo / FILES[0]
    emg = read_emg(f, channel_map=CHANNEL_MAP, gain=1000.0, cohort="zoo", file=f.name)
    events, problems, _ = trial_events(
        f, sources=EVENTS["source"], config=events_config(EVENTS), cohort="zoo", file=f.name
    )
    assert problems == []
    rec = Recording("baseline", "forward", 1, emg, events, speed_m_s=1.2)
    out = process_subject([rec], {"cycles": {"side": "both"}}, cohort="zoo", subject="HC002D")
    codes = {f"{s}_{c}" for s in "LR" for c in CHANNELS.values()}
    assert set(out.curves["muscle"]) == codes
    assert set(out.curves.select("muscle", "side").unique().rows()) == {
        (c, "left" if c.startswith("L_") else "right") for c in codes
    }
    # each leg's cycles run between that leg's own contacts
    for side in ("left", "right"):
        contacts = np.sort(
            events.filter((pl.col("side") == side) & (pl.col("event") == "foot_contact"))[
                "time_s"
            ].to_numpy()
        )
        strides = out.spatiotemporal.filter(
            (pl.col("side") == side) & (pl.col("parameter") == "stride_time")
        ).sort("cycle")["value"]
        assert strides.len() >= 1, side
        assert strides.to_numpy() == pytest.approx(np.diff(contacts)[: strides.len()])
    src = out.qc.filter(pl.col("flag") == "events_source")["reason"].item()
    assert src.startswith("forceplate+markers")


def _cohort(folder: Path, zoo: Path) -> Path:
    (folder / "c3d").mkdir(parents=True)
    rows = []
    for rel in FILES:
        shutil.copy(zoo / rel, folder / "c3d" / Path(rel).name)
        subject = Path(rel).parent.name
        c3d = f"c3d/{Path(rel).name}"
        rows.append((subject, "baseline", "forward", 1, 1.2, "overground", c3d, c3d))
    pl.DataFrame(
        rows,
        schema=[
            "subject",
            "session",
            "direction",
            "trial",
            "speed_m_s",
            "surface",
            "emg_file",
            "events_file",
        ],  # fmt: skip
        orient="row",
    ).write_csv(folder / "trials.csv")
    pl.DataFrame(
        {
            "subject": [Path(r).parent.name for r in FILES],
            "group": "control",
            "age_years": [30, 31],
            "sex": ["F", "M"],
            "height_cm": [170.0, 180.0],
            "mass_kg": [65.0, 80.0],
            "knee_pain": "no",
        }
    ).write_csv(folder / "participants.csv")
    doc = {
        "contract_version": 1,
        "name": folder.name,
        "sessions": ["baseline"],
        "emg": {
            "units": "V",
            "gain": 1000,
            "side": "both",
            "muscles": sorted(v for v in CHANNEL_MAP.values() if v),
            "channel_map": CHANNEL_MAP,
            "events": EVENTS,
        },
    }
    (folder / "cohort.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return folder


def test_force_plate_cohort_validates(zoo, tmp_path):
    folder = _cohort(tmp_path / "gaitlab", zoo)
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "cohort 'gaitlab': OK" in proc.stdout
