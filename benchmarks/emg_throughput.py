"""Throughput and peak memory of the EMG stage against a bare scipy baseline (issue 4).

On a synthetic recording (default: 16 channels, 2000 Hz, 60 minutes, written to Parquet) this
times, in one process,

1. the full EMG stage: ``read_emg`` (Parquet) -> ``process_subject`` (filters, envelope, gait
   cycles, QC, normalisation, curves, features, spatiotemporal), and
2. the baseline: ``sosfiltfilt`` band-pass, ``abs``, ``sosfiltfilt`` low-pass on the same
   channels x samples array (already in memory; same filter orders and cut-offs),

and records the peak resident memory of step 1 above the resident memory before it (Linux
``VmHWM``, reset through ``/proc/self/clear_refs``) relative to the size of the raw float64
array. Goals: time ratio <= 1.5 and memory ratio <= 3.

Usage::

    .venv/bin/python benchmarks/emg_throughput.py                 # 60 min, 16 ch, 2000 Hz
    .venv/bin/python benchmarks/emg_throughput.py --minutes 5     # quick look
    .venv/bin/python benchmarks/emg_throughput.py --json out.json

Exits 1 when a goal is missed (unless ``--no-check``).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.emg import Recording, merge_params, process_subject  # noqa: E402
from analysis.ingest.readers import read_emg  # noqa: E402

MUSCLES = ("VL", "VM", "RF", "BF", "ST", "TA", "GMAX", "GMED", "TFL", "GM", "GL", "SO", "PL")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def write_recording(path: Path, n_channels: int, rate: float, minutes: float, seed: int):
    """Synthetic gait EMG (bursts at ~1.1 s strides) as float32 Parquet, and its events."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * rate)
    strides = rng.normal(1.1, 0.03, int(minutes * 60 / 0.9) + 2)
    contacts = 0.5 + np.concatenate([[0.0], np.cumsum(strides)])
    contacts = contacts[contacts < n / rate - 0.2]
    names = [MUSCLES[i] if i < len(MUSCLES) else f"CH{i + 1}" for i in range(n_channels)]
    chunk = int(rate * 60)
    schema = pa.schema([(c, pa.float32()) for c in names])
    carrier_sos = sps.butter(2, [20.0, 300.0], btype="bandpass", fs=rate, output="sos")
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            t = np.arange(start, stop) / rate
            k = np.clip(np.searchsorted(contacts, t) - 1, 0, len(contacts) - 2)
            pct = (t - contacts[k]) / (contacts[k + 1] - contacts[k])
            cols = {}
            for i, c in enumerate(names):
                centre = (i * 0.13) % 1.0
                d = np.abs(pct - centre)
                d = np.minimum(d, 1 - d)
                act = 5.0 + 60.0 * np.exp(-0.5 * (d / 0.08) ** 2)
                noise = sps.sosfilt(carrier_sos, rng.standard_normal(stop - start))
                cols[c] = pa.array((act * noise * 3).astype(np.float32))
            writer.write_table(pa.table(cols, schema=schema))
    rows = []
    for k, t in enumerate(contacts):
        s = contacts[k + 1] - t if k + 1 < len(contacts) else 1.1
        rows += [("right", "foot_contact", t, "heel"), ("right", "foot_off", t + 0.62 * s, None),
                 ("left", "foot_off", t + 0.12 * s, None),
                 ("left", "foot_contact", t + 0.5 * s, "heel")]  # fmt: skip
    events = pl.DataFrame(rows, schema=["side", "event", "time_s", "contact"], orient="row").filter(
        pl.col("time_s") < n / rate - 0.01
    )
    return events.sort("time_s"), n, names


def baseline(x: np.ndarray, rate: float, params: dict) -> np.ndarray:
    """The bare scipy chain: band-pass, rectify, low-pass, all zero-lag, on the whole array."""
    bp, env = params["bandpass"], params["envelope"]
    sos_bp = sps.butter(
        int(bp["order"]), [bp["low_hz"], bp["high_hz"]], btype="bandpass", fs=rate, output="sos"
    )
    sos_lp = sps.butter(
        int(env["order"]), env["lowpass_hz"], btype="lowpass", fs=rate, output="sos"
    )
    y = sps.sosfiltfilt(sos_bp, x, axis=-1)
    np.abs(y, out=y)
    return sps.sosfiltfilt(sos_lp, y, axis=-1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args(argv)

    # 16 channels but 13 canonical muscle codes: process the unmapped ones as EMG too
    params = merge_params({"unmapped_channels": "process"})
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        path = Path(tmp) / "recording.parquet"
        t = time.perf_counter()
        events, n, names = write_recording(path, args.channels, args.rate, args.minutes, args.seed)
        size = path.stat().st_size / 2**20
        print(f"wrote {size:.0f} MiB Parquet in {time.perf_counter() - t:.1f} s")
        raw_bytes = args.channels * n * 8
        gc.collect()

        can_reset = _reset_peak()
        rss0 = _status_kib("VmRSS")
        t0 = time.perf_counter()
        emg = read_emg(path, rate=args.rate, cohort="bench", file=path.name)
        t_read = time.perf_counter() - t0
        rec = Recording("s1", "forward", 1, emg, events)
        out = process_subject([rec], params, cohort="bench", subject="B01")
        t_full = time.perf_counter() - t0
        peak = (_status_kib("VmHWM") - rss0) * 1024 if can_reset else float("nan")
        n_cycles = out.spatiotemporal["cycle"].n_unique()
        rows = (out.curves.height, out.features.height)
        del out, rec
        gc.collect()

        t0 = time.perf_counter()
        y = baseline(emg.data, emg.rate, params)
        t_base = time.perf_counter() - t0
        del y

    result = {
        "channels": args.channels,
        "rate_hz": args.rate,
        "minutes": args.minutes,
        "raw_array_mib": raw_bytes / 2**20,
        "cycles": int(n_cycles),
        "curve_rows": rows[0],
        "feature_rows": rows[1],
        "read_s": t_read,
        "full_stage_s": t_full,
        "baseline_s": t_base,
        "time_ratio": t_full / t_base,
        "peak_mib": peak / 2**20,
        "memory_ratio": peak / raw_bytes,
        "goals": {"time_ratio": 1.5, "memory_ratio": 3.0},
    }
    for k, v in result.items():
        print(f"{k:>14}: {v:.3f}" if isinstance(v, float) else f"{k:>14}: {v}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    ok = result["time_ratio"] <= 1.5 and result["memory_ratio"] <= 3.0
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok or args.no_check else 1


if __name__ == "__main__":
    raise SystemExit(main())
