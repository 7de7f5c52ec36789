"""Helpers of the bad-input corpus (a module name of its own: test folders share the name
``conftest``, so tests import these from here)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from analysis.simulate import DemoDesign, simulate_cohort

BASE_DESIGN = DemoDesign(n_subjects=2, n_trials=1, n_strides=3, name="base")


BIG = 64 * 1024 * 1024


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``; symbolic links by their target, not followed.

    A file above 64 MB (the sparse gigabyte files of the size-limit cases) is known by its size,
    modification time and first megabyte, so that checking the corpus never reads it whole.
    """
    out = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = "link -> " + str(p.readlink())
        elif p.is_file() and p.stat().st_size > BIG:
            with open(p, "rb") as fh:
                head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
            out[key] = f"{p.stat().st_size} bytes, {p.stat().st_mtime_ns}, {head}"
        elif p.is_file():
            out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_base(folder: Path) -> Path:
    """A small valid cohort: 2 subjects, 1 trial per condition, 3 strides."""
    return simulate_cohort(folder, BASE_DESIGN)


def make_case(base: Path, raw: Path, case) -> Path:
    """Copy the base cohort to ``raw/bad_<name>`` and break it as the case says."""
    folder = raw / case.folder
    shutil.copytree(base, folder)
    yaml = folder / "cohort.yaml"
    yaml.write_text(yaml.read_text().replace("name: base\n", f"name: {case.folder}\n"))
    case.mutate(folder)
    return folder
