"""The Python versions the README promises are the ones the package and the lock accept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from analysis import check_python

REPO = Path(__file__).resolve().parents[2]


def test_pyproject_states_the_checked_range():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert meta["project"]["requires-python"] == check_python.REQUIRES_PYTHON


def test_readme_names_the_checked_range():
    readme = (REPO / "README.md").read_text()
    oldest = ".".join(map(str, check_python.OLDEST))
    newest = ".".join(map(str, check_python.NEWEST_MINOR))
    assert f"Python {oldest} to {newest}" in readme


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ((3, 10, 13), False),
        ((3, 11, 0), False),
        ((3, 11, 1), False),
        ((3, 11, 2), True),
        ((3, 11, 14), True),
        ((3, 12, 0), True),
        ((3, 12, 12), True),
        ((3, 13, 0), False),
        ((4, 0, 0), False),
    ],
)
def test_version_boundaries(version, supported):
    assert (check_python.problem(version) is None) is supported


def test_unsupported_python_gets_a_plain_message(tmp_path):
    """The script version of the check runs on the standard library alone."""
    script = REPO / "analysis" / "check_python.py"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "supported" in proc.stdout
    assert "retrowalk needs Python 3.11.2 to 3.12.x" in check_python.problem((3, 10, 1))


def test_lock_has_exact_pins_and_no_index_urls():
    lines = [
        ln.strip()
        for ln in (REPO / "requirements.lock").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines
    for ln in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.\-+!]+", ln), ln
        assert "://" not in ln and not ln.startswith("-")


def _interpreters() -> list[str]:
    return [p for p in os.environ.get("RETROWALK_PYTHONS", "").split(os.pathsep) if p]


@pytest.mark.slow
@pytest.mark.parametrize("python", _interpreters() or ["(none)"])
def test_lock_installs_and_imports(python, tmp_path):
    """`.ci/run` sets RETROWALK_PYTHONS to Debian's python3 (3.11.2): the Quick start's
    install command must work there, in a throwaway venv, and the package must import."""
    if python == "(none)":
        pytest.skip("RETROWALK_PYTHONS is not set (.ci/run sets it to Debian's python3)")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(REPO / "requirements.lock"),
            "-e",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-4000:]
    code = (
        "import sys, analysis, analysis.ingest.cohort, analysis.models, snakemake, polars; "
        "print(sys.version.split()[0], analysis.__version__)"
    )
    run = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert check_python.problem(tuple(int(x) for x in run.stdout.split()[0].split("."))) is None
