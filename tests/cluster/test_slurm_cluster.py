"""The workflow on a real (single-node) SLURM cluster gives the same tables as a local run.

Opt-in: set RETROWALK_SLURM=1. The session fixture then uses the cluster described by
$SLURM_CONF if one answers, else starts a private one with ci/slurm/start_cluster.sh (root,
after ci/slurm/install.sh) and stops it again with ci/slurm/stop_cluster.sh at the end.
Without RETROWALK_SLURM=1, or without `sinfo`, every test here is skipped.

    bash ci/slurm/install.sh
    RETROWALK_SLURM=1 .venv/bin/python -m pytest -m slurm tests/cluster -v
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
CI_SLURM = REPO / "ci" / "slurm"
STATE_DIR = Path(os.environ.get("RETROWALK_SLURM_DIR", "/tmp/retrowalk-slurm"))
SLURM_PROFILE = "workflow/profiles/slurm"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# first sacct poll 2 s after submission instead of the profile's 20 s: keeps the test short
FAST_STATUS = ["--slurm-init-seconds-before-status-checks", "2"]
TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".txt", ".json"}


def _enabled() -> tuple[bool, str]:
    if os.environ.get("RETROWALK_SLURM") != "1":
        return False, "set RETROWALK_SLURM=1 to run the SLURM cluster tests"
    if shutil.which("sinfo") is None:
        return False, "sinfo not found (run ci/slurm/install.sh)"
    return True, ""


def _cluster_answers(env: dict[str, str]) -> bool:
    if not env.get("SLURM_CONF") or not Path(env["SLURM_CONF"]).exists():
        return False
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and any(
        s.strip().rstrip("*~#") in {"idle", "mixed", "allocated"} for s in out.stdout.split()
    )


@pytest.fixture(scope="session")
def slurm_env():
    """Environment (SLURM_CONF set) of a running cluster; starts/stops a private one if needed."""
    ok, why = _enabled()
    if not ok:
        pytest.skip(why)
    env = dict(os.environ)
    started = False
    if not _cluster_answers(env):
        env["SLURM_CONF"] = str(STATE_DIR / "etc" / "slurm.conf")
    # serialise concurrent starters (e.g. pytest-xdist workers); with xdist, better start the
    # cluster before pytest (see docs/cluster.md) so that no worker stops it under another
    lock = open(f"{STATE_DIR}.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not _cluster_answers(env):
        if os.geteuid() != 0:
            pytest.skip("no SLURM cluster answers and starting one needs root")
        res = subprocess.run(
            ["bash", str(CI_SLURM / "start_cluster.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if res.returncode != 0:
            subprocess.run(["bash", str(CI_SLURM / "stop_cluster.sh")], env=env)
            pytest.fail(f"start_cluster.sh failed:\n{res.stdout}\n{res.stderr}")
        started = True
        assert _cluster_answers(env), "cluster started but sinfo shows no usable node"
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    yield env
    if started:
        subprocess.run(["bash", str(CI_SLURM / "stop_cluster.sh")], env=env, timeout=300)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: int) -> float:
    t0 = time.monotonic()
    with open(log, "w") as fh:
        res = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
        )
    if res.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-80:])
        pytest.fail(f"{' '.join(cmd)} failed (rc={res.returncode}) in {cwd}:\n{tail}")
    return time.monotonic() - t0


def _sacct_jobs(env: dict[str, str], job_ids: list[str]) -> list[dict[str, str]]:
    fields = ["JobIDRaw", "JobName", "Account", "Partition", "State", "ReqMem", "AllocCPUS"]
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "-j", ",".join(job_ids), "-o", ",".join(fields)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines() if line]


def test_toy_workflow_runs_through_slurm(slurm_env, tmp_path):
    """Smoke test of the cluster + plugin: 3 SLURM jobs, 2 local rules, account/partition set."""
    work = tmp_path / "toy"
    shutil.copytree(Path(__file__).with_name("toy"), work)
    cmd = [
        SNAKEMAKE,
        "--executor",
        "slurm",
        "--workflow-profile",
        str(REPO / SLURM_PROFILE),
        "--default-resources",
        "slurm_account=retrowalk",
        "slurm_partition=debug",
        "mem_mb=500",
        "runtime=10",
        *FAST_STATUS,
    ]
    _run(cmd, work, slurm_env, tmp_path / "toy.log", timeout=600)
    rows = [line.split("\t") for line in (work / "out" / "summary.tsv").read_text().splitlines()]
    assert [r[0] for r in rows] == ["a", "b", "c"]
    job_ids = [r[1] for r in rows]
    assert all(j.isdigit() for j in job_ids), f"rule make did not run as SLURM jobs: {rows}"
    jobs = _sacct_jobs(slurm_env, job_ids)
    assert len(jobs) == 3
    for job in jobs:
        assert job["State"] == "COMPLETED", job
        assert job["Account"] == "retrowalk", job
        assert job["Partition"] == "debug", job
        # rule-level mem_mb=200 wins over the default-resources 500
        assert job["ReqMem"].rstrip("Mn") in {"200", "200M"}, job


# ---- the demo study: SLURM vs local --------------------------------------------------------


def _workflow_ready() -> str | None:
    if not (REPO / "Snakefile").exists():
        return "no Snakefile yet"
    if not (REPO / "data" / "raw" / "demo").is_dir():
        return "no demo cohort in data/raw/demo"
    return None


def _copy_repo(dest: Path) -> Path:
    """Copy git-tracked and untracked-but-not-ignored files (so no results/, .snakemake/, .venv)."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        rel = Path(os.fsdecode(raw))
        src = REPO / rel
        if not src.is_file() or rel.parts[0] in {"results", ".snakemake", "logs", ".venv"}:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def _tables(root: Path) -> dict[str, str]:
    """sha256 of every table under results/: results/*/tables/ plus all CSV/TSV/Parquet files."""
    results = root / "results"
    out = {}
    for p in sorted(results.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(results)
        in_tables_dir = "tables" in rel.parts
        if in_tables_dir or p.suffix in {".csv", ".tsv", ".parquet"}:
            if p.suffix in TABLE_SUFFIXES or in_tables_dir:
                out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.slow
def test_demo_study_on_slurm_matches_local_run(slurm_env, tmp_path):
    why = _workflow_ready()
    if why:
        pytest.skip(why)
    local = _copy_repo(tmp_path / "local")
    slurm = _copy_repo(tmp_path / "slurm")
    env_local = {k: v for k, v in slurm_env.items() if not k.startswith("SLURM_")}

    t_local = _run(
        [SNAKEMAKE, "--cores", "2"], local, env_local, tmp_path / "local.log", timeout=1800
    )
    t_slurm = _run(
        [SNAKEMAKE, "--executor", "slurm", "--workflow-profile", SLURM_PROFILE, *FAST_STATUS],
        slurm,
        slurm_env,
        tmp_path / "slurm.log",
        timeout=2400,
    )
    print(f"local run {t_local:.1f} s, SLURM run {t_slurm:.1f} s")

    log = (tmp_path / "slurm.log").read_text(errors="replace")
    assert "submitted with SLURM jobid" in log, "no job was submitted to SLURM"

    a, b = _tables(local), _tables(slurm)
    assert a, "the local run produced no tables under results/"
    assert sorted(a) == sorted(b), (
        f"different table sets: only local {sorted(set(a) - set(b))}, "
        f"only slurm {sorted(set(b) - set(a))}"
    )
    differing = [k for k in a if a[k] != b[k]]
    details = "\n".join(_describe_difference(local, slurm, k) for k in differing)
    assert not differing, f"tables differ between local and SLURM runs:\n{details}"


def _describe_difference(local: Path, slurm: Path, rel: str) -> str:
    """Which columns of a differing table differ, and by how much (for the failure message)."""
    a_path, b_path = local / "results" / rel, slurm / "results" / rel
    try:
        import polars as pl

        read = {".parquet": pl.read_parquet, ".csv": pl.read_csv}.get(a_path.suffix)
        if read is None:
            return f"  {rel}: bytes differ"
        a, b = read(a_path), read(b_path)
        if a.shape != b.shape or a.columns != b.columns:
            return f"  {rel}: shape/columns differ: {a.shape} {a.columns} vs {b.shape} {b.columns}"
        cols = []
        for c in a.columns:
            if a[c].dtype.is_float():
                d = (a[c] - b[c]).abs().max()
                if d is None or d != 0:
                    cols.append(f"{c} (max |diff| {d})")
            elif not a[c].equals(b[c]):
                cols.append(c)
        return f"  {rel}: columns differ: {', '.join(cols) or 'none (metadata only)'}"
    except Exception as e:  # the message must not hide the assertion
        return f"  {rel}: bytes differ ({e!r} while comparing values)"
