"""Scale benchmark: the whole workflow on simulated cohorts of growing size, on one machine.

For each cohort size N (default 25, 50, 100, 200 subjects; each subject has raw EMG for both
directions, two sessions and three trials) this script

1. copies the workflow (git-tracked and untracked-but-not-ignored files, without data/raw/*,
   results/, .snakemake/) once at the start, and that snapshot into a fresh directory per size,
2. simulates the cohort there: ``python -m analysis simulate data/raw/scale<N> --subjects N``,
3. times the dry run ``snakemake -n --cores C`` (median of three; DAG building included),
4. runs ``snakemake --cores C`` and records its wall time and the peak resident memory of the
   whole process tree (Snakemake and every job it runs, sampled every 0.2 s),
5. reads Snakemake's ``benchmark:`` files (``logs/benchmarks/<cohort>/<rule>/...tsv``) for the
   per-stage (rule) time and peak memory,

then prints and writes a markdown report (``--out``) and a JSON file with all numbers, and
checks the goals of issue 8: N=200 in at most 10 min on 2 cores, t(200) <= 2.2 t(100), every
job under 2 GiB, dry run under 5 s.

    .venv/bin/python benchmarks/scale.py --sizes 25 50 100 200 --out benchmarks/scale.md

Exit status: 0 when every measured goal holds (or with --no-check), 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
MiB = 1024 * 1024

# where the rules' benchmark: directives write (logs/benchmarks/<cohort>/<rule>[/<subject>].tsv)
BENCHMARK_ROOTS = ["logs/benchmarks", "benchmarks/runs"]

GOAL_MAX_200_S = 600.0
GOAL_RATIO_200_100 = 2.2
GOAL_JOB_RSS_MIB = 2048.0
GOAL_DRYRUN_S = 5.0


@dataclass
class Stage:
    rule: str
    jobs: int
    total_s: float
    mean_s: float
    max_s: float
    cpu_total_s: float
    max_rss_mib: float


@dataclass
class SizeResult:
    subjects: int
    simulate_s: float
    dryrun_s: float
    dryrun_runs_s: list[float]
    dryrun_cpu_s: float
    jobs: int
    run_s: float
    run_cpu_s: float
    loadavg_before_run: float
    snakemake_cpu_s: float
    run_peak_rss_mib: float
    max_job_rss_mib: float
    stages: list[Stage] = field(default_factory=list)
    run_error: str = ""


def copy_workflow(dest: Path) -> None:
    """The working tree as git sees it (tracked + untracked, not ignored), without raw data."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    skip_top = {"results", ".snakemake", "logs", ".venv", "notebooks"}
    for raw in listed:
        if not raw:
            continue
        rel = Path(os.fsdecode(raw))
        src = REPO / rel
        if not src.is_file() or rel.parts[0] in skip_top:
            continue
        if rel.parts[:2] == ("data", "raw") and len(rel.parts) > 3:
            continue  # cohorts (data/raw/<cohort>/...); keep data/raw/README.md etc.
        if rel.parts[:2] == ("benchmarks", "runs"):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


class TreeMemorySampler:
    """Peak of the summed RSS of a process and all its descendants, sampled periodically."""

    def __init__(self, pid: int, interval: float = 0.2):
        import psutil

        self._psutil = psutil
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.root_cpu = 0.0  # CPU seconds of the root process itself (Snakemake's own work)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> int:
        total = 0
        try:
            t = self.root.cpu_times()
            self.root_cpu = t.user + t.system
            procs = [self.root, *self.root.children(recursive=True)]
        except self._psutil.Error:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except self._psutil.Error:
                pass
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@dataclass
class Timing:
    wall_s: float
    cpu_s: float  # user + system time of the command and every descendant it waited for
    peak_rss: int  # bytes, summed over the process tree (0 when not sampled)
    own_cpu_s: float = float("nan")  # CPU of the command's own process (sampled runs only)


def run_logged(cmd: list[str], cwd: Path, log: Path, sample: bool = False) -> Timing:
    """Run cmd with output to log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    # jobs import the copy's analysis/, not the editable install's (the checkout may change)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(cwd), env.get("PYTHONPATH")) if p)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        if sample:
            with TreeMemorySampler(proc.pid) as sampler:
                rc = proc.wait()
            peak, own_cpu = sampler.peak, sampler.root_cpu
        else:
            rc, peak, own_cpu = proc.wait(), 0, float("nan")
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
        raise RuntimeError(f"{' '.join(cmd)} failed (rc={rc}) in {cwd}; log {log}:\n{tail}")
    return Timing(wall, cpu, peak, own_cpu)


def read_benchmarks(work: Path, cohort: str) -> tuple[list[Stage], float, int]:
    """Per-rule aggregates of the benchmark: files under <root>/<cohort>/<rule>/... or
    <root>/<cohort>/<rule>.tsv, for each root in BENCHMARK_ROOTS."""
    per_rule: dict[str, list[tuple[float, float, float]]] = {}
    files = []
    for r in BENCHMARK_ROOTS:
        root = work / r / cohort
        files += [(root, f) for f in sorted(root.rglob("*.tsv"))] if root.is_dir() else []
    for root, f in files:
        rule = f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else f.stem
        with open(f, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        for row in rows:
            secs = float(row["s"])
            rss = row.get("max_rss", "NA")
            rss_mib = float(rss) if rss not in ("NA", "", None) else float("nan")
            cpu = row.get("cpu_time", "NA")
            cpu_s = float(cpu) if cpu not in ("NA", "", None) else float("nan")
            per_rule.setdefault(rule, []).append((secs, rss_mib, cpu_s))
    stages = []
    for rule, vals in sorted(per_rule.items()):
        secs = [v[0] for v in vals]
        rss = [v[1] for v in vals if v[1] == v[1]]
        stages.append(
            Stage(
                rule=rule,
                jobs=len(vals),
                total_s=sum(secs),
                mean_s=statistics.fmean(secs),
                max_s=max(secs),
                cpu_total_s=sum(v[2] for v in vals),
                max_rss_mib=max(rss) if rss else float("nan"),
            )
        )
    max_rss = max((s.max_rss_mib for s in stages if s.max_rss_mib == s.max_rss_mib), default=0.0)
    return stages, max_rss, sum(s.jobs for s in stages)


def count_jobs(dryrun_log: Path) -> int:
    """Total job count from the dry run's job stats table."""
    for line in dryrun_log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    return 0


def bench_size(
    n: int, base: Path, snapshot: Path, cores: int, seed: int, dry_only: bool
) -> SizeResult:
    work = base / f"scale{n}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(snapshot, work, symlinks=True)  # every size runs the same code
    cohort = f"scale{n}"
    logs = work / "bench-logs"
    logs.mkdir()
    print(f"[scale] N={n}: simulating into {work}/data/raw/{cohort}", flush=True)
    sim_cmd = [PYTHON, "-m", "analysis", "simulate", f"data/raw/{cohort}"]
    sim_cmd += ["--subjects", str(n), "--seed", str(seed)]
    simulate_s = run_logged(sim_cmd, work, logs / "simulate.log").wall_s

    dry = [
        run_logged([SNAKEMAKE, "-n", "--cores", str(cores)], work, logs / f"dryrun{i}.log")
        for i in range(3)
    ]
    jobs = count_jobs(logs / "dryrun0.log")
    res = SizeResult(
        subjects=n,
        simulate_s=simulate_s,
        dryrun_s=statistics.median(t.wall_s for t in dry),
        dryrun_runs_s=[t.wall_s for t in dry],
        dryrun_cpu_s=statistics.median(t.cpu_s for t in dry),
        jobs=jobs,
        run_s=float("nan"),
        run_cpu_s=float("nan"),
        loadavg_before_run=float("nan"),
        snakemake_cpu_s=float("nan"),
        run_peak_rss_mib=float("nan"),
        max_job_rss_mib=float("nan"),
    )
    print(
        f"[scale] N={n}: dry run {res.dryrun_s:.2f} s (CPU {res.dryrun_cpu_s:.2f} s), {jobs} jobs",
        flush=True,
    )
    if dry_only:
        return res
    res.loadavg_before_run = os.getloadavg()[0]
    print(f"[scale] N={n}: snakemake --cores {cores} ...", flush=True)
    try:
        t = run_logged([SNAKEMAKE, "--cores", str(cores)], work, logs / "run.log", sample=True)
    except RuntimeError as e:  # keep what was measured; the report says the run failed
        print(f"[scale] N={n}: FAILED: {e}", file=sys.stderr, flush=True)
        res.run_error = str(e).splitlines()[0]
        res.stages, res.max_job_rss_mib, _ = read_benchmarks(work, cohort)
        return res
    res.run_s, res.run_cpu_s, res.run_peak_rss_mib = t.wall_s, t.cpu_s, t.peak_rss / MiB
    res.snakemake_cpu_s = t.own_cpu_s
    res.stages, res.max_job_rss_mib, _ = read_benchmarks(work, cohort)
    print(
        f"[scale] N={n}: run {t.wall_s:.1f} s (CPU {t.cpu_s:.1f} s), peak tree RSS "
        f"{res.run_peak_rss_mib:.0f} MiB, max job RSS {res.max_job_rss_mib:.0f} MiB",
        flush=True,
    )
    return res


def fmt(x: float, nd: int = 1) -> str:
    return "n/a" if x != x else f"{x:.{nd}f}"


def goals(results: list[SizeResult]) -> list[tuple[str, bool | None, str]]:
    by_n = {r.subjects: r for r in results}
    out: list[tuple[str, bool | None, str]] = []
    for r in results:
        if r.run_error:
            out.append((f"snakemake run with {r.subjects} subjects", False, r.run_error))
    r200, r100 = by_n.get(200), by_n.get(100)
    if r200 and r200.run_s == r200.run_s:
        out.append(
            ("200 subjects in <= 10 min", r200.run_s <= GOAL_MAX_200_S, f"{r200.run_s:.0f} s")
        )
    else:
        out.append(("200 subjects in <= 10 min", None, "not measured"))
    if r200 and r100 and r200.run_s == r200.run_s and r100.run_s == r100.run_s:
        ratio = r200.run_s / r100.run_s
        out.append(("t(200) <= 2.2 x t(100)", ratio <= GOAL_RATIO_200_100, f"ratio {ratio:.2f}"))
    else:
        out.append(("t(200) <= 2.2 x t(100)", None, "not measured"))
    job_rss = [r.max_job_rss_mib for r in results if r.max_job_rss_mib == r.max_job_rss_mib]
    if job_rss:
        m = max(job_rss)
        out.append(("every job < 2 GiB", m < GOAL_JOB_RSS_MIB, f"max {m:.0f} MiB"))
    else:
        out.append(("every job < 2 GiB", None, "no benchmark: files found"))
    d = max(r.dryrun_s for r in results)
    out.append(("dry run < 5 s", d < GOAL_DRYRUN_S, f"max {d:.2f} s"))
    return out


def markdown(results: list[SizeResult], cores: int, command: str) -> str:
    lines = [
        f"Measured on {platform.node()} ({os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}), `snakemake --cores {cores}`, "
        f"{time.strftime('%Y-%m-%d')}. Regenerate with:",
        "",
        "```",
        command,
        "```",
        "",
        "| subjects | jobs | dry run (s) | dry run CPU (s) | full run (s) | full run CPU (s) "
        "| of which Snakemake (s) | s / subject | peak RSS, whole run (MiB) "
        "| peak RSS, largest job (MiB) | load before run |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        per = r.run_s / r.subjects if r.run_s == r.run_s else float("nan")
        lines.append(
            f"| {r.subjects} | {r.jobs} | {fmt(r.dryrun_s, 2)} | {fmt(r.dryrun_cpu_s, 2)} "
            f"| {fmt(r.run_s)} | {fmt(r.run_cpu_s)} | {fmt(r.snakemake_cpu_s)} | {fmt(per, 2)} "
            f"| {fmt(r.run_peak_rss_mib, 0)} | {fmt(r.max_job_rss_mib, 0)} "
            f"| {fmt(r.loadavg_before_run, 1)} |"
        )
    lines += [
        "",
        "Times are wall-clock (dry run: median of 3). CPU is user + system time of Snakemake and "
        "every job; `of which Snakemake` is the main Snakemake process alone (DAG, scheduling, "
        "local bookkeeping; jobs run in their own processes). `load before run` is the 1-minute "
        "load average just before the full run: "
        f"with more than {os.cpu_count()} the machine was shared and wall times are inflated.",
    ]
    lines += [
        "",
        "Per stage (from the rules' `benchmark:` files: wall time and CPU time of each job, peak "
        "RSS of the largest job; rules without `benchmark:` are not listed):",
        "",
        "| subjects | rule | jobs | total (s) | mean (s) | max (s) | CPU total (s) "
        "| max RSS (MiB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if not r.stages and r.run_s == r.run_s:
            lines.append(f"| {r.subjects} | (no benchmark: files) | | | | | | |")
        for s in r.stages:
            lines.append(
                f"| {r.subjects} | {s.rule} | {s.jobs} | {fmt(s.total_s)} | {fmt(s.mean_s, 2)} "
                f"| {fmt(s.max_s, 2)} | {fmt(s.cpu_total_s)} | {fmt(s.max_rss_mib, 0)} |"
            )
    lines += ["", "Goals (issue 8):", ""]
    for name, ok, detail in goals(results):
        mark = "not measured" if ok is None else ("met" if ok else "MISSED")
        lines.append(f"- {name}: **{mark}** ({detail})")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--workdir", type=Path, help="where the copies go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the copies (default: delete)")
    ap.add_argument("--out", type=Path, help="write the markdown report here")
    ap.add_argument("--json", type=Path, help="write all numbers here (default: --out .json)")
    ap.add_argument("--dry-run-only", action="store_true", help="only time the dry runs")
    ap.add_argument("--no-check", action="store_true", help="exit 0 even if a goal is missed")
    args = ap.parse_args(argv)

    base = args.workdir or Path(tempfile.mkdtemp(prefix="retrowalk-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    command = ".venv/bin/python benchmarks/scale.py --sizes " + " ".join(map(str, args.sizes))
    if args.cores != 2:
        command += f" --cores {args.cores}"
    if args.out:
        command += f" --out {args.out}"
    results = []
    snapshot = base / "snapshot"
    if snapshot.exists():
        shutil.rmtree(snapshot)
    snapshot.mkdir()
    copy_workflow(snapshot)  # once, so that edits to the tree during a long run don't leak in
    try:
        for n in args.sizes:
            results.append(bench_size(n, base, snapshot, args.cores, args.seed, args.dry_run_only))
            if not args.keep:
                shutil.rmtree(base / f"scale{n}", ignore_errors=True)
            report = markdown(results, args.cores, command)
            if args.out:  # rewritten after each size, so a long run leaves partial numbers
                args.out.write_text(report)
                js = args.json or args.out.with_suffix(".json")
                js.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(base, ignore_errors=True)
    print(markdown(results, args.cores, command))
    missed = [g for g in goals(results) if g[1] is False]
    return 0 if (args.no_check or not missed) else 1


if __name__ == "__main__":
    sys.exit(main())
