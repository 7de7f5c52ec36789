"""EMG stage vs a bare SciPy pipeline on realistic cohorts and a long recording (issue 19).

Synthetic subjects are generated in memory (reading files is not timed). For every subject,
in one process and alternating which runs first, this times

1. ``process_subject`` on the subject's trials (the whole EMG stage after reading), with the
   time of each stage collected by :func:`analysis.emg.timing.stage_times`, and
2. the bare pipeline on the same arrays, trial by trial: ``sosfiltfilt`` band-pass 20-450 Hz
   (order 4), ``abs``, ``sosfiltfilt`` low-pass 6 Hz (order 4), linear interpolation of each
   cycle to 101 points,

and the peak resident memory of each above what was resident before it (Linux ``VmHWM``, reset
through ``/proc/self/clear_refs``; the raw arrays are already in memory, as in the workflow).

Goals (exit 1 when missed, unless ``--no-check``): per cohort, the median over repeats of the
stage's time over the bare pipeline's at most 1.5, and peak memory at most 1.5 x (the raw
float64 array of the subject's largest trial + the output tables' Arrow buffers).

Usage::

    .venv/bin/python benchmarks/emg_cohort.py                       # all cohorts, 3 repeats
    .venv/bin/python benchmarks/emg_cohort.py --cohorts issue --repeat 1
    .venv/bin/python benchmarks/emg_cohort.py --json out.json --markdown out.md
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.core.signal import EMG  # noqa: E402
from analysis.emg import Recording, merge_params, process_subject  # noqa: E402
from analysis.emg.timing import STAGES, stage_times  # noqa: E402
from analysis.ingest.readers.channels import CANONICAL_MUSCLES  # noqa: E402

SESSIONS = ("baseline", "post")
DIRECTIONS = ("forward", "backward")


@dataclass
class TrialSpec:
    session: str
    direction: str
    trial: int
    seconds: float


@dataclass
class SubjectSpec:
    name: str
    rate: float
    n_muscles: int
    trials: list[TrialSpec] = field(default_factory=list)


def channel_names(n: int) -> list[str]:
    """Canonical muscle codes first, then ``CH14``, ``CH15``, ... (processed as EMG too)."""
    return [CANONICAL_MUSCLES[i] if i < len(CANONICAL_MUSCLES) else f"CH{i + 1}" for i in range(n)]


def synth_trial(
    rng: np.random.Generator, names: list[str], rate: float, seconds: float, direction: str
) -> tuple[EMG, pl.DataFrame]:
    """Gait-like EMG (a burst per muscle per stride, ~1.1 s strides) and both feet's events."""
    n = int(round(seconds * rate))
    stride_mean = 1.1 if direction == "forward" else 1.0
    stance = 0.62 if direction == "forward" else 0.67
    strides = rng.normal(stride_mean, 0.03, int(seconds / (0.8 * stride_mean)) + 2)
    contacts = 0.4 + np.concatenate([[0.0], np.cumsum(strides)])
    contacts = contacts[contacts < seconds - 0.2]
    t = np.arange(n) / rate
    k = np.clip(np.searchsorted(contacts, t) - 1, 0, len(contacts) - 2)
    pct = (t - contacts[k]) / (contacts[k + 1] - contacts[k])
    carrier = sps.butter(2, [20.0, min(300.0, 0.45 * rate)], btype="bandpass", fs=rate,
                         output="sos")  # fmt: skip
    data = sps.sosfilt(carrier, rng.standard_normal((len(names), n)), axis=-1)
    for i in range(len(names)):
        d = np.abs(pct - (i * 0.13) % 1.0)
        d = np.minimum(d, 1 - d)
        data[i] *= 3.0 * (5.0 + 60.0 * np.exp(-0.5 * (d / 0.08) ** 2))
        data[i] += rng.uniform(-8, 8) + 0.6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 6))
    contact = "heel" if direction == "forward" else "toe"
    rows = []
    for j, tc in enumerate(contacts):
        s = contacts[j + 1] - tc if j + 1 < len(contacts) else stride_mean
        rows += [("right", "foot_contact", tc, contact),
                 ("right", "foot_off", tc + stance * s, None),
                 ("left", "foot_off", tc + (stance - 0.5) * s, None),
                 ("left", "foot_contact", tc + 0.5 * s, contact)]  # fmt: skip
    events = (
        pl.DataFrame(rows, schema=["side", "event", "time_s", "contact"], orient="row")
        .filter(pl.col("time_s") < seconds - 0.01)
        .sort("time_s")
    )
    return EMG(data, rate, tuple(names)), events


def recordings(spec: SubjectSpec, seed: int) -> list[Recording]:
    """The subject's trials, generated in memory."""
    rng = np.random.default_rng(seed)
    names = channel_names(spec.n_muscles)
    out = []
    for tr in spec.trials:
        emg, events = synth_trial(rng, names, spec.rate, tr.seconds, tr.direction)
        out.append(Recording(tr.session, tr.direction, tr.trial, emg, events))
    return out


def realistic_cohort(n_subjects: int, seed: int) -> list[SubjectSpec]:
    """Subjects of 2 sessions x 2 directions x 3 trials of 30-120 s, 8-16 muscles, 1 or 2 kHz."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_subjects):
        spec = SubjectSpec(f"R{s + 1:02d}", float(rng.choice([1000.0, 2000.0])),
                           int(rng.integers(8, 17)))  # fmt: skip
        for session in SESSIONS:
            for direction in DIRECTIONS:
                for trial in (1, 2, 3):
                    secs = float(rng.uniform(30.0, 120.0))
                    spec.trials.append(TrialSpec(session, direction, trial, secs))
        out.append(spec)
    return out


def issue_subject() -> list[SubjectSpec]:
    """The subject of issue 19: 12 trials x 13 muscles x 60 s at 2 kHz."""
    spec = SubjectSpec("I01", 2000.0, 13)
    spec.trials = [
        TrialSpec(s, d, k, 60.0) for s in SESSIONS for d in DIRECTIONS for k in (1, 2, 3)
    ]
    return [spec]


def long_recording(minutes: float) -> list[SubjectSpec]:
    """One trial of 16 channels at 2 kHz lasting ``minutes``."""
    return [SubjectSpec("L01", 2000.0, 16, [TrialSpec("baseline", "forward", 1, minutes * 60)])]


def demo_cohort() -> list[SubjectSpec]:
    """The demo study's subjects (``data/raw/demo``, read before timing)."""
    trials = pl.read_csv(DEMO / "trials.csv")
    return [SubjectSpec(s, 0.0, 0) for s in sorted(set(trials["subject"].to_list()))]


DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo"


def demo_recordings(subject: str) -> tuple[list[Recording], dict]:
    """A demo subject's trials and its ``emg:`` parameters, read from disk (not timed)."""
    import yaml

    from analysis.core.settings import resolve_settings
    from analysis.ingest.cohort_yaml import read_settings
    from analysis.ingest.readers import read_emg, read_events

    config = yaml.safe_load((DEMO.parents[2] / "config" / "config.yaml").read_text())
    emg = resolve_settings(config, read_settings(DEMO)).emg
    params = emg.to_params()
    sig = {"rate": emg.sampling_rate_hz, "units": emg.units,
           "channel_map": dict(emg.channel_map) or None, "cohort": "demo"}  # fmt: skip
    trials = pl.read_csv(DEMO / "trials.csv").filter(pl.col("subject") == subject)
    recs = [
        Recording(
            r["session"],
            r["direction"],
            r["trial"],
            read_emg(DEMO / r["emg_file"], file=r["emg_file"], **sig),
            read_events(DEMO / r["events_file"], cohort="demo", file=r["events_file"]),
            speed_m_s=r["speed_m_s"],
        )  # fmt: skip
        for r in trials.sort(["session", "direction", "trial"]).iter_rows(named=True)
    ]
    return recs, params


# --- measuring -------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


class PeakRSS:
    """Peak resident memory above the resident memory at the start of the ``with`` block."""

    def __enter__(self) -> PeakRSS:
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.ok = True
        except OSError:
            self.ok = False
        self.rss0 = _status_kib("VmRSS")
        self.bytes = float("nan")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ok:
            self.bytes = (_status_kib("VmHWM") - self.rss0) * 1024.0


def _cycle_bounds(events: pl.DataFrame, side: str) -> tuple[np.ndarray, np.ndarray]:
    sel = events.filter((pl.col("side") == side) & (pl.col("event") == "foot_contact"))
    contacts = np.sort(sel["time_s"].to_numpy())
    return contacts[:-1], contacts[1:]


def bare(recs: list[Recording], params: dict) -> dict[str, float]:
    """The bare pipeline on every trial; seconds spent in each step."""
    bp, env = params["bandpass"], params["envelope"]
    points = int(params["cycles"]["points"])
    frac = np.linspace(0.0, 1.0, points)
    times = {"filter": 0.0, "envelope": 0.0, "cycles": 0.0}
    for rec in recs:
        x, rate = rec.emg.data, rec.emg.rate
        t0 = time.perf_counter()
        high = min(float(bp["high_hz"]), 0.9 * rate / 2)
        sos_bp = sps.butter(int(bp["order"]), [float(bp["low_hz"]), high], btype="bandpass",
                            fs=rate, output="sos")  # fmt: skip
        y = sps.sosfiltfilt(sos_bp, x, axis=-1)
        t1 = time.perf_counter()
        sos_lp = sps.butter(int(env["order"]), float(env["lowpass_hz"]), btype="lowpass",
                            fs=rate, output="sos")  # fmt: skip
        np.abs(y, out=y)
        y = sps.sosfiltfilt(sos_lp, y, axis=-1)
        t2 = time.perf_counter()
        a, b = _cycle_bounds(rec.events, params["cycles"]["side"])
        pos = ((a[:, None] + frac[None, :] * (b - a)[:, None] - rec.emg.t0) * rate).ravel()
        idx = np.arange(y.shape[1], dtype=float)
        curves = np.stack([np.interp(pos, idx, ch).reshape(a.size, points) for ch in y], axis=1)
        t3 = time.perf_counter()
        del y, curves
        times["filter"] += t1 - t0
        times["envelope"] += t2 - t1
        times["cycles"] += t3 - t2
    return times


def stage(recs: list[Recording], params: dict, subject: str) -> tuple[dict[str, float], dict]:
    """``process_subject`` on the trials: seconds per step (and ``total``), output sizes."""
    with stage_times() as times:
        t0 = time.perf_counter()
        out = process_subject(recs, params, cohort="bench", subject=subject)
        total = time.perf_counter() - t0
    times = {k: times.get(k, 0.0) for k in STAGES} | {"total": total}
    tables = [getattr(out, k) for k in ("curves", "features", "qc", "spatiotemporal",
                                        "normalisation")]  # fmt: skip
    info = {"output_bytes": float(sum(table_bytes(t) for t in tables)),
            "curve_rows": out.curves.height, "feature_rows": out.features.height}  # fmt: skip
    return times, info


def table_bytes(df: pl.DataFrame) -> int:
    """Bytes of a table's Arrow buffers (polars' estimated_size leaves out string views)."""
    seen, total = set(), 0
    for column in df.to_arrow(compat_level=pl.CompatLevel.newest()).columns:
        for chunk in column.chunks:
            for buf in chunk.buffers():
                if buf is not None and buf.address not in seen:
                    seen.add(buf.address)
                    total += buf.size
    return total


def measure_subject(recs: list[Recording], params: dict, subject: str, repeat: int) -> list[dict]:
    """``repeat`` runs of both pipelines on one subject, alternating which goes first."""
    runs = []
    for r in range(repeat):
        res: dict = {}
        for which in ("bare", "stage") if r % 2 == 0 else ("stage", "bare"):
            with PeakRSS() as mem:
                cpu = time.process_time()
                if which == "bare":
                    res["bare"] = bare(recs, params)
                else:
                    res["stage"], res["info"] = stage(recs, params, subject)
                res[f"{which}_cpu_s"] = time.process_time() - cpu
            res[f"{which}_peak_bytes"] = mem.bytes
        res["bare"]["total"] = sum(res["bare"].values())
        runs.append(res)
    return runs


# --- reporting -------------------------------------------------------------------------------

GOAL_TIME, GOAL_MEMORY = 1.5, 1.5
BARE_STEPS = ("filter", "envelope", "cycles")


def cohort_specs(name: str, args: argparse.Namespace) -> list[SubjectSpec]:
    if name == "realistic":
        return realistic_cohort(args.subjects, args.seed)
    if name == "issue":
        return issue_subject()
    if name == "long":
        return long_recording(args.long_minutes)
    if name == "demo":
        return demo_cohort()
    raise ValueError(f"unknown cohort {name!r}")


def subject_data(cohort: str, spec: SubjectSpec, seed: int) -> tuple[list[Recording], dict]:
    if cohort == "demo":
        return demo_recordings(spec.name)
    return recordings(spec, seed), merge_params({"unmapped_channels": "process"})


def run_cohort(name: str, args: argparse.Namespace) -> dict:
    """Every subject of a cohort, ``args.repeat`` times; the summary of the cohort."""
    load = [os.getloadavg()[0]]
    per_subject, desc = [], {"trials": 0, "muscles": set(), "rates": set(), "seconds": [],
                             "raw_bytes": 0.0}  # fmt: skip
    for i, spec in enumerate(cohort_specs(name, args)):
        recs, params = subject_data(name, spec, args.seed + 1000 * i)
        sizes = [r.emg.data.nbytes for r in recs]
        desc["trials"] += len(recs)
        desc["muscles"] |= {len(r.emg.channels) for r in recs}
        desc["rates"] |= {r.emg.rate for r in recs}
        desc["seconds"] += [r.emg.duration for r in recs]
        desc["raw_bytes"] += float(sum(sizes))
        runs = measure_subject(recs, params, spec.name, args.repeat)
        per_subject.append({"subject": spec.name, "largest_trial_bytes": float(max(sizes)),
                            "runs": runs})  # fmt: skip
        print(
            f"  {name} {spec.name}: "
            + ", ".join(f"{r['stage']['total']:.2f}/{r['bare']['total']:.2f} s" for r in runs),
            flush=True,
        )
        del recs
    load.append(os.getloadavg()[0])
    return summarise(name, per_subject, desc, load)


def _sum(per_subject: list[dict], r: int, which: str, key: str) -> float:
    return sum(s["runs"][r][which][key] for s in per_subject)


def _cpu(per_subject: list[dict], r: int, which: str) -> float:
    return sum(s["runs"][r][f"{which}_cpu_s"] for s in per_subject)


def summarise(name: str, per_subject: list[dict], desc: dict, load: list[float]) -> dict:
    repeat = len(per_subject[0]["runs"])
    bare_t = [_sum(per_subject, r, "bare", "total") for r in range(repeat)]
    stage_t = [_sum(per_subject, r, "stage", "total") for r in range(repeat)]
    ratios = [s / b for s, b in zip(stage_t, bare_t, strict=True)]
    cpu = [_cpu(per_subject, r, "stage") / _cpu(per_subject, r, "bare") for r in range(repeat)]
    share = {k: statistics.median(_sum(per_subject, r, "stage", k) / bare_t[r]
                                  for r in range(repeat)) for k in STAGES}  # fmt: skip
    vs_step = {k: statistics.median(_sum(per_subject, r, "stage", k) /
                                    _sum(per_subject, r, "bare", k) for r in range(repeat))
               for k in BARE_STEPS}  # fmt: skip
    memory = []
    for s in per_subject:
        peak = max(r["stage_peak_bytes"] for r in s["runs"])
        budget = s["largest_trial_bytes"] + s["runs"][0]["info"]["output_bytes"]
        bare_peak = max(r["bare_peak_bytes"] for r in s["runs"])
        memory.append((peak / budget, peak, budget, bare_peak / s["largest_trial_bytes"]))
    worst = max(memory)
    return {
        "cohort": name,
        "subjects": len(per_subject),
        "trials": desc["trials"],
        "muscles": sorted(desc["muscles"]),
        "rates_hz": sorted(desc["rates"]),
        "trial_s": [min(desc["seconds"]), max(desc["seconds"])],
        "raw_mib": desc["raw_bytes"] / 2**20,
        "bare_s": statistics.median(bare_t),
        "stage_s": statistics.median(stage_t),
        "ratio": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "cpu_ratio": statistics.median(cpu),
        "cpu_ratio_range": [min(cpu), max(cpu)],
        "share_of_bare": share,
        "vs_bare_step": vs_step,
        "memory_ratio": worst[0],
        "peak_mib": worst[1] / 2**20,
        "budget_mib": worst[2] / 2**20,
        "bare_peak_over_trial": worst[3],
        "load": load,
        "per_subject": per_subject,
    }


def _range(xs: list[float], fmt: str = "{:.0f}") -> str:
    lo, hi = fmt.format(min(xs)), fmt.format(max(xs))
    return lo if lo == hi else f"{lo}-{hi}"


def markdown(results: list[dict], repeat: int) -> str:
    lines = [
        "| cohort | subjects x trials | muscles | rate (Hz) | trial (s) | raw (MiB) | bare (s) "
        "| EMG stage (s) | time ratio | CPU-time ratio | peak (MiB) "
        "| largest trial + outputs (MiB) | memory ratio | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in results:
        lines.append(
            f"| {c['cohort']} | {c['subjects']} x {c['trials'] // c['subjects']} "
            f"| {_range(c['muscles'])} | {_range(c['rates_hz'])} | {_range(c['trial_s'])} "
            f"| {c['raw_mib']:.0f} | {c['bare_s']:.2f} | {c['stage_s']:.2f} "
            f"| **{c['ratio']:.2f}** ({c['ratio_range'][0]:.2f}-{c['ratio_range'][1]:.2f}) "
            f"| {c['cpu_ratio']:.2f} ({c['cpu_ratio_range'][0]:.2f}-{c['cpu_ratio_range'][1]:.2f}) "
            f"| {c['peak_mib']:.0f} | {c['budget_mib']:.0f} | **{c['memory_ratio']:.2f}** "
            f"| {c['load'][0]:.1f}-{c['load'][1]:.1f} |"
        )
    lines += ["", f"Per step, median of {repeat} runs: seconds in the step / seconds of the whole "
              "bare pipeline (the steps add up to the ratio above); in brackets, for the steps the "
              "bare pipeline has too, the step's time / the bare step's time.", "",
              "| step | " + " | ".join(c["cohort"] for c in results) + " |",
              "|---|" + "---:|" * len(results)]  # fmt: skip
    for k in STAGES:
        cells = []
        for c in results:
            cell = f"{c['share_of_bare'][k]:.2f}"
            if k in c["vs_bare_step"]:
                cell += f" ({c['vs_bare_step'][k]:.2f}x)"
            cells.append(cell)
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cohorts", nargs="+", default=["realistic", "issue", "long", "demo"],
                    choices=["realistic", "issue", "long", "demo"])  # fmt: skip
    ap.add_argument("--subjects", type=int, default=6, help="subjects of the realistic cohort")
    ap.add_argument("--long-minutes", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--markdown", type=Path, default=None)
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args(argv)

    results = []
    for name in args.cohorts:
        print(f"{name}:", flush=True)
        results.append(run_cohort(name, args))
    table = markdown(results, args.repeat)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    goals = [c for c in results if c["cohort"] != "demo"]
    ok = all(c["ratio"] <= GOAL_TIME and c["memory_ratio"] <= GOAL_MEMORY for c in goals)
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok or args.no_check else 1


if __name__ == "__main__":
    raise SystemExit(main())
