"""Helpers to run the workflow in a temporary copy of the repository."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def copy_workflow(dst: Path) -> Path:
    """Copy what the workflow needs (not data/raw, results or caches) into ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".snakemake", "results", "logs")
    for name in ("Snakefile", "workflow", "config", "analysis", "profiles"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=ignore)
        else:
            shutil.copy(src, dst / name)
    (dst / "data" / "raw").mkdir(parents=True)
    return dst


def run_snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [str(SNAKEMAKE), "--cores", "2", "--nocolor", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def workflow_tools():
    """The helpers above, for test modules (they cannot import conftest)."""
    return copy_workflow, run_snakemake


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory, workflow_tools):
    """A copy of the workflow with the demo cohort, run to the end and with its report."""
    copy_workflow, run_snakemake = workflow_tools
    root = copy_workflow(tmp_path_factory.mktemp("demo") / "study")
    shutil.copytree(REPO / "data" / "raw" / "demo", root / "data" / "raw" / "demo")
    run_snakemake(root)
    run_snakemake(root, "--report", "results/report.html")
    return root
